//! WhatsApp Cloud API: the webhook (verification handshake and signed
//! notifications) and the send request.
//!
//! Meta signs every notification with `X-Hub-Signature-256: sha256=<hex>`,
//! the HMAC-SHA256 of the raw body keyed with the app secret. One app (one
//! secret, one callback URL) may serve several phone numbers, so the
//! endpoint is shared and each change names its number by
//! `value.metadata.phone_number_id`; the signature must verify with the app
//! secret of every number the delivery names.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2_010::Sha256;

use super::{ProviderConfig, WebhookItem};
use crate::app::AppState;
use crate::error::ApiError;
use crate::storage::{self, NumberRow};

type HmacSha256 = Hmac<Sha256>;

/// `sha256=<hex>` of `body` with `secret` (what Meta sends; tests and the
/// load generator sign with it).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Constant-time check of an `X-Hub-Signature-256` header value.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

// ------------------------------------------------------------ payload

#[derive(Debug, Deserialize)]
pub struct Notification {
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub field: String,
    pub value: Value,
}

#[derive(Debug, Deserialize)]
pub struct Value {
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub messages: Vec<WaMessage>,
    #[serde(default)]
    pub statuses: Vec<WaStatus>,
}

#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub phone_number_id: String,
}

#[derive(Debug, Deserialize)]
pub struct WaMessage {
    pub id: String,
    pub from: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    pub text: Option<WaText>,
}

#[derive(Debug, Deserialize)]
pub struct WaText {
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct WaStatus {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub errors: Vec<WaError>,
}

#[derive(Debug, Deserialize)]
pub struct WaError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub message: Option<String>,
}

fn status_of(s: &str) -> Option<&'static str> {
    Some(match s {
        "sent" => "sent",
        "delivered" => "delivered",
        "read" => "read",
        "failed" => "failed",
        _ => return None,
    })
}

pub fn error_text(errors: &[WaError]) -> Option<String> {
    let e = errors.first()?;
    let what = e
        .title
        .clone()
        .or_else(|| e.message.clone())
        .unwrap_or_else(|| "unknown error".into());
    Some(match e.code {
        Some(code) => format!("WhatsApp error {code}: {what}"),
        None => format!("WhatsApp error: {what}"),
    })
}

// ------------------------------------------------------------ handlers

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
pub async fn handshake(State(state): State<AppState>, Query(q): Query<Handshake>) -> Response {
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
        .read(|c| storage::numbers_by_provider(c, "whatsapp"))
        .await
    {
        Ok(n) => n,
        Err(e) => return e.into_response(),
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

fn unauthorized(msg: &str) -> Response {
    ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", msg).into_response()
}

/// `POST /api/v1/webhooks/whatsapp`: a signed notification. 200 only after
/// everything it carries is committed; 401 (nothing stored) when the
/// signature is missing or wrong.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(sig) = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return unauthorized("X-Hub-Signature-256 is missing.");
    };
    let note: Notification = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            return ApiError::bad_request(
                "malformed_json",
                format!("Not a WhatsApp notification: {e}"),
            )
            .into_response()
        }
    };
    // The numbers it names.
    let mut ids: Vec<String> = note
        .entry
        .iter()
        .flat_map(|e| e.changes.iter())
        .filter_map(|c| c.value.metadata.as_ref().map(|m| m.phone_number_id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    let numbers = match lookup(&state, ids).await {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    if numbers.is_empty() {
        return unauthorized("No WhatsApp number here matches this notification's phone_number_id, so it cannot be verified.");
    }
    for (_, n) in &numbers {
        let ProviderConfig::Whatsapp(w) = ProviderConfig::of(n) else {
            return unauthorized("not a WhatsApp number");
        };
        if !verify(&w.app_secret, &body, &sig) {
            return unauthorized("X-Hub-Signature-256 does not match the body.");
        }
    }
    let mut items = Vec::new();
    // Only `messages` changes carry messages and statuses; other fields
    // (template or account updates) are acknowledged and ignored.
    for change in note
        .entry
        .iter()
        .flat_map(|e| e.changes.iter())
        .filter(|c| c.field == "messages" || c.field.is_empty())
    {
        let Some(meta) = &change.value.metadata else {
            continue;
        };
        let Some((_, number)) = numbers.iter().find(|(k, _)| *k == meta.phone_number_id) else {
            continue;
        };
        for m in &change.value.messages {
            let digits: String = m.from.chars().filter(|c| c.is_ascii_digit()).collect();
            let Ok(from) = crate::phone::normalize(&format!("+{digits}"), "from") else {
                continue;
            };
            let (body, unsupported) = match (m.kind.as_str(), &m.text) {
                ("text", Some(t)) => (t.body.clone(), None),
                (k, _) => {
                    let k = if k.is_empty() { "unknown" } else { k };
                    (format!("[{k} message]"), Some(k.to_string()))
                }
            };
            items.push(WebhookItem::Inbound {
                number: number.clone(),
                channel: "whatsapp",
                from,
                body,
                provider_message_id: m.id.clone(),
                unsupported,
                carrier_stop: false,
            });
        }
        for s in &change.value.statuses {
            let Some(status) = status_of(&s.status) else {
                continue;
            };
            items.push(WebhookItem::Status {
                provider_message_id: s.id.clone(),
                status: status.into(),
                error: if status == "failed" {
                    error_text(&s.errors)
                        .or_else(|| Some("WhatsApp reported the message failed".into()))
                } else {
                    None
                },
            });
        }
    }
    match super::commit_items(&state, "whatsapp", items).await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn lookup(state: &AppState, ids: Vec<String>) -> Result<Vec<(String, NumberRow)>, ApiError> {
    let mut v = Vec::new();
    for id in ids {
        if let Some(n) = state.provider_numbers.whatsapp(&state.db, &id).await? {
            v.push((id, n));
        }
    }
    Ok(v)
}

/// The JSON body of a send: free-form text inside the 24-hour window, the
/// configured template (the opt-in request) outside it.
pub fn send_body(
    cfg: &super::WhatsAppConfig,
    to: &str,
    text: &str,
    in_window: bool,
) -> serde_json::Value {
    let to = to.trim_start_matches('+');
    if in_window {
        serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": false, "body": text}
        })
    } else {
        serde_json::json!({
            "messaging_product": "whatsapp",
            "to": to,
            "type": "template",
            "template": {"name": cfg.template_name, "language": {"code": cfg.template_language}}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_the_raw_body() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let want = "sha256=9ad562e605c605da13e5f88a6cd28686f2c0c3c2ebea47eeb3d220e23a8777c3";
        assert_eq!(sign("k3y", body), want);
        assert!(verify("k3y", body, want));
        assert!(!verify(
            "k3y",
            br#"{"object":"whatsapp_business_account" }"#,
            want
        ));
        assert!(!verify("other", body, want));
        assert!(!verify("k3y", body, &want[7..]));
        assert!(!verify("k3y", body, "sha256=zz"));
    }
}
