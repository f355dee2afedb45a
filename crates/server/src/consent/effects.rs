//! Storing a step as the engine gave it, and the work it leaves for after
//! the commit.
//!
//! [`store_step`] writes the thread, the WhatsApp holder, one message per
//! `Outbound` (its template flag kept for the sender) and one audit row per
//! engine record; it returns the conversation as it now is (no re-read) and
//! the [`Effects`] for the outbox.

use crate::storage::Conn;
use optline_api::{self as api, DeliveryStatus, Direction, MessageKind};
use optline_engine::{self as engine, Actor, Channel};

use super::facts::Facts;
use super::recipients;
use crate::clock::fmt;
use crate::providers::ProviderConfig;
use crate::storage::{
    self, AuditRow, ConvRow, MessageRow, NewMessage, ProviderKind, StorageResult,
};
use crate::views;

/// An outbound message committed as `queued` for a real provider.
#[derive(Debug, Clone)]
pub struct ProviderSend {
    pub message_id: i64,
    pub recipients: Vec<i64>,
}

/// An outbound message to a simulated phone, reported delivered after the
/// commit (the shape a provider's status callback takes).
#[derive(Debug, Clone)]
pub struct SimulatedDelivery {
    pub message_id: i64,
    pub conversation_id: i64,
    pub recipients: Vec<i64>,
}

/// What a committed change leaves for the outbox.
#[derive(Debug, Default)]
pub struct Effects {
    /// Live events: (recipients, event).
    pub live: Vec<(Vec<i64>, api::LiveEvent)>,
    pub sends: Vec<ProviderSend>,
    pub simulated: Vec<SimulatedDelivery>,
}

impl Effects {
    pub fn extend(&mut self, other: Effects) {
        self.live.extend(other.live);
        self.sends.extend(other.sends);
        self.simulated.extend(other.simulated);
    }
}

/// Where a step's evidence came from (DESIGN rule 16), for its audit rows.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// A provider's name (`simulator`, `whatsapp`, `twilio`) or
    /// `storage::SOURCE_MANUAL`.
    pub provider: &'static str,
    /// The provider's webhook signature was checked for the inbound
    /// message the step read.
    pub signature_verified: bool,
}

impl Source {
    /// An action taken here (an agent's request or message, a send's
    /// answer): the number's provider carries it; nothing was signed.
    pub fn carrier(row: &ConvRow) -> Source {
        Source {
            provider: row.carrier().as_str(),
            signature_verified: false,
        }
    }

    /// An admin's own action.
    pub fn manual() -> Source {
        Source {
            provider: storage::SOURCE_MANUAL,
            signature_verified: false,
        }
    }
}

/// A stored step: the messages it created and the conversation after it.
pub(crate) struct Stored {
    pub created: Vec<MessageRow>,
    pub row: ConvRow,
    pub consent_changed: bool,
}

fn actor_name(a: Actor) -> String {
    match a {
        Actor::Contact => "contact".into(),
        Actor::System => "system".into(),
        Actor::Agent { id } => format!("user:{}", id.0),
        Actor::Admin { id } => format!("admin:{}", id.0),
    }
}

/// The template (name, language) a WhatsApp number sends in place of a
/// template message's text: the evidence of what the contact saw. The
/// flow's template (rule 14), when it names one, else the number's.
fn template_sent(
    c: &Conn,
    row: &ConvRow,
    flow: &engine::ValidFlow,
) -> StorageResult<Option<(String, String)>> {
    if row.carrier() != ProviderKind::Whatsapp {
        return Ok(None);
    }
    let Some(n) = storage::number_by_id(c, row.number_id)? else {
        return Ok(None);
    };
    let t = &flow.flow().whatsapp_template;
    Ok(match ProviderConfig::of(&n) {
        ProviderConfig::Whatsapp(_) if !t.name.is_empty() => {
            Some((t.name.clone(), t.language.clone()))
        }
        ProviderConfig::Whatsapp(w) => Some((w.template_name, w.template_language)),
        _ => None,
    })
}

/// The audit's evidence text: what was received or sent, and what the
/// engine matched in it (a keyword, or a tapped button's payload).
fn evidence(a: &engine::AuditRecord) -> String {
    match (&a.keyword, a.how) {
        (Some(p), engine::How::ButtonReply) => {
            format!("tapped button {:?} [payload: {p}]", a.evidence)
        }
        (Some(k), _) => format!("{} [matched: {k}]", a.evidence),
        (None, _) => a.evidence.clone(),
    }
}

fn audit_row(
    c: &Conn,
    row: &ConvRow,
    a: &engine::AuditRecord,
    source: Source,
    template: Option<&(String, String)>,
) -> StorageResult<AuditRow> {
    let how = a.how.as_str();
    // What the contact was shown before consenting or being messaged: the
    // request, or in disclaimer mode the notice (rule 15).
    let request_text = match a.how {
        engine::How::AgentRequest | engine::How::AutoReprompt | engine::How::Disclaimer => {
            Some(a.evidence.clone())
        }
        _ => storage::audit_last_request(
            c,
            row.org_id,
            &row.number_e164,
            &row.contact.e164,
            row.channel,
        )?,
    };
    Ok(AuditRow {
        id: 0,
        org_id: row.org_id,
        at: fmt(a.at),
        number: row.number_e164.clone(),
        contact: row.contact.e164.clone(),
        channel: row.channel,
        actor: actor_name(a.actor),
        action: if a.from != a.to {
            format!("{}:{how}", a.to.as_str())
        } else {
            how.to_string()
        },
        from_state: a.from.as_str().into(),
        to_state: a.to.as_str().into(),
        evidence: evidence(a),
        request_text,
        provider_message_id: a.provider_message_id.clone(),
        source: Some(source.provider.to_string()),
        signature_verified: source.signature_verified,
        template_name: template.map(|t| t.0.clone()),
        template_language: template.map(|t| t.1.clone()),
    })
}

