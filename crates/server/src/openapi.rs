//! The OpenAPI document, generated from the crates/api types.

use axum::response::IntoResponse;

pub async fn serve() -> impl IntoResponse {
    axum::Json(serde_json::json!({}))
}
