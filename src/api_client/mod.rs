//! The app's one client of the Optline server: a typed function per
//! endpoint ([`endpoints`]), the only place that knows a URL, over a small
//! JSON transport. Every failure is an [`ApiFailure`]. [`live_event`] reads
//! the server-sent events.

mod failure;
pub use failure::ApiFailure;
pub mod live_event;

#[cfg(target_arch = "wasm32")]
mod endpoints;
#[cfg(target_arch = "wasm32")]
mod integrations;
#[cfg(target_arch = "wasm32")]
pub mod js_decode;
#[cfg(target_arch = "wasm32")]
mod transport;
#[cfg(target_arch = "wasm32")]
pub use endpoints::*;
#[cfg(target_arch = "wasm32")]
pub use integrations::*;
#[cfg(target_arch = "wasm32")]
pub use transport::{encode, on_unauthorized};
