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
    /// Live events to and from other server processes (PostgreSQL only).
    relay: std::sync::OnceLock<crate::live_relay::Relay>,
}

impl StateInner {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Sends `event` to each of `users` connected to this or (through the
    /// relay) any other server process.
    pub fn publish(&self, users: &[i64], event: &optline_api::LiveEvent) {
        self.hub.publish(users, event);
        if let Some(r) = self.relay.get() {
            r.event(users, event);
        }
    }

    /// Whether other server processes share the database (the heartbeats
    /// say): the relay sends events only then.
    pub fn set_peers_alive(&self, alive: bool) {
        if let Some(r) = self.relay.get() {
            r.set_peers(alive);
        }
    }

    /// Forgets the cached flow of (`lob`, `channel`), on every process.
    pub fn flow_changed(&self, lob: i64, channel: optline_engine::Channel) {
        self.flows.invalidate(lob, channel);
        if let Some(r) = self.relay.get() {
            r.flow_changed(lob, channel);
        }
    }

    /// Forgets the cached provider settings of numbers, on every process.
    pub fn numbers_changed(&self) {
        self.provider_numbers.clear();
        if let Some(r) = self.relay.get() {
            r.numbers_changed();
        }
    }

    /// Ends the live streams of these sessions, on every process.
    pub fn end_sessions(&self, token_hashes: &[String]) {
        self.hub.end_sessions(token_hashes);
        if let Some(r) = self.relay.get() {
            r.end_sessions(token_hashes);
        }
    }

    /// Ends the live streams of every session of `user` except `keep`, on
    /// every process.
    pub fn end_user_sessions(&self, user: i64, keep: Option<&str>) {
        self.hub.end_user_sessions(user, keep);
        if let Some(r) = self.relay.get() {
            r.end_user_sessions(user, keep);
        }
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
        let state = AppState {
            inner: Arc::new(StateInner {
                db,
                config,
                clock: Default::default(),
                hub: Default::default(),
                flows: Default::default(),
                provider_numbers: Default::default(),
                login_guard: Default::default(),
                shutdown,
                relay: Default::default(),
            }),
        };
        let pg = match state.db.location() {
            crate::storage::Location::Postgres(url) => Some(url.clone()),
            crate::storage::Location::Sqlite(_) => None,
        };
        if let (Some(url), Ok(_)) = (pg, tokio::runtime::Handle::try_current()) {
            let relay = crate::live_relay::Relay::start(url, Arc::downgrade(&state.inner));
            let _ = state.inner.relay.set(relay);
        }
        state
    }
}
