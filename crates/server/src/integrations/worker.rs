//! The delivery worker: a task that works through the webhook outbox.
//!
//! It claims due deliveries (pending, endpoint enabled, no earlier
//! delivery for the same contact still pending; claimed for the attempt's
//! timeout plus a margin, so another server process on the same database
//! leaves them alone, and takes them over if this one stops), sends each with the
//! Standard Webhooks headers and records the outcome in a write job. The
//! outbox is the only state: a delivery is pending until an attempt's 2xx
//! is recorded, so a restart — even after SIGKILL — simply resumes (at least
//! once: an answer lost in a crash means the event goes again, with the
//! same `webhook-id` so the receiver can tell).
//!
//! Failures are retried with exponential backoff and jitter; a delivery
//! still failing when its retry window (3 days) is over is given up and its
//! endpoint disabled with the reason admins see. The writer is never held
//! while an endpoint is called. Settled deliveries are kept in the log for
//! 30 days, pending ones until they settle.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, Method, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::destination::{self, GuardedResolver};
use super::signing;
use crate::clock::{fmt, parse};
use crate::secrets;
use crate::state::AppState;
use crate::storage::{self, AttemptResult, DeliveryRow, DeliveryState, EndpointRow};

/// How long failing deliveries are retried before their endpoint is disabled.
pub const RETRY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(3);
/// Longest wait between two attempts.
const RETRY_CAP: Duration = Duration::from_secs(10 * 3600);
/// Deliveries attempted at once (the due query asks for as many, so the
/// ones in flight never hide a due one).
const MAX_IN_FLIGHT: usize = 64;
/// A claimed delivery is due again after its attempt's timeout and this
/// margin, should the claiming process stop before recording the outcome.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
/// Settled deliveries (delivered or given up) are kept this long in the log.
pub const RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(30);
/// How often settled deliveries past [`RETENTION`] are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Characters of an endpoint's answer kept for the delivery log.
pub const EXCERPT_CHARS: usize = 500;

/// Delivery settings (from flags).
#[derive(Debug, Clone)]
pub struct Config {
    /// `--allow-private-webhooks`: loopback/private destinations and plain
    /// http to loopback are allowed (local tests only).
    pub allow_private: bool,
    /// Wait before the first retry; doubles per attempt up to 10 hours.
    pub retry_base_ms: u64,
    /// Per-attempt timeout.
    pub timeout_ms: u64,
    /// How often the outbox is checked for due deliveries.
    pub poll_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            allow_private: false,
            retry_base_ms: 5_000,
            timeout_ms: 10_000,
            poll_ms: 250,
        }
    }
}

type Https = hyper_rustls::HttpsConnector<HttpConnector<GuardedResolver>>;
type HttpClient = Client<Https, Full<Bytes>>;

fn client(cfg: &Config) -> HttpClient {
    let mut http = HttpConnector::new_with_resolver(GuardedResolver {
        allow_private: cfg.allow_private,
    });
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_millis(cfg.timeout_ms)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(https)
}

/// The wait before attempt `attempts + 1`: base · 2^(attempts−1), capped,
/// times a random factor in [0.75, 1.25) so many failing deliveries do not
/// retry in lockstep.
pub fn backoff(cfg: &Config, attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 40) as u32 - 1;
    let base = Duration::from_millis(cfg.retry_base_ms.max(1));
    let raw = base.saturating_mul(2u32.saturating_pow(exp)).min(RETRY_CAP);
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    let jitter = 0.75 + (u16::from_le_bytes(b) as f64 / 65536.0) * 0.5;
    raw.mul_f64(jitter)
}

