//! The wasm entry point (Trunk builds this binary); the app is the library.

fn main() {
    #[cfg(target_arch = "wasm32")]
    optline_app::start();
}
