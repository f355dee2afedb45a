//! Optline's server as a library (the binary in main.rs is a thin CLI).

pub mod app;
pub mod auth;
pub mod clock;
pub mod error;
pub mod events;
pub mod openapi;
pub mod phone;
pub mod providers;
pub mod routes;
pub mod seed;
pub mod service;
pub mod static_files;
pub mod storage;

use std::path::PathBuf;

/// Runtime configuration taken from flags / environment.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub static_dir: PathBuf,
    pub test_clock: bool,
    /// Provider endpoints, public URL and send policy.
    pub providers: providers::retry::ProvidersConfig,
}
