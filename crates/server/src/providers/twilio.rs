//! Twilio SMS: the signed webhook (inbound messages and status callbacks of
//! one business number, `POST /api/v1/webhooks/twilio/{number_id}`) and the
//! Messages resource.
//!
//! Twilio signs with `X-Twilio-Signature`: base64 of HMAC-SHA1 keyed with the
//! account's auth token over the full URL Twilio called followed by every
//! POST parameter's name and value, sorted by name. The server sits behind
//! proxies, so the URL's origin comes from `--public-url`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{ProviderConfig, WebhookItem};
use crate::app::AppState;
use crate::error::{ApiError, Path};
use crate::storage;

type HmacSha1 = Hmac<Sha1>;

fn mac_input(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut s = url.as_bytes().to_vec();
    for (k, v) in sorted {
        s.extend_from_slice(k.as_bytes());
        s.extend_from_slice(v.as_bytes());
    }
    s
}

/// `X-Twilio-Signature` of a POST to `url` with form `params`.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(&mac_input(url, params));
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time check of a signature header.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = HmacSha1::new_from_slice(auth_token.as_bytes()) else {
        return false;
    };
    mac.update(&mac_input(url, params));
    mac.verify_slice(&sig).is_ok()
}

/// The URL Twilio called: the configured public origin plus the path and
/// query received (or, without `--public-url`, the Host header's).
pub fn public_url(state: &AppState, headers: &HeaderMap, uri: &Uri) -> String {
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

fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn status_of(s: &str) -> Option<&'static str> {
    Some(match s {
        "accepted" | "queued" | "sending" | "scheduled" => "queued",
        "sent" => "sent",
        "delivered" => "delivered",
        "read" => "read",
        "undelivered" | "failed" | "canceled" => "failed",
        _ => return None,
    })
}

const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";

/// `POST /api/v1/webhooks/twilio/{number_id}`.
pub async fn receive(
    State(state): State<AppState>,
    Path(number_id): Path<i64>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let unauthorized =
        |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", m).into_response();
    let Some(sig) = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return unauthorized("X-Twilio-Signature is missing.");
    };
    let number = match state
        .db
        .read(move |c| storage::number_by_id(c, number_id))
        .await
    {
        Ok(Some(n)) => n,
        Ok(None) => return ApiError::not_found("business number").into_response(),
        Err(e) => return e.into_response(),
    };
    let ProviderConfig::Twilio(cfg) = ProviderConfig::of(&number) else {
        return unauthorized("This business number is not configured for Twilio.");
    };
    let params: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(p) => p,
        Err(e) => {
            return ApiError::bad_request("malformed_form", format!("Not a form body: {e}"))
                .into_response()
        }
    };
    let url = public_url(&state, &headers, &uri);
    if !verify(&cfg.auth_token, &url, &params, &sig) {
        return unauthorized(
            "X-Twilio-Signature does not match this URL and body (check --public-url).",
        );
    }
    let Some(sid) = get(&params, "MessageSid").or_else(|| get(&params, "SmsSid")) else {
        return ApiError::unprocessable("required", "MessageSid", "MessageSid is missing.")
            .into_response();
    };
    let status = get(&params, "MessageStatus").or_else(|| get(&params, "SmsStatus"));
    let is_inbound = get(&params, "Body").is_some() && matches!(status, None | Some("received"));
    let mut items = Vec::new();
    if is_inbound {
        let from = match crate::phone::normalize(get(&params, "From").unwrap_or(""), "From") {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        let body = get(&params, "Body").unwrap_or("").to_string();
        let media: usize = get(&params, "NumMedia")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let unsupported = (media > 0 && body.trim().is_empty()).then(|| "mms".to_string());
        items.push(WebhookItem::Inbound {
            carrier_stop: super::is_carrier_stop(&body),
            number,
            channel: "sms",
            from,
            body: if unsupported.is_some() {
                "[MMS message]".into()
            } else {
                body
            },
            provider_message_id: sid.to_string(),
            unsupported,
        });
    } else if let Some(st) = status.and_then(status_of) {
        let error = (st == "failed").then(|| match get(&params, "ErrorCode") {
            Some(code) => format!(
                "Twilio error {code}: {}",
                get(&params, "ErrorMessage").unwrap_or("the carrier did not deliver the message")
            ),
            None => format!("Twilio reported the message {}", status.unwrap_or("failed")),
        });
        items.push(WebhookItem::Status {
            provider_message_id: sid.to_string(),
            status: st.into(),
            error,
        });
    }
    match super::commit_items(&state, "twilio", items).await {
        Ok(()) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "text/xml")],
            EMPTY_TWIML,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_twilios_documented_example() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        let params = vec![
            p("To", "+18005551212"),
            p("CallSid", "CA1234567890ABCDE"),
            p("Digits", "1234"),
            p("From", "+12349013030"),
            p("Caller", "+12349013030"),
        ];
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(sign("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify(
            "12345",
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!verify(
            "12346",
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!verify(
            "12345",
            url,
            &params[1..],
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!verify("12345", url, &params, "not base64!"));
    }

    #[test]
    fn carrier_stop_words() {
        for w in ["STOP", "stop", " Stop. ", "END", "unsubscribe", "Quit!"] {
            assert!(super::super::is_carrier_stop(w), "{w}");
        }
        for w in ["stop texting me", "yes", "STOPPED", ""] {
            assert!(!super::super::is_carrier_stop(w), "{w}");
        }
    }
}
