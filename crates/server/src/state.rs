//! What every request handler and background task shares: the database,
//! the configuration, the (test) clock, the live-event hub, the flow cache
//! and the provider settings cache.

use std::sync::Arc;

use crate::storage::Db;
use crate::AppConfig;

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<StateInner>,
}

pub struct StateInner {
    pub db: Db,
    pub config: AppConfig,
    pub clock: crate::clock::Clock,
    pub hub: crate::live::Hub,
    pub flows: crate::consent::FlowCache,
    /// Numbers with a real provider (cleared when an admin changes a number).
    pub provider_numbers: crate::providers::Cache,
    /// Failed-login limits per account and per client address.
    pub login_guard: crate::http::login_guard::LoginGuard,
    /// Turns true when the server is shutting down (ends live streams).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl StateInner {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.inner
    }
}

impl AppState {
    pub fn new(db: Db, config: AppConfig, shutdown: tokio::sync::watch::Receiver<bool>) -> Self {
        AppState {
            inner: Arc::new(StateInner {
                db,
                config,
                clock: Default::default(),
                hub: Default::default(),
                flows: Default::default(),
                provider_numbers: Default::default(),
                login_guard: Default::default(),
                shutdown,
            }),
        }
    }
}
