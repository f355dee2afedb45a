//! The API's view of stored rows: every conversion from a storage row to a
//! wire type lives here, so the HTTP handlers and the live events built by
//! the consent layer show the same thing.

use chrono::{DateTime, Utc};
use optline_api as api;
use optline_engine as engine;

use crate::phone_zones;
use crate::providers;
use crate::storage::{AuditRow, ContactRow, ConvRow, MessageRow, NumberRow, UserRow};

pub fn message(m: &MessageRow) -> api::Message {
    api::Message {
        id: m.id,
        conversation_id: m.conversation_id,
        direction: m.direction,
        kind: m.kind,
        body: m.body.clone(),
        status: m.status,
        error: m.error.clone(),
        provider_message_id: m.provider_message_id.clone(),
        user_id: m.user_id,
        created_at: m.created_at.clone(),
        sender_unverified: m.sender_unverified,
    }
}

/// Consent as the UI shows it: the engine's status, its thread and the
/// stored thread's version.
pub fn consent(
    thread: &engine::Thread,
    version: i64,
    flow: &engine::ValidFlow,
    now: DateTime<Utc>,
) -> api::Consent {
    api::Consent {
        state: engine::consent_status(flow, thread, now),
        since: thread.consent.since().map(crate::clock::fmt),
        attempts: thread.consent.attempts(),
        raw: thread.clone(),
        version,
    }
}

/// One inbox row. `flow` is the flow in force for the row's line of
/// business and channel.
/// A contact as the API shows it: every zone it may be in, with the
/// offsets now (the first is the engine's main offset).
pub fn contact(row: &ContactRow, now: DateTime<Utc>) -> api::Contact {
    let offsets = phone_zones::utc_offsets(&row.tz, now);
    api::Contact {
        id: row.id,
        phone: row.e164.clone(),
        name: row.name.clone(),
        time_zone: phone_zones::zones(&row.tz)
            .next()
            .unwrap_or("UTC")
            .to_string(),
        utc_offset_seconds: offsets[0],
        time_zones: phone_zones::zones(&row.tz).map(str::to_string).collect(),
        other_utc_offsets_seconds: offsets[1..].to_vec(),
    }
}

pub fn summary(
    row: &ConvRow,
    flow: &engine::ValidFlow,
    now: DateTime<Utc>,
) -> api::ConversationSummary {
    // An unreadable thread is shown as never asked; every action on it is
    // refused by the consent layer.
    let thread = row.thread.clone().unwrap_or_default();
    api::ConversationSummary {
        id: row.id,
        channel: row.channel,
        contact: contact(&row.contact, now),
        business_number: row.number_e164.clone(),
        consent: consent(&thread, row.consent_version, flow, now),
        unread: row.unread.clamp(0, u32::MAX as i64) as u32,
        last_message: row.last_message.as_ref().map(message),
        last_inbound_at: row.last_inbound_at.clone(),
        owner_user_id: row.holder,
        updated_at: row.updated_at.clone(),
    }
}

pub fn number(n: &NumberRow) -> api::BusinessNumber {
    api::BusinessNumber {
        id: n.id,
        phone: n.e164.clone(),
        line_of_business_id: n.lob_id,
        user_id: n.user_id,
        sms_enabled: n.sms_enabled,
        whatsapp_enabled: n.whatsapp_enabled,
        provider: n.provider.as_str().to_string(),
        provider_settings: providers::settings_view(n),
    }
}

pub fn user(u: &UserRow, number: Option<&NumberRow>) -> api::User {
    api::User {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role,
        line_of_business_id: u.lob_id,
        number: number.map(self::number),
        active: u.active,
    }
}

pub fn audit(a: AuditRow) -> api::AuditRecord {
    api::AuditRecord {
        id: a.id,
        at: a.at,
        business_number: a.number,
        contact_phone: a.contact,
        channel: a.channel,
        actor: a.actor,
        action: a.action,
        from_state: a.from_state,
        to_state: a.to_state,
        evidence: a.evidence,
        request_text: a.request_text,
        provider_message_id: a.provider_message_id,
        source: a.source,
        signature_verified: a.signature_verified,
        template_name: a.template_name,
        template_language: a.template_language,
    }
}

pub fn status_event(
    message_id: i64,
    conversation_id: i64,
    status: api::DeliveryStatus,
    error: Option<String>,
) -> api::LiveEvent {
    api::LiveEvent::Status {
        conversation_id,
        message_id,
        status,
        error,
    }
}
