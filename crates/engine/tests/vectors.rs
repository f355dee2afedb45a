//! Runs every scenario vector in vectors/ natively (the wasm test runs the
//! same embedded list in Chromium).
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/vectors.rs"]
mod vectors;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

#[test]
fn every_vector_passes() {
    assert!(embedded::VECTORS.len() >= 40, "at least 40 scenarios");
    let mut failures = Vec::new();
    for (name, text) in embedded::VECTORS {
        let r = vectors::run(name, text);
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
}

#[test]
fn embedded_list_matches_the_folder() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors");
    let on_disk = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .map(|e| e.path().extension().is_some_and(|x| x == "json"))
                .unwrap_or(false)
        })
        .count();
    assert_eq!(on_disk, embedded::VECTORS.len());
}

#[test]
fn every_rule_has_a_vector() {
    let mut covered = [false; 13];
    for (_, text) in embedded::VECTORS {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        for r in v["rules"].as_array().into_iter().flatten() {
            if let Some(n) = r.as_u64() {
                if (n as usize) < covered.len() {
                    covered[n as usize] = true;
                }
            }
        }
    }
    let missing: Vec<usize> = (1..=12).filter(|n| !covered[*n]).collect();
    assert!(missing.is_empty(), "rules without a vector: {missing:?}");
}

/// The README's worked example is itself a passing vector.
#[test]
fn readme_worked_example_passes() {
    let readme = include_str!("../README.md");
    let start = readme.find("### Worked example").expect("section");
    let json_start = readme[start..].find("```json\n").expect("json block") + start + 8;
    let json_end = readme[json_start..].find("```").expect("end") + json_start;
    let r = vectors::run("README worked example", &readme[json_start..json_end]);
    assert!(r.failure.is_none(), "{:?}", r.failure);
    assert_eq!(r.steps, 2);
}
