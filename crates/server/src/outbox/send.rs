//! Handing a queued outbound message to its provider after the commit that
//! created it.
//!
//! One task per message id, so a message has exactly one sender, whose
//! attempts are counted on its row. The task reads the stored message and
//! its conversation, asks the engine before every attempt whether the
//! message may still go out ([`optline_engine::check_dispatch`]: a free-form
//! WhatsApp message whose window has closed fails with the engine's words and
//! is never swapped for another message), sends the template exactly when
//! the stored message says so, and records the outcome in a new write job
//! together with any status reports that arrived before the answer. The
//! writer is never held while a provider is called.
//!
//! A message is sent at most once: it is tried again only when the request
//! surely did not reach the provider or was refused for its rate limit (see
//! `providers::retry`). When the request went out and its answer was lost
//! the message is `unknown`, and the provider's status report, which names
//! it by the id the send carried, settles it.

use std::time::Duration;

use optline_engine as engine;

use crate::consent::{self, Effects, ProviderSend};
use crate::providers::client::post;
use crate::providers::retry::{self, Outcome};
use crate::providers::{twilio, whatsapp, ProviderConfig};
use crate::state::AppState;
use crate::storage::{self, ConvRow, MessageRow, NumberRow, SendResult};
use crate::views;

/// How a send ended.
enum Ending {
    Accepted(String),
    Failed(String),
    /// The request may have reached the provider; its answer is lost.
    Unknown(String),
    /// The provider refused because the contact opted out with the carrier.
    OptedOut(String),
}

pub fn dispatch(state: &AppState, send: ProviderSend) {
    let state = state.clone();
    tokio::spawn(async move {
        let id = send.message_id;
        let now = state.now();
        let st = state.clone();
        let loaded = state
            .db
            .read(move |c| {
                let m = storage::message_by_id(c, id)?;
                let row = match &m {
                    Some(m) => storage::conversation_row(c, m.conversation_id)?,
                    None => None,
                };
                // A template's contents come from the engine (rule 14).
                let template = match (&m, &row) {
                    (Some(m), Some(r)) if m.template => {
                        Some(consent::template::template_send(c, &st.flows, r, now)?)
                    }
                    _ => None,
                };
                Ok::<_, storage::StorageError>(m.zip(row).map(|mr| (mr, template)))
            })
            .await;
        let Ok(Some(((message, row), template))) = loaded else {
            return;
        };
        // Ours to send, and marked started before any request leaves: if
        // this process stops from here on, no other one resends it.
        let me = storage::process_id();
        let started = state
            .db
            .write(move |c| storage::outbound_start(c, id, me))
            .await;
        if !matches!(started, Ok(true)) {
            return;
        }
        let Ok(Some(number)) = state.provider_numbers.by_id(&state.db, row.number_id).await else {
            return;
        };
        let provider = ProviderConfig::of(&number);
        let out = Outgoing {
            message: &message,
            template: template.as_ref(),
        };
        let (ending, attempts) = send_with_retries(&state, &provider, &number, out, row).await;
        let logged = match &ending {
            Ending::Failed(r) | Ending::OptedOut(r) => Some(("failed", r)),
            Ending::Unknown(r) => Some(("outcome unknown", r)),
            Ending::Accepted(_) => None,
        };
        if let Some((what, reason)) = logged {
            // The provider's own words; never settings or secrets.
            tracing::warn!(
                message_id = message.id,
                provider = provider.display_name(),
                "send {what}: {reason}"
            );
        }
        record(
            &state,
            &provider,
            &number,
            &message,
            send.recipients,
            ending,
            attempts,
        )
        .await;
    });
}

/// A stored message on its way out, with what its template carries.
#[derive(Clone, Copy)]
struct Outgoing<'a> {
    message: &'a MessageRow,
    template: Option<&'a engine::TemplateSend>,
}

/// Attempts the send until accepted, refused for good, possibly taken
/// (unknown), out of attempts, or no longer allowed by the engine.
async fn send_with_retries(
    state: &AppState,
    provider: &ProviderConfig,
    number: &NumberRow,
    out: Outgoing<'_>,
    mut row: ConvRow,
) -> (Ending, u32) {
    let message = out.message;
    let cfg = &state.config.providers;
    let mut attempt = 0;
    loop {
        if let Err(reason) = may_go_out(state, &row, message) {
            return (Ending::Failed(reason), attempt);
        }
        attempt += 1;
        match send_once(state, provider, number, &row, out).await {
            Outcome::Accepted(id) => return (Ending::Accepted(id), attempt),
            Outcome::Permanent(r) => return (Ending::Failed(r), attempt),
            Outcome::RecipientOptedOut(r) => return (Ending::OptedOut(r), attempt),
            Outcome::Unknown(r) => {
                return (
                    Ending::Unknown(format!(
                        "Delivery unknown: {r}. It is not resent (that could deliver it twice); the provider's report will settle it."
                    )),
                    attempt,
                )
            }
            Outcome::Retry { reason: r, after } => {
                if attempt >= cfg.max_attempts.max(1) {
                    return (
                        Ending::Failed(format!("{r} (gave up after {attempt} attempts)")),
                        attempt,
                    );
                }
                tokio::time::sleep(retry::delay(cfg, attempt, after)).await;
                // The thread may have moved meanwhile (a new inbound message
                // reopens WhatsApp's window): decide on the current one.
                let id = row.id;
                if let Ok(Some(r)) = state
                    .db
                    .read(move |c| storage::conversation_row(c, id))
                    .await
                {
                    row = r;
                }
            }
        }
    }
}

