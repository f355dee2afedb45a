//! What reaches a business number from outside: a contact's message (from
//! the simulator or a provider's webhook, exactly once per provider message
//! id), a carrier's opt-out, a delivery status, and a provider's report that
//! a send was refused because the contact opted out.

use crate::storage::Conn;
use chrono::{DateTime, Utc};
use optline_api::{DeliveryStatus, Direction, MessageKind};
use optline_engine as engine;

use super::effects::{announce, store_and_announce, store_step, Effects, Source};
use super::facts::facts;
use super::{recipients, ConsentError, ConsentResult, FlowCache};
use crate::clock::fmt;
use crate::providers::{InboundMessage, Report, StatusReport};
use crate::storage::{self, NewMessage};
use crate::views;

/// The stored inbound message.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: i64,
    /// True when this provider message id had been received before (nothing
    /// was stored or decided again).
    pub duplicate: bool,
}

/// The one inbound path.
pub fn receive(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    msg: &InboundMessage,
) -> ConsentResult<(Received, Effects)> {
    if let Some(id) = storage::message_by_provider_id(c, msg.provider, &msg.provider_message_id)? {
        return Ok((
            Received {
                message_id: id,
                duplicate: true,
            },
            Effects::default(),
        ));
    }
    let number = &msg.number;
    let now_s = fmt(now);
    let flow = flows.get(c, number.lob_id, msg.channel)?;
    let mut row = match storage::conversation_row_by_key(
        c,
        number.org_id,
        number.id,
        &msg.from,
        msg.channel,
    )? {
        Some(row) => row,
        None => new_conversation(c, &flow, now, msg)?,
    };
    let mut inbound = storage::message_insert(
        c,
        &NewMessage {
            conversation_id: row.id,
            direction: Direction::Inbound,
            kind: MessageKind::Contact,
            body: &msg.body,
            status: DeliveryStatus::Received,
            provider: msg.provider,
            provider_message_id: Some(&msg.provider_message_id),
            user_id: None,
            template: false,
        },
        &now_s,
    )
    .inspect_err(|e| {
        // Another server process stored this provider message id after our
        // check above (PostgreSQL): run again once it committed, and the
        // check finds it — a duplicate, stored exactly once.
        if storage::unique_violation(e) {
            c.retry_after_commit();
        }
    })?;
    if msg.sender_unverified {
        storage::message_flag_sender_unverified(c, inbound.id)?;
        inbound.sender_unverified = true;
    }
    crate::integrations::events::message_received(c, &row, &inbound, msg.provider.as_str())?;
    // The row as the insert left it, without reading it back.
    row.last_message = Some(inbound.clone());
    row.unread += 1;
    row.last_inbound_at = Some(now_s.clone());
    row.updated_at = now_s;
    let received = Received {
        message_id: inbound.id,
        duplicate: false,
    };
    let mut fx = Effects::default();
    if let Some(kind) = &msg.unsupported {
        // Recorded (it opens the WhatsApp window like any inbound message)
        // and shown to the agent, but never read as a keyword.
        let err = format!(
            "unsupported message type: {kind} (Optline shows text messages only; open it in the provider's app)"
        );
        storage::message_set_error(c, inbound.id, &err)?;
        inbound.error = Some(err);
        row.last_message = Some(inbound.clone());
        announce(c, &flow, now, &row, &[inbound], false, &mut fx)?;
        return Ok((received, fx));
    }
    let f = facts(c, flows, &row, now)?;
    let pmid = Some(msg.provider_message_id.clone());
    let event = if msg.carrier_opt_out {
        engine::Event::CarrierOptOut {
            text: msg.body.clone(),
            provider_message_id: pmid,
        }
    } else if let Some(b) = &msg.button {
        // Rule 14: the engine matches the payload; the label is evidence.
        engine::Event::ButtonReply {
            payload: b.payload.clone(),
            label: b.label.clone(),
            provider_message_id: pmid,
        }
    } else {
        engine::Event::Inbound {
            text: msg.body.clone(),
            provider_message_id: pmid,
        }
    };
    let step = engine::step(&f.flow, &f.ctx, &f.thread, &event);
    let source = Source {
        provider: msg.provider.as_str(),
        signature_verified: msg.signature_verified,
    };
    let stored = store_step(c, row, &f, &step, None, source, &mut fx)?;
    let mut messages = Vec::with_capacity(1 + stored.created.len());
    messages.push(inbound);
    messages.extend(stored.created);
    announce(
        c,
        &f.flow,
        now,
        &stored.row,
        &messages,
        stored.consent_changed,
        &mut fx,
    )?;
    Ok((received, fx))
}

