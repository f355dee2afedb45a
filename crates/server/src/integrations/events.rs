//! The events an organization's endpoints receive, written to the webhook
//! outbox *inside the transaction of the change they report* (the consent
//! layer and the status paths call these with the writer's connection), so
//! an event exists exactly when its change was committed. Nothing here
//! decides anything: the payloads restate what was stored (the audit row,
//! the message, the holder).
//!
//! Body of every delivery: `{"type", "timestamp", "data"}` (Standard
//! Webhooks); see the README for each type's `data`.

use crate::storage::Conn;
use optline_api::DeliveryStatus;
use optline_engine as engine;
use serde_json::{json, Value};

use super::signing::new_event_id;
use crate::storage::{self, AuditRow, ConvRow, EventType, MessageRow, NewEvent, StorageResult};

/// Stores one event of `org` for every enabled endpoint subscribed to `t`
/// (nothing when there is none). `contact` orders deliveries per contact.
/// The payload is built only when someone subscribed: this runs for every
/// message, and most organizations have no endpoint.
fn emit(
    c: &Conn,
    org: i64,
    t: EventType,
    contact: Option<&str>,
    at: &str,
    data: impl FnOnce() -> Value,
) -> StorageResult<()> {
    let endpoints = storage::webhook_subscribers(c, org, t)?;
    if endpoints.is_empty() {
        return Ok(());
    }
    enqueue(c, org, t, contact, at, data(), &endpoints).map(|_| ())
}

fn enqueue(
    c: &Conn,
    org: i64,
    t: EventType,
    contact: Option<&str>,
    at: &str,
    data: Value,
    endpoints: &[i64],
) -> StorageResult<Vec<i64>> {
    let body = json!({"type": t.as_str(), "timestamp": at, "data": data}).to_string();
    let id = new_event_id();
    storage::webhook_enqueue(
        c,
        &NewEvent {
            org_id: org,
            event_id: &id,
            event_type: t,
            body: &body,
            contact_key: contact,
        },
        endpoints,
        at,
    )
}

/// `consent.changed`: an engine record that moved a thread's consent
/// state, with everything its audit row holds (`audit_id` names that row).
pub fn consent_changed(
    c: &Conn,
    row: &ConvRow,
    record: &engine::AuditRecord,
    audit: &AuditRow,
    audit_id: i64,
) -> StorageResult<()> {
    if record.from == record.to {
        return Ok(());
    }
    let data = || {
        let template = match (&audit.template_name, &audit.template_language) {
            (Some(name), Some(language)) => json!({"name": name, "language": language}),
            _ => Value::Null,
        };
        json!({
        "audit_id": audit_id,
        "contact_id": row.contact.id,
        "contact": row.contact.e164,
        "business_number": row.number_e164,
        "channel": row.channel.as_str(),
        "from_state": record.from.as_str(),
        "to_state": record.to.as_str(),
        "how": record.how.as_str(),
        "keyword": record.keyword,
        "request_text": audit.request_text,
        "template": template,
        "evidence": record.evidence,
        "evidence_source": audit.source,
        "signature_verified": audit.signature_verified,
        "provider_message_id": record.provider_message_id,
        "actor": audit.actor,
        "at": audit.at,
        })
    };
    emit(
        c,
        row.org_id,
        EventType::ConsentChanged,
        Some(&row.contact.e164),
        &audit.at,
        data,
    )
}

/// `message.received`: a contact's message was stored.
pub fn message_received(
    c: &Conn,
    row: &ConvRow,
    m: &MessageRow,
    provider: &str,
) -> StorageResult<()> {
    let data = || {
        json!({
            "message_id": m.id,
            "conversation_id": row.id,
            "contact_id": row.contact.id,
            "contact": row.contact.e164,
            "business_number": row.number_e164,
            "channel": row.channel.as_str(),
            "body": m.body,
            "provider": provider,
            "provider_message_id": m.provider_message_id,
            "sender_unverified": m.sender_unverified,
            "received_at": m.created_at,
        })
    };
    emit(
        c,
        row.org_id,
        EventType::MessageReceived,
        Some(&row.contact.e164),
        &m.created_at,
        data,
    )
}

/// `message.status`: an outbound message's delivery status moved.
pub fn message_status(
    c: &Conn,
    row: &ConvRow,
    message_id: i64,
    status: DeliveryStatus,
    error: Option<&str>,
    at: &str,
) -> StorageResult<()> {
    let data = || {
        json!({
            "message_id": message_id,
            "conversation_id": row.id,
            "contact_id": row.contact.id,
            "contact": row.contact.e164,
            "business_number": row.number_e164,
            "channel": row.channel.as_str(),
            "status": status,
            "error": error,
            "at": at,
        })
    };
    emit(
        c,
        row.org_id,
        EventType::MessageStatus,
        Some(&row.contact.e164),
        at,
        data,
    )
}

/// `message.status` for a message known by id only (loads its conversation
/// when an endpoint listens).
pub fn message_status_of(
    c: &Conn,
    conversation_id: i64,
    message_id: i64,
    status: DeliveryStatus,
    error: Option<&str>,
    at: &str,
) -> StorageResult<()> {
    if !storage::webhook_any_subscriber(c, EventType::MessageStatus)? {
        return Ok(());
    }
    let Some(row) = storage::conversation_row(c, conversation_id)? else {
        return Ok(());
    };
    message_status(c, &row, message_id, status, error, at)
}

/// `ownership.changed`: a WhatsApp contact's holder in a line of business
/// changed (`user_id` None: released).
pub fn ownership_changed(
    c: &Conn,
    org: i64,
    line_of_business_id: i64,
    contact: &str,
    user_id: Option<i64>,
    at: &str,
) -> StorageResult<()> {
    let data = || {
        json!({
            "line_of_business_id": line_of_business_id,
            "contact": contact,
            "user_id": user_id,
            "at": at,
        })
    };
    emit(c, org, EventType::OwnershipChanged, Some(contact), at, data)
}

/// `webhook.test`: an admin's test event to one endpoint; returns its delivery id.
pub fn test_event(c: &Conn, org: i64, endpoint: i64, at: &str) -> StorageResult<i64> {
    let data = json!({
        "message": "A test event from Optline. Verify its signature with your endpoint's secret.",
        "endpoint_id": endpoint,
    });
    let ids = enqueue(c, org, EventType::Test, None, at, data, &[endpoint])?;
    Ok(ids[0])
}
