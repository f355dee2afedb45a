//! Optline's browser app: a Leptos single-page app compiled to wasm.
//!
//! The opt-in rule engine (`optline_engine`) runs here too, so every button can
//! say at once what will happen; the server runs the same engine and has the
//! final word.

mod app;
mod components;
mod live;
mod net;
mod pages;
mod session;
mod time;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
