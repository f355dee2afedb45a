//! `/webhooks/whatsapp` and `/webhooks/twilio/{number id}`: providers call
//! these. Each delivery is verified by its provider's signature, parsed by
//! the provider's adapter into reports, and stored in one write job through
//! the consent layer; the provider is acknowledged only after the commit.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, Path};
use crate::consent;
use crate::outbox;
use crate::providers::{twilio, whatsapp, ProviderConfig, Report, MAX_ITEMS_PER_DELIVERY};
use crate::state::AppState;
use crate::storage::{self, ProviderKind};

fn unauthorized(msg: &str) -> Response {
    ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", msg).into_response()
}

/// Stores one delivery's reports and carries out their effects.
async fn commit(state: &AppState, reports: Vec<Report>) -> Result<(), ApiError> {
    if reports.is_empty() {
        return Ok(());
    }
    let now = state.now();
    let st = state.clone();
    let fx = state
        .db
        .write(move |c| consent::inbound::receive_reports(c, &st.flows, now, &reports))
        .await?;
    outbox::run(state, fx);
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /api/v1/webhooks/whatsapp`: echo `hub.challenge` when the verify
/// token is that of a WhatsApp number here; 403 otherwise.
pub async fn whatsapp_handshake(
    State(state): State<AppState>,
    Query(q): Query<Handshake>,
) -> Response {
    let (Some(mode), Some(token), Some(challenge)) = (q.mode, q.token, q.challenge) else {
        return (
            StatusCode::BAD_REQUEST,
            "hub.mode, hub.verify_token and hub.challenge are required",
        )
            .into_response();
    };
    if mode != "subscribe" {
        return (StatusCode::FORBIDDEN, "hub.mode must be subscribe").into_response();
    }
    let numbers = match state
        .db
        .read(|c| storage::numbers_by_provider(c, ProviderKind::Whatsapp))
        .await
    {
        Ok(n) => n,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let ok = numbers.iter().any(|n| match ProviderConfig::of(n) {
        ProviderConfig::Whatsapp(w) => ct_eq(w.verify_token.as_bytes(), token.as_bytes()),
        _ => false,
    });
    if ok {
        (StatusCode::OK, challenge).into_response()
    } else {
        (StatusCode::FORBIDDEN, "verify token does not match").into_response()
    }
}

/// `POST /api/v1/webhooks/whatsapp`: a signed notification. The signature
/// is checked on the raw body against the app secrets configured here
/// before the body is parsed or the database read for it; 401 (nothing
/// stored) when it is missing or matches none. Then only changes of numbers
/// whose app secret signed it are taken; a change naming a number not here
/// (or another app's) is logged and skipped with 200, since Meta would
/// retry a refusal for days. 200 only after everything taken is committed.
pub async fn whatsapp(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(sig) = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return unauthorized("X-Hub-Signature-256 is missing.");
    };
    let secrets = match state.provider_numbers.whatsapp_secrets(&state.db).await {
        Ok(s) => s,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(secret) = secrets.iter().find(|s| whatsapp::verify(s, &body, &sig)) else {
        return unauthorized("X-Hub-Signature-256 does not match the body.");
    };
    let note: whatsapp::Notification = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            return ApiError::bad_request(
                "malformed_json",
                format!("Not a WhatsApp notification: {e}"),
            )
            .into_response()
        }
    };
    let items = whatsapp::item_count(&note);
    if items > MAX_ITEMS_PER_DELIVERY {
        return too_many(items, "entry");
    }
    let mut numbers = Vec::new();
    for id in whatsapp::named_numbers(&note) {
        let n = match state.provider_numbers.whatsapp(&state.db, &id).await {
            Ok(n) => n,
            Err(e) => return ApiError::from(e).into_response(),
        };
        match n {
            Some(n) if matches!(ProviderConfig::of(&n), ProviderConfig::Whatsapp(w) if w.app_secret == *secret) => {
                numbers.push((id, n))
            }
            Some(_) => tracing::warn!(
                phone_number_id = %id,
                "WhatsApp webhook names a number whose app secret did not sign it; its changes are skipped"
            ),
            None => tracing::warn!(
                phone_number_id = %id,
                "WhatsApp webhook for a phone_number_id that is not a number here; its changes are skipped"
            ),
        }
    }
    match commit(&state, whatsapp::reports(&note, &numbers)).await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => e.into_response(),
    }
}

/// 413: more items in one delivery than [`MAX_ITEMS_PER_DELIVERY`];
/// nothing of it is stored.
fn too_many(items: usize, field: &str) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_items",
        format!(
            "This delivery carries {items} messages and statuses; at most {MAX_ITEMS_PER_DELIVERY} are accepted in one. Nothing of it was stored: send it in smaller batches."
        ),
    )
    .field(field)
    .into_response()
}

/// The URL Twilio called: the configured public origin plus the path and
/// query received (or, without `--public-url`, the Host header's).
fn public_url(state: &AppState, headers: &HeaderMap, uri: &Uri) -> String {
    let pq = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    match &state.config.providers.public_url {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), pq),
        None => {
            let host = headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            let proto = headers
                .get("x-forwarded-proto")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("http");
            format!("{proto}://{host}{pq}")
        }
    }
}

const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

/// The one answer to a Twilio webhook that cannot be verified, whatever
/// the reason (no signature, no such number, not a Twilio number, a body
/// that is not a form, a wrong signature): the same 401 and the same body,
/// so the answer does not tell which number ids exist.
fn twilio_unverified() -> Response {
    unauthorized(
        "X-Twilio-Signature does not verify for this URL and body with the number's auth token (check --public-url and the number's Twilio settings).",
    )
}

#[derive(Debug, Deserialize)]
pub struct TwilioQuery {
    /// The Optline message id a send's status callback URL carries.
    message: Option<i64>,
}

/// `POST /api/v1/webhooks/twilio/{number_id}`: inbound SMS and status
/// callbacks of one number, signed with its auth token.
pub async fn twilio(
    State(state): State<AppState>,
    Path(number_id): Path<i64>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(sig) = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return twilio_unverified();
    };
    let number = match state.provider_numbers.by_id(&state.db, number_id).await {
        Ok(Some(n)) => n,
        Ok(None) => return twilio_unverified(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let ProviderConfig::Twilio(cfg) = ProviderConfig::of(&number) else {
        return twilio_unverified();
    };
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return twilio_unverified();
    };
    if !twilio::verify(
        &cfg.auth_token,
        &public_url(&state, &headers, &uri),
        &params,
        &sig,
    ) {
        return twilio_unverified();
    }
    // Signed: the query is Twilio's (the URL is part of the signature).
    let reference = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<TwilioQuery>(q).ok())
        .and_then(|q| q.message);
    let reports = match twilio::reports(&params, &number, reference) {
        Ok(r) => r,
        Err(bad) => {
            return ApiError::unprocessable("invalid", bad.field, bad.message).into_response()
        }
    };
    match commit(&state, reports).await {
        Ok(()) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "text/xml")],
            EMPTY_TWIML,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
