//! WhatsApp Cloud API: the webhook's signature and payload, and the send
//! request and its answer.
//!
//! Meta signs every notification with `X-Hub-Signature-256: sha256=<hex>`,
//! the HMAC-SHA256 of the raw body keyed with the app secret. One app (one
//! secret, one callback URL) may serve several phone numbers, so the
//! endpoint is shared and each change names its number by
//! `value.metadata.phone_number_id`. The handler checks the signature on the
//! raw body against the app secrets configured here before anything else,
//! then accepts only changes of numbers whose app secret is the one that
//! signed. Each send carries Optline's message id in
//! `biz_opaque_callback_data`, which Meta echoes on the message's statuses,
//! so a send whose answer was lost is still settled by its status.

use hmac::{Hmac, Mac};
use optline_api::DeliveryStatus;
use optline_engine::{Channel, TemplateSend};
use serde::Deserialize;
use sha2_010::Sha256;

use super::client::{Answer, Post};
use super::retry::{status_outcome, Outcome};
use super::{raw_address, ButtonTap, InboundMessage, Report, StatusReport, WhatsAppConfig};
use crate::storage::{NumberRow, ProviderKind};

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
    /// `type: "button"`: a template's quick-reply button was tapped.
    pub button: Option<WaButton>,
    /// `type: "interactive"`: a reply to an interactive message.
    pub interactive: Option<WaInteractive>,
}

/// A tapped template quick-reply button: the payload the send set, and the
/// button's label.
#[derive(Debug, Deserialize)]
pub struct WaButton {
    #[serde(default)]
    pub payload: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Deserialize)]
pub struct WaInteractive {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub button_reply: Option<WaButtonReply>,
}

/// An interactive reply button: its id (the payload) and title (label).
#[derive(Debug, Deserialize)]
pub struct WaButtonReply {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: String,
}