/// A first message from a contact: the contact (with the zones of the
/// number's prefix, else the flow's default zone) and the conversation are
/// created.
fn new_conversation(
    c: &Conn,
    flow: &engine::ValidFlow,
    now: DateTime<Utc>,
    msg: &InboundMessage,
) -> ConsentResult<storage::ConvRow> {
    let number = &msg.number;
    let zones = crate::phone_zones::zones_for_new_contact(&msg.from, flow.flow());
    let contact = storage::contact_upsert(c, number.org_id, &msg.from, None, &zones)?;
    let (id, _) = storage::conversation_get_or_create(
        c,
        number.org_id,
        number.id,
        contact.id,
        msg.channel,
        &fmt(now),
    )?;
    storage::conversation_row(c, id)?.ok_or(ConsentError::NotFound("conversation"))
}

/// How long a status report waits for its message to get that provider id.
pub const PENDING_STATUS_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Stores every item of one provider delivery (inside one write job, so
/// the provider is acknowledged only for what is durable). Waiting status
/// reports past [`PENDING_STATUS_TTL`] are pruned first, so the table
/// stays bounded whatever providers send.
pub fn receive_reports(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    reports: &[Report],
) -> ConsentResult<Effects> {
    let mut fx = Effects::default();
    if reports.iter().any(|r| matches!(r, Report::Status(_))) {
        storage::pending_statuses_prune(c, &fmt(now - PENDING_STATUS_TTL))?;
    }
    for report in reports {
        match report {
            Report::Message(m) => fx.extend(receive(c, flows, now, m)?.1),
            Report::Status(s) => apply_status(c, now, s, &mut fx)?,
        }
    }
    Ok(fx)
}

fn apply_status(
    c: &Conn,
    now: DateTime<Utc>,
    s: &StatusReport,
    fx: &mut Effects,
) -> ConsentResult<()> {
    let key = storage::StatusKey {
        number_id: s.number_id,
        provider: s.provider,
        pmid: &s.provider_message_id,
        reference: s.reference,
    };
    let applied = storage::status_apply(c, key, s.status, s.error.as_deref(), &fmt(now))?;
    if let Some(a) = applied {
        let row = storage::conversation_row(c, a.conversation_id)?
            .ok_or(ConsentError::NotFound("conversation"))?;
        crate::integrations::events::message_status(
            c,
            &row,
            a.message_id,
            a.status,
            a.error.as_deref(),
            &fmt(now),
        )?;
        fx.live.push((
            recipients(c, row.org_id, row.number_user_id)?,
            views::status_event(a.message_id, a.conversation_id, a.status, a.error),
        ));
    }
    Ok(())
}

/// A provider refused a send because the contact opted out with the
/// carrier: the engine records the opt-out.
pub fn provider_reports_opt_out(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    conversation_id: i64,
    reason: &str,
) -> ConsentResult<Effects> {
    let row = storage::conversation_row(c, conversation_id)?
        .ok_or(ConsentError::NotFound("conversation"))?;
    let f = facts(c, flows, &row, now)?;
    let step = engine::step(
        &f.flow,
        &f.ctx,
        &f.thread,
        &engine::Event::ProviderReportsOptOut {
            reason: reason.to_string(),
            provider_message_id: None,
        },
    );
    let mut fx = Effects::default();
    let source = Source::carrier(&row);
    store_and_announce(c, row, &f, &step, None, source, &mut fx)?;
    Ok(fx)
}
