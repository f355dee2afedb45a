//! The HTTP application: routes, shared state, layers.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;

use crate::error::{ApiError, Json};
use crate::storage::Db;
use crate::AppConfig;

/// Largest accepted request body (413 past it).
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<StateInner>,
}

pub struct StateInner {
    pub db: Db,
    pub config: AppConfig,
    pub clock: crate::clock::Clock,
    pub hub: crate::events::Hub,
    pub flows: crate::service::FlowCache,
    /// Numbers with a real provider (cleared when an admin changes a number).
    pub provider_numbers: crate::providers::Cache,
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

pub fn router(db: Db, config: AppConfig) -> Router {
    let (tx, rx) = tokio::sync::watch::channel(false);
    // Never shut down: keep the sender alive for the program's life.
    std::mem::forget(tx);
    router_with_shutdown(db, config, rx)
}

/// The router; live event streams end when `shutdown` turns true, so a
/// graceful shutdown does not wait for them forever.
pub fn router_with_shutdown(
    db: Db,
    config: AppConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Router {
    let static_dir = config.static_dir.clone();
    let state = AppState {
        inner: Arc::new(StateInner {
            db,
            config,
            clock: Default::default(),
            hub: Default::default(),
            flows: Default::default(),
            provider_numbers: Default::default(),
            shutdown,
        }),
    };
    let api = crate::routes::api_routes(state.clone())
        .route("/api/health", get(health))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/api", axum::routing::any(api_not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    api.merge(crate::static_files::service(&static_dir))
        .layer(CompressionLayer::new())
}

async fn health() -> Json<optline_api::Health> {
    Json(optline_api::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

async fn api_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_such_endpoint",
        format!(
            "There is no API endpoint at {}. See /api/v1/openapi.json for the list.",
            uri.path()
        ),
    )
}
