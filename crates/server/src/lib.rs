//! Optline's server as a library (the binary in main.rs is a thin CLI).

pub mod app;
pub mod error;
pub mod seed;
pub mod static_files;
pub mod storage;

use std::path::PathBuf;

/// Runtime configuration taken from flags / environment.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub static_dir: PathBuf,
    pub test_clock: bool,
}
