//! The application: the API routes, the built SPA and the layers around
//! them, assembled over the shared state.

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::response::IntoResponse;
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
    let https = config.https();
    let state = AppState::new(db, config, shutdown);
    if tokio::runtime::Handle::try_current().is_ok() {
        crate::http::session::spawn_pruner(state.clone());
        crate::integrations::worker::spawn(state.clone());
        crate::outbox::recovery::spawn(state.clone());
    }
    prune_pending_statuses(state.clone());
    let api = crate::http::api_routes(&state)
        .route("/api/health", get(health))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .route("/api", axum::routing::any(api_not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::cross_site::guard,
        ))
        .with_state(state);
    let app = api
        .merge(crate::http::static_files::service(&static_dir))
        .layer(CompressionLayer::new());
    crate::http::headers::layer(app, &static_dir, https)
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

/// 200 while writes commit; 503 while they fail (a supervisor or load
/// balancer should stop sending traffic here).
async fn health(State(state): State<AppState>) -> axum::response::Response {
    let ok = state.db.writes_ok();
    let body = Json(optline_api::Health {
        status: if ok { "ok" } else { "storage_failing" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    });
    let status = if ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
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
