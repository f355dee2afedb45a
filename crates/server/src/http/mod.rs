//! The HTTP layer: the route table, request checks, sessions and roles,
//! and one module per resource. Handlers parse and check input, call the
//! consent layer (or storage for plain reads and admin settings), hand the
//! returned effects to the outbox and answer in the wire types of
//! `optline-api`. No consent decision is made here.

pub mod admin;
pub mod auth;
pub mod conversations;
pub mod error;
pub mod live;
pub mod openapi;
pub mod session;
pub mod simulator;
pub mod static_files;
pub mod test_clock;
pub mod webhooks;

use axum::routing::{get, patch, post};
use axum::Router;

use crate::state::AppState;
use error::{ApiError, ApiResult};

/// Longest message body accepted, in characters.
pub const MAX_BODY_CHARS: usize = 4096;

/// Every `/api/v1` route: (path, method router). The OpenAPI document is
/// checked against this table by a test, so it cannot miss a route.
pub fn api_routes(state: &AppState) -> Router<AppState> {
    let mut r = Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/auth/login", post(session::login))
        .route("/api/v1/auth/logout", post(session::logout))
        .route("/api/v1/me", get(session::me))
        .route("/api/v1/events", get(live::events))
        .route(
            "/api/v1/conversations",
            get(conversations::list).post(conversations::start),
        )
        .route("/api/v1/conversations/{id}", get(conversations::get_one))
        .route(
            "/api/v1/conversations/{id}/messages",
            get(conversations::messages).post(conversations::send),
        )
        .route(
            "/api/v1/conversations/{id}/opt-in-request",
            post(conversations::request_opt_in),
        )
        .route("/api/v1/conversations/{id}/read", post(conversations::mark_read))
        .route(
            "/api/v1/webhooks/whatsapp",
            get(webhooks::whatsapp_handshake).post(webhooks::whatsapp),
        )
        .route("/api/v1/webhooks/twilio/{id}", post(webhooks::twilio))
        .route("/api/v1/sim/inbound", post(simulator::inbound))
        .route("/api/v1/sim/numbers", get(simulator::numbers))
        .route("/api/v1/sim/phones/{phone}/messages", get(simulator::phone))
        .route(
            "/api/v1/admin/users",
            get(admin::users::list).post(admin::users::create),
        )
        .route("/api/v1/admin/users/{id}", patch(admin::users::update))
        .route("/api/v1/admin/numbers", get(admin::numbers::list))
        .route("/api/v1/admin/numbers/{id}", patch(admin::numbers::update))
        .route(
            "/api/v1/admin/flows/{lob}/{channel}",
            get(admin::flows::get_one).put(admin::flows::save),
        )
        .route(
            "/api/v1/admin/flows/{lob}/{channel}/validate",
            post(admin::flows::validate),
        )
        .route("/api/v1/admin/ownership", get(admin::ownership::list))
        .route(
            "/api/v1/admin/ownership/reassign",
            post(admin::ownership::reassign),
        )
        .route(
            "/api/v1/admin/ownership/release",
            post(admin::ownership::release),
        )
        .route("/api/v1/admin/audit", get(admin::audit::list))
        .route("/api/v1/admin/audit.csv", get(admin::audit::csv));
    if state.config.test_clock {
        r = r.route(
            "/api/v1/test/clock",
            get(test_clock::now).post(test_clock::advance),
        );
    }
    r
}

/// Checks a text field: not empty (unless allowed), at most `max`
/// characters, no NUL.
pub fn check_text(s: &str, field: &str, max: usize, allow_empty: bool) -> ApiResult<()> {
    if !allow_empty && s.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "empty",
            field,
            format!("`{field}` must not be empty."),
        ));
    }
    if s.chars().count() > max {
        return Err(ApiError::unprocessable(
            "too_long",
            field,
            format!("`{field}` is longer than {max} characters. Shorten it."),
        ));
    }
    if s.contains('\0') {
        return Err(ApiError::unprocessable(
            "invalid_text",
            field,
            format!("`{field}` contains a NUL character. Remove it."),
        ));
    }
    Ok(())
}

/// A phone number in E.164, or a 422 naming `field`.
pub fn phone_field(raw: &str, field: &str) -> ApiResult<String> {
    Ok(crate::phone::normalize(raw, field)?)
}
