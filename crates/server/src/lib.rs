//! Optline's server as a library (the binary in main.rs is a thin CLI).

//!
//! Layers, each depending only on those below it:
//! `http` (handlers, errors, sessions) → `consent` (the one place that runs
//! the engine, inside the writer's transaction) → `storage` (typed rows,
//! migrations, the writer); after a commit `outbox` carries out the effects
//! (live events, provider sends, simulator delivery) through `providers`
//! (wire formats of WhatsApp and Twilio). `views` turns rows into API types.
//! `integrations` writes outgoing webhook events in the consent layer's
//! transaction and delivers them from their outbox in a background task.

pub mod app;
pub mod clock;
pub mod consent;
pub mod field_error;
pub mod http;
pub mod integrations;
pub mod live;
pub mod live_relay;
pub mod outbox;
pub mod phone;
pub mod phone_zones;
pub mod providers;
pub mod secrets;
pub mod seed;
pub mod seed_audit;
pub mod state;
pub mod storage;
pub mod views;

use std::path::PathBuf;

/// Runtime configuration taken from flags / environment.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub static_dir: PathBuf,
    pub test_clock: bool,
    /// The built-in simulator's endpoints are served (`--simulator`).
    pub simulator: bool,
    /// Provider endpoints, public URL and send policy.
    pub providers: providers::retry::ProvidersConfig,
    /// A session unused this long ends (besides the 12-hour limit).
    pub session_idle_minutes: i64,
    /// Outgoing webhooks: destinations allowed, retry policy.
    pub webhooks: integrations::Config,
    /// Another server process on the same database not seen this long has
    /// stopped: its queued sends are recovered (`outbox::recovery`).
    pub peer_timeout: std::time::Duration,
}

impl AppConfig {
    /// The public origin (`https://host[:port]`, no path), when
    /// `--public-url` is set.
    pub fn public_origin(&self) -> Option<String> {
        let url = self.providers.public_url.as_deref()?.trim();
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() {
            return None;
        }
        Some(format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            authority.to_ascii_lowercase()
        ))
    }

    /// True behind an https `--public-url`: `__Host-` Secure cookies, HSTS.
    pub fn https(&self) -> bool {
        self.public_origin()
            .is_some_and(|o| o.starts_with("https://"))
    }

    pub fn session_idle(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.session_idle_minutes.max(1))
    }
}
