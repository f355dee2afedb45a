//! Sending queued outbound messages after the commit that created them.
//!
//! `dispatch` is called by `routes::publish` for each new `queued` message:
//! one task per message id, so a message has exactly one outbound row and
//! one sender, whose attempts are counted on the row. The writer is never
//! held while the provider is called: the task reads what it needs, calls
//! the provider (with retries), then records the outcome in a new write job
//! together with any status reports that arrived before the answer.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, Method, Request};
use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use optline_api as api;
use rusqlite::Connection;

use super::retry::{self, Outcome};
use super::ProviderConfig;
use crate::app::AppState;
use crate::error::ApiResult;
use crate::storage::{self, AppliedStatus, NumberRow, OutboundJob};

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// One pooled HTTP/1.1 client for every provider: HTTPS with rustls (ring,
/// Mozilla's root certificates), plain HTTP allowed for local stand-ins.
fn client() -> &'static Client<Https, Full<Bytes>> {
    static C: OnceLock<Client<Https, Full<Bytes>>> = OnceLock::new();
    C.get_or_init(|| {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https)
    })
}

/// A provider's answer: HTTP status and JSON body (Null when not JSON).
enum Answer {
    Http(u16, serde_json::Value),
    Timeout,
    Unreachable,
    Failed,
}

async fn post(
    url: &str,
    authorization: String,
    content_type: &str,
    body: Vec<u8>,
    timeout: Duration,
) -> Answer {
    let req = match Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::AUTHORIZATION, authorization)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json")
        .header(
            header::USER_AGENT,
            concat!("optline/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(Bytes::from(body)))
    {
        Ok(r) => r,
        Err(_) => return Answer::Failed,
    };
    let call = async {
        let resp = client().request(req).await?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, bytes))
    };
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Answer::Timeout,
        Ok(Ok((status, bytes))) => Answer::Http(
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ),
        Ok(Err(e)) => {
            let connect = e
                .downcast_ref::<hyper_util::client::legacy::Error>()
                .is_some_and(|e| e.is_connect());
            if connect {
                Answer::Unreachable
            } else {
                Answer::Failed
            }
        }
    }
}

/// The live `status` event of an applied delivery report.
pub fn status_event(
    c: &Connection,
    (message_id, conversation_id, status, error): AppliedStatus,
) -> ApiResult<(Vec<i64>, api::LiveEvent)> {
    let row = storage::conversation_row(c, conversation_id)?
        .ok_or_else(|| crate::error::ApiError::not_found("conversation"))?;
    let to = crate::service::recipients(c, row.org_id, row.number_user_id)?;
    Ok((to, live_status(message_id, conversation_id, &status, error)))
}

/// Starts sending a message just committed as `queued`. Everything needed
/// comes with its live event (and the cached number settings), so the only
/// database work is recording the outcome.
pub fn dispatch(
    state: &AppState,
    conversation: &api::ConversationSummary,
    message: &api::Message,
    recipients: &[i64],
) {
    let state = state.clone();
    let number_e164 = conversation.business_number.clone();
    let mut job = OutboundJob {
        message_id: message.id,
        conversation_id: message.conversation_id,
        body: message.body.clone(),
        status: "queued".into(),
        channel: conversation.channel.as_str().to_string(),
        contact: conversation.contact.phone.clone(),
        number: NumberRow {
            id: 0,
            org_id: 0,
            lob_id: 0,
            user_id: None,
            e164: String::new(),
            sms_enabled: true,
            whatsapp_enabled: true,
            provider: String::new(),
            provider_config: None,
        },
        last_inbound_at: conversation.last_inbound_at.clone(),
    };
    let recipients = recipients.to_vec();
    tokio::spawn(async move {
        match state
            .provider_numbers
            .by_e164(&state.db, &number_e164)
            .await
        {
            Ok(Some(n)) => job.number = n,
            _ => return,
        }
        let provider = ProviderConfig::of(&job.number);
        let kind = provider.kind();
        let (result, attempts) = send_with_retries(&state, &provider, &job).await;
        if let Err(reason) = &result {
            // The provider's own words; never settings or secrets.
            eprintln!(
                "optline: message {} to {} via {} failed: {reason}",
                job.message_id,
                job.contact,
                name(&provider)
            );
        }
        let id = job.message_id;
        let conv = job.conversation_id;
        let done = state
            .db
            .write(move |c| {
                let (res, reason) = match &result {
                    Ok(pmid) => (Ok(pmid.as_str()), None),
                    Err(r) => (Err(r.as_str()), Some(r.clone())),
                };
                let waiting = storage::outbound_finish(c, id, kind, res, attempts)?;
                let first = if reason.is_none() { "sent" } else { "failed" };
                let mut publish = vec![(recipients.clone(), live_status(id, conv, first, reason))];
                if let Ok(pmid) = &result {
                    for (s, e) in waiting {
                        if let Some((m, cv, st, er)) =
                            storage::status_apply(c, kind, pmid, &s, e.as_deref(), "")?
                        {
                            publish.push((recipients.clone(), live_status(m, cv, &st, er)));
                        }
                    }
                }
                Ok(publish)
            })
            .await;
        if let Ok(p) = done {
            crate::routes::publish(&state, p);
        }
    });
}