/// What a message says: its text, or the button tapped (label as the text
/// people see), or the type Optline does not read.
fn content(m: &WaMessage) -> (String, Option<ButtonTap>, Option<String>) {
    let tap = |payload: &str, label: &str| {
        let tap = ButtonTap {
            payload: payload.to_string(),
            label: label.to_string(),
        };
        (label.to_string(), Some(tap), None)
    };
    match (m.kind.as_str(), &m.text, &m.button, &m.interactive) {
        ("text", Some(t), _, _) => (t.body.clone(), None, None),
        ("button", _, Some(b), _) => tap(&b.payload, &b.text),
        (
            "interactive",
            _,
            _,
            Some(WaInteractive {
                kind,
                button_reply: Some(r),
            }),
        ) if kind == "button_reply" => tap(&r.id, &r.title),
        (k, ..) => {
            let k = if k.is_empty() { "unknown" } else { k };
            (format!("[{k} message]"), None, Some(k.to_string()))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WaText {
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct WaStatus {
    pub id: String,
    pub status: String,
    /// What the send put in `biz_opaque_callback_data` (see [`reference`]).
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    pub errors: Vec<WaError>,
}

#[derive(Debug, Deserialize)]
pub struct WaError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub message: Option<String>,
}

fn status_of(s: &str) -> Option<DeliveryStatus> {
    Some(match s {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
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

/// The `biz_opaque_callback_data` a send carries for message `id`.
pub fn callback_data(id: i64) -> String {
    format!("optline:{id}")
}

/// Optline's message id in a status's `biz_opaque_callback_data`.
pub fn reference(data: Option<&str>) -> Option<i64> {
    data?.strip_prefix("optline:")?.parse().ok()
}

/// How many messages and statuses a notification carries (checked against
/// `MAX_ITEMS_PER_DELIVERY` before anything is stored).
pub fn item_count(note: &Notification) -> usize {
    note.entry
        .iter()
        .flat_map(|e| e.changes.iter())
        .map(|c| c.value.messages.len() + c.value.statuses.len())
        .sum()
}

/// The `phone_number_id`s a notification names (to find their numbers and
/// app secrets before trusting anything else in it).
pub fn named_numbers(note: &Notification) -> Vec<String> {
    let mut ids: Vec<String> = note
        .entry
        .iter()
        .flat_map(|e| e.changes.iter())
        .filter_map(|c| c.value.metadata.as_ref().map(|m| m.phone_number_id.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What a verified notification reports, for the numbers in `numbers`
/// (phone_number_id → number). Only `messages` changes carry messages and
/// statuses; other fields (template or account updates) are ignored.
pub fn reports(note: &Notification, numbers: &[(String, NumberRow)]) -> Vec<Report> {
    let mut out = Vec::new();
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
            // Meta gives digits without the `+`. A sender the phone library
            // rejects is kept as Meta gave it and flagged, never dropped.
            let digits: String = m.from.chars().filter(|c| c.is_ascii_digit()).collect();
            let (from, sender_unverified) =
                match crate::phone::normalize(&format!("+{digits}"), "from") {
                    Ok(e164) => (e164, false),
                    Err(_) => (raw_address(&m.from), true),
                };
            let (body, button, unsupported) = content(m);
            out.push(Report::Message(InboundMessage {
                number: number.clone(),
                channel: Channel::WhatsApp,
                from,
                body,
                provider: ProviderKind::Whatsapp,
                provider_message_id: m.id.clone(),
                unsupported,
                button,
                carrier_opt_out: false,
                sender_unverified,
                signature_verified: true,
            }));
        }
        for s in &change.value.statuses {
            let Some(status) = status_of(&s.status) else {
                continue;
            };
            out.push(Report::Status(StatusReport {
                number_id: number.id,
                reference: reference(s.biz_opaque_callback_data.as_deref()),
                provider: ProviderKind::Whatsapp,
                provider_message_id: s.id.clone(),
                status,
                error: (status == DeliveryStatus::Failed).then(|| {
                    error_text(&s.errors)
                        .unwrap_or_else(|| "WhatsApp reported the message failed".into())
                }),
            }));
        }
    }
    out
}

/// The template object of a send: the flow's template (else the number's),
/// its body parameters in the flow's order and the quick-reply payloads by
/// button index (Meta echoes a tapped button's payload on the webhook).
fn template_json(cfg: &WhatsAppConfig, t: &TemplateSend) -> serde_json::Value {
    let mut components = Vec::new();
    if !t.body_parameters.is_empty() {
        let parameters: Vec<_> = t
            .body_parameters
            .iter()
            .map(|text| serde_json::json!({"type": "text", "text": text}))
            .collect();
        components.push(serde_json::json!({"type": "body", "parameters": parameters}));
    }
    for (index, payload) in t.quick_reply_payloads.iter().enumerate() {
        components.push(serde_json::json!({
            "type": "button",
            "sub_type": "quick_reply",
            "index": index.to_string(),
            "parameters": [{"type": "payload", "payload": payload}]
        }));
    }
    let mut v = serde_json::json!({
        "name": t.name.as_deref().unwrap_or(&cfg.template_name),
        "language": {"code": t.language.as_deref().unwrap_or(&cfg.template_language)},
    });
    if !components.is_empty() {
        v["components"] = serde_json::Value::Array(components);
    }
    v
}

/// The JSON body of a send of Optline message `id`: the approved template
/// exactly when the engine said the message must be one (the opt-in
/// request; `template` carries what the engine says goes in it), free text
/// otherwise.
pub fn send_body(
    cfg: &WhatsAppConfig,
    id: i64,
    to: &str,
    text: &str,
    template: Option<&TemplateSend>,
) -> serde_json::Value {
    let to = to.trim_start_matches('+');
    if let Some(t) = template {
        serde_json::json!({
            "messaging_product": "whatsapp",
            "to": to,
            "type": "template",
            "template": template_json(cfg, t),
            "biz_opaque_callback_data": callback_data(id)
        })
    } else {
        serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": false, "body": text},
            "biz_opaque_callback_data": callback_data(id)
        })
    }
}

/// The send request for Optline message `id`.
#[allow(clippy::too_many_arguments)]
pub fn send_request(
    cfg: &WhatsAppConfig,
    base_url: &str,
    api_version: &str,
    id: i64,
    to: &str,
    text: &str,
    template: Option<&TemplateSend>,
) -> Post {
    Post {
        url: format!(
            "{}/{}/{}/messages",
            base_url.trim_end_matches('/'),
            api_version,
            cfg.phone_number_id
        ),
        authorization: format!("Bearer {}", cfg.access_token),
        content_type: "application/json",
        body: send_body(cfg, id, to, text, template)
            .to_string()
            .into_bytes(),
    }
}

/// What the Cloud API's answer to a send means.
pub fn send_outcome(answer: Answer) -> Outcome {
    let (status, v, after) = match answer {
        Answer::Http(s, v, a) => (s, v, a),
        Answer::Timeout => return Outcome::Unknown("WhatsApp did not answer in time".into()),
        Answer::Interrupted => {
            return Outcome::Unknown("the connection to WhatsApp broke before its answer".into())
        }
        Answer::Unreachable => {
            return Outcome::Retry {
                reason: "WhatsApp could not be reached".into(),
                after: None,
            }
        }
        Answer::Invalid => {
            return Outcome::Permanent("the WhatsApp request could not be built".into())
        }
    };
    if (200..300).contains(&status) {
        return match v["messages"][0]["id"].as_str() {
            Some(id) if !id.is_empty() => Outcome::Accepted(id.to_string()),
            _ => Outcome::Permanent(
                "WhatsApp accepted the message but returned no message id".into(),
            ),
        };
    }
    let e = &v["error"];
    let reason = match (e["code"].as_i64(), e["message"].as_str()) {
        (Some(c), Some(m)) => format!("WhatsApp error {c}: {m} (HTTP {status})"),
        _ => format!("WhatsApp answered HTTP {status}"),
    };
    status_outcome(status, reason, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(json: &str) -> WaMessage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn button_taps_carry_payload_and_label_other_interactive_types_are_unsupported() {
        let (body, tap, unsupported) = content(&message(
            r#"{"id":"w1","from":"1","type":"button","button":{"payload":"OPTIN_YES","text":"Yes"}}"#,
        ));
        assert_eq!(body, "Yes");
        assert_eq!(tap.unwrap().payload, "OPTIN_YES");
        assert_eq!(unsupported, None);
        let (body, tap, _) = content(&message(
            r#"{"id":"w2","from":"1","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"OPTIN_NO","title":"No"}}}"#,
        ));
        assert_eq!(
            (body.as_str(), tap.unwrap().payload.as_str()),
            ("No", "OPTIN_NO")
        );
        // A list reply is not a consent button: shown, never read.
        let (_, tap, unsupported) = content(&message(
            r#"{"id":"w3","from":"1","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"a","title":"A"}}}"#,
        ));
        assert_eq!((tap, unsupported.as_deref()), (None, Some("interactive")));
        // A button message without its button object is unsupported too.
        let (_, tap, unsupported) = content(&message(r#"{"id":"w4","from":"1","type":"button"}"#));
        assert_eq!((tap, unsupported.as_deref()), (None, Some("button")));
    }

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
