//! Twilio SMS: the webhook's signature and parameters (inbound messages and
//! status callbacks of one business number), and the Messages resource's
//! request and answer.
//!
//! Twilio signs with `X-Twilio-Signature`: base64 of HMAC-SHA1 keyed with the
//! account's auth token over the full URL Twilio called followed by every
//! POST parameter's name and value, sorted by name. The server sits behind
//! proxies, so the URL's origin comes from `--public-url`. A send's status
//! callback URL carries Optline's message id (`?message=<id>`), covered by
//! the signature, so a send whose answer was lost is still settled by its
//! status.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use optline_api::DeliveryStatus;
use optline_engine::Channel;
use sha1::Sha1;

use super::client::{Answer, Post};
use super::retry::{status_outcome, Outcome};
use super::{sender_address, InboundMessage, Report, StatusReport, TwilioConfig};
use crate::storage::{NumberRow, ProviderKind};

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

/// Twilio's error code for a send to a recipient who replied STOP.
const UNSUBSCRIBED_RECIPIENT: i64 = 21610;

fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn status_of(s: &str) -> Option<DeliveryStatus> {
    Some(match s {
        "accepted" | "queued" | "sending" | "scheduled" => DeliveryStatus::Queued,
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "undelivered" | "failed" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// A webhook the adapter cannot read: the parameter and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct BadParams {
    pub field: &'static str,
    pub message: &'static str,
}

/// What a verified webhook of `number` reports; `reference` is the message
/// id the status callback URL carries (see [`status_callback`]).
pub fn reports(
    params: &[(String, String)],
    number: &NumberRow,
    reference: Option<i64>,
) -> Result<Vec<Report>, BadParams> {
    let Some(sid) = get(params, "MessageSid").or_else(|| get(params, "SmsSid")) else {
        return Err(BadParams {
            field: "MessageSid",
            message: "MessageSid is missing.",
        });
    };
    let status = get(params, "MessageStatus").or_else(|| get(params, "SmsStatus"));
    let is_inbound = get(params, "Body").is_some() && matches!(status, None | Some("received"));
    if is_inbound {
        // Twilio does not retry: a sender the phone library rejects is kept
        // as Twilio gave it and flagged, never dropped.
        let (from, sender_unverified) = sender_address(get(params, "From").unwrap_or(""), "From");
        let body = get(params, "Body").unwrap_or("").to_string();
        let media: usize = get(params, "NumMedia")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let unsupported = (media > 0 && body.trim().is_empty()).then(|| "mms".to_string());
        // Twilio acts on the standard opt-out words itself (and says so with
        // OptOutType when Advanced Opt-Out is on); which words those are is
        // the engine's knowledge.
        let carrier_opt_out = get(params, "OptOutType")
            .is_some_and(|t| t.eq_ignore_ascii_case("STOP"))
            || optline_engine::is_carrier_opt_out(&body);
        return Ok(vec![Report::Message(InboundMessage {
            number: number.clone(),
            channel: Channel::Sms,
            from,
            body: if unsupported.is_some() {
                "[MMS message]".into()
            } else {
                body
            },
            provider: ProviderKind::Twilio,
            provider_message_id: sid.to_string(),
            unsupported,
            button: None,
            carrier_opt_out,
            sender_unverified,
            signature_verified: true,
        })]);
    }
    let Some(st) = status.and_then(status_of) else {
        return Ok(Vec::new());
    };
    let error = (st == DeliveryStatus::Failed).then(|| match get(params, "ErrorCode") {
        Some(code) => format!(
            "Twilio error {code}: {}",
            get(params, "ErrorMessage").unwrap_or("the carrier did not deliver the message")
        ),
        None => format!("Twilio reported the message {}", status.unwrap_or("failed")),
    });
    Ok(vec![Report::Status(StatusReport {
        number_id: number.id,
        reference,
        provider: ProviderKind::Twilio,
        provider_message_id: sid.to_string(),
        status: st,
        error,
    })])
}

/// The status callback URL of Optline message `id` sent from number
/// `number_id`, under the server's public origin.
pub fn status_callback(public_url: &str, number_id: i64, id: i64) -> String {
    format!(
        "{}/api/v1/webhooks/twilio/{number_id}?message={id}",
        public_url.trim_end_matches('/')
    )
}

/// The Messages resource request for one SMS. `status_callback` is where
/// Twilio reports delivery (when the server knows its public URL).
pub fn send_request(
    cfg: &TwilioConfig,
    base_url: &str,
    to: &str,
    text: &str,
    status_callback: Option<String>,
) -> Post {
    let mut form = vec![
        ("To", to.to_string()),
        ("From", cfg.from.clone()),
        ("Body", text.to_string()),
    ];
    if let Some(cb) = status_callback {
        form.push(("StatusCallback", cb));
    }
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", cfg.account_sid, cfg.auth_token));
    Post {
        url: format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            base_url.trim_end_matches('/'),
            cfg.account_sid
        ),
        authorization: format!("Basic {basic}"),
        content_type: "application/x-www-form-urlencoded",
        body: serde_urlencoded::to_string(&form)
            .unwrap_or_default()
            .into_bytes(),
    }
}

/// What Twilio's answer to a send means.
pub fn send_outcome(answer: Answer) -> Outcome {
    let (status, v, after) = match answer {
        Answer::Http(s, v, a) => (s, v, a),
        Answer::Timeout => return Outcome::Unknown("Twilio did not answer in time".into()),
        Answer::Interrupted => {
            return Outcome::Unknown("the connection to Twilio broke before its answer".into())
        }
        Answer::Unreachable => {
            return Outcome::Retry {
                reason: "Twilio could not be reached".into(),
                after: None,
            }
        }
        Answer::Invalid => {
            return Outcome::Permanent("the Twilio request could not be built".into())
        }
    };
    if (200..300).contains(&status) {
        return match v["sid"].as_str() {
            Some(id) if !id.is_empty() => Outcome::Accepted(id.to_string()),
            _ => {
                Outcome::Permanent("Twilio accepted the message but returned no message id".into())
            }
        };
    }
    let code = v["code"].as_i64();
    let reason = match (code, v["message"].as_str()) {
        (Some(c), Some(m)) => format!("Twilio error {c}: {m} (HTTP {status})"),
        _ => format!("Twilio answered HTTP {status}"),
    };
    if code == Some(UNSUBSCRIBED_RECIPIENT) {
        Outcome::RecipientOptedOut(reason)
    } else {
        status_outcome(status, reason, after)
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
    fn opted_out_recipient_is_its_own_outcome() {
        let a = Answer::Http(
            400,
            serde_json::json!({"code": 21610, "message": "Attempt to send to unsubscribed recipient"}),
            None,
        );
        assert!(matches!(send_outcome(a), Outcome::RecipientOptedOut(_)));
        let a = Answer::Http(
            400,
            serde_json::json!({"code": 21211, "message": "Invalid To"}),
            None,
        );
        assert!(matches!(send_outcome(a), Outcome::Permanent(_)));
    }
}
