//! Optline's browser app: a Leptos single-page app compiled to wasm.
//!
//! The opt-in rule engine (`optline_engine`) runs here too, so every button can
//! say at once what will happen; the server runs the same engine and has the
//! final word.
//!
//! The pure modules ([`address`], [`thread_model`], [`api_client::ApiFailure`]) also build
//! natively, for their unit tests: `cargo test -p optline-app --lib`. Everything
//! that touches the browser is compiled for wasm only.

pub mod address;
pub mod api_client;
pub mod decimals;
pub mod thread_model;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod condition;
#[cfg(target_arch = "wasm32")]
mod effects;
#[cfg(target_arch = "wasm32")]
mod live;
#[cfg(target_arch = "wasm32")]
mod navigation;
#[cfg(target_arch = "wasm32")]
mod on_demand;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod server_calls;
#[cfg(target_arch = "wasm32")]
mod session;
#[cfg(target_arch = "wasm32")]
mod time;

/// Mounts the app on the page's body.
#[cfg(target_arch = "wasm32")]
pub fn start() {
    // Development builds print a panic's message in the console. The release
    // build traps at once on a panic (scripts/wasm-toolchain.sh), so the hook
    // would be dead weight there.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
