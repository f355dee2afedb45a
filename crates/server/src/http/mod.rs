//! The HTTP layer: the route table, request checks, sessions and roles,
//! and one module per resource. Handlers parse and check input, call the
//! consent layer (or storage for plain reads and admin settings), hand the
//! returned effects to the outbox and answer in the wire types of
//! `optline-api`. No consent decision is made here.

pub mod admin;
pub mod auth;
pub mod conversations;
pub mod cross_site;
pub mod error;
pub mod headers;
pub mod live;
pub mod login_guard;
pub mod openapi;
pub mod session;
pub mod simulator;
pub mod static_files;
pub mod test_clock;
pub mod webhooks;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::state::AppState;
use error::{ApiError, ApiResult};

/// Longest message body accepted, in characters.
pub const MAX_BODY_CHARS: usize = 4096;

/// One route: its method, path and handler.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
}

fn ep<H, T>(method: Method, path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
    Endpoint {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every `/api/v1` endpoint. The router is built from this list and a test
/// checks the OpenAPI document against it, so the document cannot miss one.
pub fn endpoints(test_clock: bool, simulator: bool) -> Vec<Endpoint> {
    use Method as M;
    let mut v = vec![
        ep(M::GET, "/api/v1/openapi.json", openapi::serve),
        ep(M::POST, "/api/v1/auth/login", session::login),
        ep(M::POST, "/api/v1/auth/logout", session::logout),
        ep(M::GET, "/api/v1/me", session::me),
        ep(M::GET, "/api/v1/session", session::session),
        ep(M::GET, "/api/v1/events", live::events),
        ep(M::GET, "/api/v1/conversations", conversations::list),
        ep(M::POST, "/api/v1/conversations", conversations::start),
        ep(M::GET, "/api/v1/conversations/{id}", conversations::get_one),
        ep(
            M::GET,
            "/api/v1/conversations/{id}/messages",
            conversations::messages,
        ),
        ep(
            M::POST,
            "/api/v1/conversations/{id}/messages",
            conversations::send,
        ),
        ep(
            M::POST,
            "/api/v1/conversations/{id}/opt-in-request",
            conversations::request_opt_in,
        ),
        ep(
            M::POST,
            "/api/v1/conversations/{id}/read",
            conversations::mark_read,
        ),
        ep(
            M::POST,
            "/api/v1/conversations/{id}/manual-opt-out",
            conversations::record_opt_out,
        ),
        ep(
            M::POST,
            "/api/v1/conversations/{id}/manual-opt-in",
            conversations::record_opt_in,
        ),
        ep(
            M::GET,
            "/api/v1/webhooks/whatsapp",
            webhooks::whatsapp_handshake,
        ),
        ep(M::POST, "/api/v1/webhooks/whatsapp", webhooks::whatsapp),
        ep(M::POST, "/api/v1/webhooks/twilio/{id}", webhooks::twilio),
        ep(M::GET, "/api/v1/admin/users", admin::users::list),
        ep(M::POST, "/api/v1/admin/users", admin::users::create),
        ep(M::PATCH, "/api/v1/admin/users/{id}", admin::users::update),
        ep(M::GET, "/api/v1/admin/numbers", admin::numbers::list),
        ep(
            M::PATCH,
            "/api/v1/admin/numbers/{id}",
            admin::numbers::update,
        ),
        ep(
            M::GET,
            "/api/v1/admin/flows/{lob}/{channel}",
            admin::flows::get_one,
        ),
        ep(
            M::PUT,
            "/api/v1/admin/flows/{lob}/{channel}",
            admin::flows::save,
        ),
        ep(
            M::POST,
            "/api/v1/admin/flows/{lob}/{channel}/validate",
            admin::flows::validate,
        ),
        ep(M::GET, "/api/v1/admin/ownership", admin::ownership::list),
        ep(
            M::POST,
            "/api/v1/admin/ownership/reassign",
            admin::ownership::reassign,
        ),
        ep(
            M::POST,
            "/api/v1/admin/ownership/release",
            admin::ownership::release,
        ),
        ep(
            M::PUT,
            "/api/v1/admin/contacts/{id}/time-zone",
            admin::contacts::set_time_zone,
        ),
        ep(M::GET, "/api/v1/admin/audit", admin::audit::list),
        ep(M::GET, "/api/v1/admin/audit.csv", admin::audit::csv),
        ep(M::GET, "/api/v1/admin/insights", admin::insights::get),
        // Outgoing webhooks and proof of consent (#15).
        ep(M::GET, "/api/v1/admin/webhooks", admin::integrations::list),
        ep(
            M::POST,
            "/api/v1/admin/webhooks",
            admin::integrations::create,
        ),
        ep(
            M::GET,
            "/api/v1/admin/webhooks/{id}",
            admin::integrations::get_one,
        ),
        ep(
            M::PATCH,
            "/api/v1/admin/webhooks/{id}",
            admin::integrations::update,
        ),
        ep(
            M::DELETE,
            "/api/v1/admin/webhooks/{id}",
            admin::integrations::delete,
        ),
        ep(
            M::POST,
            "/api/v1/admin/webhooks/{id}/rotate-secret",
            admin::integrations::rotate_secret,
        ),
        ep(
            M::POST,
            "/api/v1/admin/webhooks/{id}/test",
            admin::integrations::send_test,
        ),
        ep(
            M::GET,
            "/api/v1/admin/webhooks/{id}/deliveries",
            admin::integrations::deliveries,
        ),
        ep(
            M::POST,
            "/api/v1/admin/webhooks/{id}/deliveries/{delivery}/resend",
            admin::integrations::resend,
        ),
        ep(
            M::GET,
            "/api/v1/admin/contacts/{id}/consent-proof",
            admin::proof::consent_proof,
        ),
        ep(
            M::GET,
            "/api/v1/admin/consent-proof",
            admin::proof::consent_proof_by_phone,
        ),
    ];
    if simulator {
        v.push(ep(M::POST, "/api/v1/sim/inbound", simulator::inbound));
        v.push(ep(M::GET, "/api/v1/sim/numbers", simulator::numbers));
        v.push(ep(
            M::GET,
            "/api/v1/sim/phones/{phone}/messages",
            simulator::phone,
        ));
    }
    if test_clock {
        v.push(ep(M::GET, "/api/v1/test/clock", test_clock::now));
        v.push(ep(M::POST, "/api/v1/test/clock", test_clock::advance));
    }
    v
}

/// The `/api/v1` router (several methods on one path merge).
pub fn api_routes(state: &AppState) -> Router<AppState> {
    endpoints(state.config.test_clock, state.config.simulator)
        .into_iter()
        .fold(Router::new(), |r, e| r.route(e.path, e.handler))
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