/// The engine's word on sending `message` now.
fn may_go_out(state: &AppState, row: &ConvRow, message: &MessageRow) -> Result<(), String> {
    let thread = row
        .thread
        .as_ref()
        .map_err(|e| format!("Not sent: the stored consent state is unreadable ({e})."))?;
    engine::check_dispatch(row.channel, thread, message.template, state.now()).map_err(|r| r.text)
}

async fn send_once(
    state: &AppState,
    provider: &ProviderConfig,
    number: &NumberRow,
    row: &ConvRow,
    out: Outgoing<'_>,
) -> Outcome {
    let message = out.message;
    let cfg = &state.config.providers;
    let timeout = Duration::from_millis(cfg.timeout_ms);
    match provider {
        ProviderConfig::Whatsapp(w) => {
            let req = whatsapp::send_request(
                w,
                &cfg.whatsapp_base_url,
                &cfg.whatsapp_api_version,
                message.id,
                &row.contact.e164,
                &message.body,
                out.template,
            );
            whatsapp::send_outcome(post(req, timeout).await)
        }
        ProviderConfig::Twilio(t) => {
            let callback = cfg
                .public_url
                .as_ref()
                .map(|p| twilio::status_callback(p, number.id, message.id));
            let req = twilio::send_request(
                t,
                &cfg.twilio_base_url,
                &row.contact.e164,
                &message.body,
                callback,
            );
            twilio::send_outcome(post(req, timeout).await)
        }
        ProviderConfig::Simulator => Outcome::Permanent("no provider configured".into()),
    }
}

/// Records the outcome, applies status reports that waited for it, and
/// lets the engine record an opt-out the provider reported.
async fn record(
    state: &AppState,
    provider: &ProviderConfig,
    number: &NumberRow,
    message: &MessageRow,
    recipients: Vec<i64>,
    ending: Ending,
    attempts: u32,
) {
    let kind = provider.kind();
    let number_id = number.id;
    let id = message.id;
    let conv = message.conversation_id;
    let now = state.now();
    let now_s = crate::clock::fmt(now);
    let st = state.clone();
    let done = state
        .db
        .write(move |c| {
            let mut fx = Effects::default();
            let result = match &ending {
                Ending::Accepted(pmid) => SendResult::Accepted(pmid),
                Ending::Failed(r) | Ending::OptedOut(r) => SendResult::Failed(r),
                Ending::Unknown(r) => SendResult::Unknown(r),
            };
            let waiting = storage::outbound_finish(c, id, number_id, kind, result, attempts)?;
            // What the row now says (a status report that named the message
            // may have settled it before this answer).
            if let Some(m) = storage::message_by_id(c, id)? {
                crate::integrations::events::message_status_of(
                    c,
                    conv,
                    id,
                    m.status,
                    m.error.as_deref(),
                    &now_s,
                )?;
                fx.live.push((
                    recipients.clone(),
                    views::status_event(id, conv, m.status, m.error),
                ));
            }
            if let Ending::Accepted(pmid) = &ending {
                let key = storage::StatusKey {
                    number_id,
                    provider: kind,
                    pmid,
                    reference: None,
                };
                for (s, e) in waiting {
                    if let Some(a) = storage::status_apply(c, key, s, e.as_deref(), "")? {
                        crate::integrations::events::message_status_of(
                            c,
                            a.conversation_id,
                            a.message_id,
                            a.status,
                            a.error.as_deref(),
                            &now_s,
                        )?;
                        fx.live.push((
                            recipients.clone(),
                            views::status_event(a.message_id, a.conversation_id, a.status, a.error),
                        ));
                    }
                }
            }
            if let Ending::OptedOut(reason) = &ending {
                fx.extend(consent::inbound::provider_reports_opt_out(
                    c, &st.flows, now, conv, reason,
                )?);
            }
            Ok::<_, consent::ConsentError>(fx)
        })
        .await;
    if let Ok(fx) = done {
        super::run(state, fx);
    }
}