/// Stores `step` (computed from `facts` on `row`); `acting_user` is the
/// agent whose action it was, `source` where its evidence came from. Live events for the created messages and the
/// consent change are added to `fx` by [`announce`], not here, so callers
/// can add an inbound message first.
pub(crate) fn store_step(
    c: &Conn,
    row: ConvRow,
    facts: &Facts,
    step: &engine::Step,
    acting_user: Option<i64>,
    source: Source,
    fx: &mut Effects,
) -> StorageResult<Stored> {
    let now_s = fmt(facts.ctx.now);
    let mut row = row;
    row.consent_version = storage::thread_put(c, row.id, &step.thread)?;
    if row.channel == Channel::WhatsApp && step.holder != facts.ctx.holder {
        let holder = step.holder.map(|u| u.0);
        storage::holder_set(c, row.lob_id, row.contact.id, holder, &now_s)?;
        row.holder = holder;
        crate::integrations::events::ownership_changed(
            c,
            row.org_id,
            row.lob_id,
            &row.contact.e164,
            holder,
            &now_s,
        )?;
        fx.live.push((
            recipients(c, row.org_id, row.number_user_id)?,
            api::LiveEvent::Ownership {
                ownership: api::Ownership {
                    line_of_business_id: row.lob_id,
                    contact_phone: row.contact.e164.clone(),
                    user_id: holder,
                    since: Some(now_s.clone()),
                },
            },
        ));
    }
    // A real provider sends it after the commit (`queued` until it
    // answers); otherwise the simulator plays the contact's phone.
    let carrier = row.carrier();
    let status = if carrier == ProviderKind::Simulator {
        DeliveryStatus::Sent
    } else {
        DeliveryStatus::Queued
    };
    let mut created = Vec::with_capacity(step.outbound.len());
    for out in &step.outbound {
        let m = storage::message_insert(
            c,
            &NewMessage {
                conversation_id: row.id,
                direction: Direction::Outbound,
                kind: match out.kind {
                    engine::OutboundKind::AgentMessage => MessageKind::Agent,
                    _ => MessageKind::Automatic,
                },
                body: &out.text,
                status,
                provider: carrier,
                provider_message_id: None,
                user_id: acting_user,
                template: out.template,
            },
            &now_s,
        )?;
        created.push(m);
    }
    // A request the engine marked as a template goes out as the number's
    // configured WhatsApp template: its audit rows name it beside the text.
    let template = if step.outbound.iter().any(|o| o.template) {
        template_sent(c, &row, &facts.flow)?
    } else {
        None
    };
    for a in &step.audit {
        let t = match a.how {
            engine::How::AgentRequest | engine::How::AutoReprompt => template.as_ref(),
            _ => None,
        };
        let audit = audit_row(c, &row, a, source, t)?;
        let audit_id = storage::audit_insert(c, &audit)?;
        // The customer's systems hear of it in this same transaction.
        crate::integrations::events::consent_changed(c, &row, a, &audit, audit_id)?;
    }
    let consent_changed = step.thread.consent != facts.thread.consent;
    row.thread = Ok(step.thread.clone());
    if let Some(last) = created.last() {
        row.last_message = Some(last.clone());
        row.updated_at = now_s;
    }
    Ok(Stored {
        created,
        row,
        consent_changed,
    })
}

/// Stores `step` and announces what it created: the common case where no
/// other message (an inbound one) goes with it.
pub(crate) fn store_and_announce(
    c: &Conn,
    row: ConvRow,
    facts: &Facts,
    step: &engine::Step,
    acting_user: Option<i64>,
    source: Source,
    fx: &mut Effects,
) -> StorageResult<(Stored, api::ConversationSummary)> {
    let stored = store_step(c, row, facts, step, acting_user, source, fx)?;
    let summary = announce(
        c,
        &facts.flow,
        facts.ctx.now,
        &stored.row,
        &stored.created,
        stored.consent_changed,
        fx,
    )?;
    Ok((stored, summary))
}

/// Adds the live events (and sends or simulated deliveries) of `messages`
/// on `row`, and the consent event when it changed; returns the summary.
pub(crate) fn announce(
    c: &Conn,
    flow: &engine::ValidFlow,
    now: chrono::DateTime<chrono::Utc>,
    row: &ConvRow,
    messages: &[MessageRow],
    consent_changed: bool,
    fx: &mut Effects,
) -> StorageResult<api::ConversationSummary> {
    let summary = views::summary(row, flow, now);
    let to = recipients(c, row.org_id, row.number_user_id)?;
    for m in messages {
        if m.direction == Direction::Outbound {
            match m.status {
                DeliveryStatus::Queued => fx.sends.push(ProviderSend {
                    message_id: m.id,
                    recipients: to.clone(),
                }),
                DeliveryStatus::Sent => fx.simulated.push(SimulatedDelivery {
                    message_id: m.id,
                    conversation_id: row.id,
                    recipients: to.clone(),
                }),
                _ => {}
            }
        }
        fx.live.push((
            to.clone(),
            api::LiveEvent::Message {
                conversation: Box::new(summary.clone()),
                message: views::message(m),
            },
        ));
    }
    if consent_changed {
        fx.live.push((
            to,
            api::LiveEvent::Consent {
                conversation_id: row.id,
                consent: summary.consent.clone(),
            },
        ));
    }
    Ok(summary)
}
