//! Runs the SAME scenario vectors as tests/vectors.rs, compiled to wasm, in
//! headless Chromium (wasm-bindgen-test). The files are embedded at compile
//! time by build.rs, since a browser cannot read the folder.
//!
//! ```text
//! crates/engine/scripts/test-wasm.sh
//! ```
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/vectors.rs"]
mod vectors;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

#[wasm_bindgen_test]
fn every_vector_passes_in_wasm() {
    assert!(embedded::VECTORS.len() >= 40, "at least 40 scenarios");
    let mut failures = Vec::new();
    let mut steps = 0;
    for (name, text) in embedded::VECTORS {
        let r = vectors::run(name, text);
        steps += r.steps;
        if let Some(f) = r.failure {
            failures.push(f);
        }
    }
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    wasm_bindgen_test::console_log!(
        "{} vectors, {} steps: all match in wasm",
        embedded::VECTORS.len(),
        steps
    );
}

#[wasm_bindgen_test]
fn default_flows_validate_in_wasm() {
    use optline_engine::{validate, Channel, Flow};
    assert!(validate(&Flow::default(), Channel::Sms).is_ok());
    assert!(validate(&Flow::default(), Channel::WhatsApp).is_ok());
}
