//! The application: the API routes, the built SPA and the layers around
//! them, assembled over the shared state.

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;

use crate::http::error::{ApiError, Json};
use crate::state::AppState;
use crate::storage::Db;
use crate::AppConfig;

/// Largest accepted request body (413 past it).
pub const BODY_LIMIT: usize = 256 * 1024;

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
    let state = AppState::new(db, config, shutdown);
    prune_pending_statuses(state.clone());
    let api = crate::http::api_routes(&state)
        .route("/api/health", get(health))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/api", axum::routing::any(api_not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    api.merge(crate::http::static_files::service(&static_dir))
        .layer(CompressionLayer::new())
}

/// Deletes, at start and every hour, delivery statuses that waited more than
/// a day for their message (deliveries with statuses also prune as they
/// go; this covers a server that stops receiving them).
fn prune_pending_statuses(state: AppState) {
    tokio::spawn(async move {
        let mut shutdown = state.shutdown.clone();
        loop {
            let before =
                crate::clock::fmt(state.now() - crate::consent::inbound::PENDING_STATUS_TTL);
            let _ = state
                .db
                .write(move |c| crate::storage::pending_statuses_prune(c, &before))
                .await;
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
                _ = shutdown.changed() => return,
            }
        }
    });
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