fn live_status(
    message_id: i64,
    conversation_id: i64,
    status: &str,
    error: Option<String>,
) -> api::LiveEvent {
    api::LiveEvent::Status {
        conversation_id,
        message_id,
        status: match status {
            "queued" => api::DeliveryStatus::Queued,
            "sent" => api::DeliveryStatus::Sent,
            "delivered" => api::DeliveryStatus::Delivered,
            "read" => api::DeliveryStatus::Read,
            _ => api::DeliveryStatus::Failed,
        },
        error,
    }
}

/// Attempts the send until accepted, permanently refused, or out of attempts.
pub async fn send_with_retries(
    state: &AppState,
    provider: &ProviderConfig,
    job: &OutboundJob,
) -> (Result<String, String>, u32) {
    let cfg = &state.config.providers;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match send_once(state, provider, job).await {
            Outcome::Accepted(id) => return (Ok(id), attempt),
            Outcome::Permanent(r) => return (Err(r), attempt),
            Outcome::Transient(r) => {
                if attempt >= cfg.max_attempts.max(1) {
                    return (
                        Err(format!("{r} (gave up after {attempt} attempts)")),
                        attempt,
                    );
                }
                tokio::time::sleep(retry::backoff(cfg, attempt)).await;
            }
        }
    }
}

fn in_window(state: &AppState, last_inbound_at: Option<&str>) -> bool {
    let Some(t) = last_inbound_at.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) else {
        return false;
    };
    state
        .now()
        .signed_duration_since(t.with_timezone(&chrono::Utc))
        < chrono::Duration::hours(24)
}

async fn send_once(state: &AppState, provider: &ProviderConfig, job: &OutboundJob) -> Outcome {
    let cfg = &state.config.providers;
    let timeout = Duration::from_millis(cfg.timeout_ms);
    let answer = match provider {
        ProviderConfig::Whatsapp(w) => {
            let url = format!(
                "{}/{}/{}/messages",
                cfg.whatsapp_base_url.trim_end_matches('/'),
                cfg.whatsapp_api_version,
                w.phone_number_id
            );
            let body = super::whatsapp::send_body(
                w,
                &job.contact,
                &job.body,
                in_window(state, job.last_inbound_at.as_deref()),
            );
            post(
                &url,
                format!("Bearer {}", w.access_token),
                "application/json",
                body.to_string().into_bytes(),
                timeout,
            )
            .await
        }
        ProviderConfig::Twilio(t) => {
            let url = format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                cfg.twilio_base_url.trim_end_matches('/'),
                t.account_sid
            );
            let mut form = vec![
                ("To", job.contact.clone()),
                ("From", t.from.clone()),
                ("Body", job.body.clone()),
            ];
            if let Some(p) = &cfg.public_url {
                form.push((
                    "StatusCallback",
                    format!(
                        "{}/api/v1/webhooks/twilio/{}",
                        p.trim_end_matches('/'),
                        job.number.id
                    ),
                ));
            }
            let body = serde_urlencoded::to_string(&form).unwrap_or_default();
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", t.account_sid, t.auth_token));
            post(
                &url,
                format!("Basic {basic}"),
                "application/x-www-form-urlencoded",
                body.into_bytes(),
                timeout,
            )
            .await
        }
        ProviderConfig::Simulator => return Outcome::Permanent("no provider configured".into()),
    };
    let (status, v) = match answer {
        Answer::Http(s, v) => (s, v),
        Answer::Timeout => {
            return Outcome::Transient(format!("{} did not answer in time", name(provider)))
        }
        Answer::Unreachable => {
            return Outcome::Transient(format!("{} could not be reached", name(provider)))
        }
        Answer::Failed => return Outcome::Transient(format!("{} request failed", name(provider))),
    };
    if (200..300).contains(&status) {
        let id = match provider {
            ProviderConfig::Whatsapp(_) => v["messages"][0]["id"].as_str(),
            _ => v["sid"].as_str(),
        };
        return match id {
            Some(id) if !id.is_empty() => Outcome::Accepted(id.to_string()),
            _ => Outcome::Permanent(format!(
                "{} accepted the message but returned no message id",
                name(provider)
            )),
        };
    }
    let reason = match provider {
        ProviderConfig::Whatsapp(_) => {
            let e = &v["error"];
            match (e["code"].as_i64(), e["message"].as_str()) {
                (Some(c), Some(m)) => format!("WhatsApp error {c}: {m} (HTTP {status})"),
                _ => format!("WhatsApp answered HTTP {status}"),
            }
        }
        _ => match (v["code"].as_i64(), v["message"].as_str()) {
            (Some(c), Some(m)) => format!("Twilio error {c}: {m} (HTTP {status})"),
            _ => format!("Twilio answered HTTP {status}"),
        },
    };
    if retry::transient_status(status) {
        Outcome::Transient(reason)
    } else {
        Outcome::Permanent(reason)
    }
}

fn name(p: &ProviderConfig) -> &'static str {
    match p {
        ProviderConfig::Whatsapp(_) => "WhatsApp",
        ProviderConfig::Twilio(_) => "Twilio",
        ProviderConfig::Simulator => "simulator",
    }
}