/// Starts the worker (once per server).
pub fn spawn(state: AppState) {
    let http = Arc::new(client(&state.config.webhooks));
    tokio::spawn(async move {
        let in_flight: Arc<Mutex<HashSet<i64>>> = Default::default();
        // A finished attempt wakes the loop at once: the contact's next
        // event is due now, and a slot is free.
        let wake = Arc::new(tokio::sync::Notify::new());
        let mut shutdown = state.shutdown.clone();
        let poll = Duration::from_millis(state.config.webhooks.poll_ms.max(10));
        let mut pruned: Option<std::time::Instant> = None;
        loop {
            if pruned.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                pruned = Some(std::time::Instant::now());
                let before = fmt(state.now() - RETENTION);
                if let Err(e) = state
                    .db
                    .write(move |c| storage::webhook_prune(c, &before))
                    .await
                {
                    tracing::warn!("could not prune the webhook log: {e}");
                }
            }
            // Claimed, not just read: another server process on the same
            // database must not send the same deliveries meanwhile.
            let now = state.now();
            let lease = Duration::from_millis(state.config.webhooks.timeout_ms) + LEASE_MARGIN;
            let (now, until) = (
                fmt(now),
                fmt(now + chrono::Duration::from_std(lease).unwrap_or_default()),
            );
            let free = {
                let set = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                MAX_IN_FLIGHT.saturating_sub(set.len()) as i64
            };
            let due = if free == 0 {
                Ok(Vec::new())
            } else {
                state
                    .db
                    .write(move |c| storage::webhook_claim_due(c, &now, &until, free))
                    .await
            };
            if let Ok(ids) = due {
                for id in ids {
                    let start = {
                        let mut set = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                        set.len() < MAX_IN_FLIGHT && set.insert(id)
                    };
                    if start {
                        let (state, http, in_flight, wake) =
                            (state.clone(), http.clone(), in_flight.clone(), wake.clone());
                        tokio::spawn(async move {
                            attempt(&state, &http, id).await;
                            in_flight
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .remove(&id);
                            wake.notify_one();
                        });
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = wake.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    });
}

/// What one attempt came to on the wire.
struct Answer {
    status: Option<u16>,
    excerpt: String,
}

impl Answer {
    fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
    fn failure(message: String) -> Answer {
        Answer {
            status: None,
            excerpt: message,
        }
    }
}

/// The secrets that sign now: the current one, and the previous one while
/// its rotation grace lasts.
fn signing_secrets(e: &EndpointRow, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    let mut v: Vec<String> = secrets::open(&e.secret).into_iter().collect();
    let previous_valid = e
        .previous_secret_until
        .as_deref()
        .and_then(parse)
        .is_some_and(|until| until > now);
    if previous_valid {
        v.extend(e.previous_secret.as_deref().and_then(secrets::open));
    }
    v
}

async fn attempt(state: &AppState, http: &HttpClient, id: i64) {
    let loaded = state
        .db
        .read(move |c| {
            let d = storage::webhook_delivery(c, id)?;
            let e = match &d {
                Some(d) => storage::webhook_endpoint_by_id(c, d.endpoint_id)?,
                None => None,
            };
            Ok::<_, storage::StorageError>(d.zip(e))
        })
        .await;
    let Ok(Some((delivery, endpoint))) = loaded else {
        return;
    };
    if delivery.state != DeliveryState::Pending || !endpoint.enabled {
        return;
    }
    let now = state.now();
    let secrets = signing_secrets(&endpoint, now);
    let answer = if secrets.is_empty() {
        Answer::failure(
            "The endpoint's secret cannot be opened (sealed with another key); rotate it.".into(),
        )
    } else {
        send(state, http, &endpoint.url, &delivery, &secrets).await
    };
    if !answer.ok() {
        tracing::warn!(
            delivery = id,
            endpoint = endpoint.id,
            status = answer.status,
            "webhook delivery failed: {}",
            answer.excerpt
        );
    }
    record(state, &delivery, endpoint.id, answer).await;
}

/// Checks the destination again (after DNS) and posts the signed event.
async fn send(
    state: &AppState,
    http: &HttpClient,
    url: &str,
    d: &DeliveryRow,
    secrets: &[String],
) -> Answer {
    let cfg = &state.config.webhooks;
    if let Err(r) = destination::check(url, cfg.allow_private).await {
        return Answer::failure(format!("Not sent: {}", r.message));
    }
    // The transport time (never the test clock): receivers compare it
    // with their own clock to refuse replays.
    let timestamp = chrono::Utc::now().timestamp();
    let signature = signing::signature_header(secrets, &d.event_id, timestamp, &d.body);
    let req = Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::USER_AGENT,
            concat!("optline-webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(Full::new(Bytes::from(d.body.clone())));
    let Ok(req) = req else {
        return Answer::failure("Not sent: the URL cannot be used for a request.".into());
    };
    let call = async {
        let resp = http.request(req).await?;
        let status = resp.status().as_u16();
        // Only the start of the answer is kept; never read an endless body.
        let body = Limited::new(resp.into_body(), 64 * 1024)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, body))
    };
    match tokio::time::timeout(Duration::from_millis(cfg.timeout_ms.max(1)), call).await {
        Err(_) => Answer::failure(format!("No answer within {} ms.", cfg.timeout_ms)),
        Ok(Err(e)) => Answer::failure(format!("Connection failed: {}", error_chain(&*e))),
        Ok(Ok((status, body))) => Answer {
            status: Some(status),
            excerpt: String::from_utf8_lossy(&body)
                .chars()
                .take(EXCERPT_CHARS)
                .collect(),
        },
    }
}

/// An error and its causes, for the delivery log.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// Records the attempt; past the retry window the delivery is given up and
/// its endpoint disabled with the reason.
async fn record(state: &AppState, d: &DeliveryRow, endpoint: i64, answer: Answer) {
    let now = state.now();
    let now_s = fmt(now);
    let id = d.id;
    let window_over = parse(&d.window_started_at).is_some_and(|t| now - t >= RETRY_WINDOW);
    let next = fmt(now + backoff(&state.config.webhooks, d.attempts + 1));
    let done = state
        .db
        .write(move |c| {
            let result = if answer.ok() {
                AttemptResult::Delivered
            } else if window_over {
                AttemptResult::GiveUp
            } else {
                AttemptResult::Retry { next: &next }
            };
            let give_up = matches!(result, AttemptResult::GiveUp);
            storage::webhook_attempt_record(c, id, answer.status, &answer.excerpt, result, &now_s)?;
            if give_up {
                let last = match answer.status {
                    Some(s) => format!("HTTP {s}"),
                    None => answer.excerpt.clone(),
                };
                let reason = format!(
                    "Disabled on {now_s}: deliveries kept failing for 3 days (last attempt: {last}). Fix the endpoint, enable it again and resend the failed deliveries from the log."
                );
                storage::webhook_endpoint_disable(c, endpoint, &reason, &now_s)?;
            }
            Ok::<_, storage::StorageError>(())
        })
        .await;
    if let Err(e) = done {
        tracing::error!(delivery = id, "could not record a webhook attempt: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let cfg = Config {
            retry_base_ms: 1000,
            ..Config::default()
        };
        for attempts in 1..=5 {
            let want = 1000.0 * 2f64.powi(attempts as i32 - 1);
            let got = backoff(&cfg, attempts).as_millis() as f64;
            assert!(got >= want * 0.75 && got < want * 1.25, "{attempts}: {got}");
        }
        assert!(backoff(&cfg, 40) <= RETRY_CAP.mul_f64(1.25));
    }
}
