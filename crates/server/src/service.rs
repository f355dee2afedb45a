//! The authoritative path: every agent action and every inbound message runs
//! the engine inside the writer's transaction, stores what it decided (thread,
//! holder, messages, audit) and returns the live events to publish after the
//! commit. These functions are synchronous and take the writer's connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use optline_api as api;
use optline_engine as engine;
use rusqlite::Connection;

use crate::clock::fmt;
use crate::error::{ApiError, ApiResult};
use crate::phone;
use crate::storage::{self, AuditRow, ConvRow, MessageRow, NewMessage, NumberRow, UserRow};

/// Events to publish once the transaction has committed: (recipients, event).
pub type Publish = Vec<(Vec<i64>, api::LiveEvent)>;

/// Validated flows per (line of business, channel); invalidated on save.
#[derive(Default)]
pub struct FlowCache {
    map: Mutex<HashMap<(i64, engine::Channel), Arc<engine::ValidFlow>>>,
    defaults: Mutex<HashMap<engine::Channel, Arc<engine::ValidFlow>>>,
}

impl FlowCache {
    pub fn invalidate(&self, lob: i64, ch: engine::Channel) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&(lob, ch));
        }
    }

    pub fn default_flow(&self, ch: engine::Channel) -> Arc<engine::ValidFlow> {
        let mut d = self.defaults.lock().unwrap_or_else(|e| e.into_inner());
        d.entry(ch)
            .or_insert_with(|| {
                Arc::new(
                    engine::validate(&engine::Flow::default_for(ch), ch)
                        .expect("the shipped default flow is valid"),
                )
            })
            .clone()
    }

    /// The flow in force (saved, or the default) and whether it is the default.
    pub fn get(
        &self,
        c: &Connection,
        lob: i64,
        ch: engine::Channel,
    ) -> ApiResult<Arc<engine::ValidFlow>> {
        if let Some(f) = self
            .map
            .lock()
            .ok()
            .and_then(|m| m.get(&(lob, ch)).cloned())
        {
            return Ok(f);
        }
        let flow = match storage::flow_get(c, lob, channel_str(ch))? {
            Some((json, _)) => match serde_json::from_str::<engine::Flow>(&json)
                .ok()
                .and_then(|f| engine::validate(&f, ch).ok())
            {
                Some(v) => Arc::new(v),
                // A stored flow that no longer validates is never used.
                None => self.default_flow(ch),
            },
            None => self.default_flow(ch),
        };
        if let Ok(mut m) = self.map.lock() {
            m.insert((lob, ch), flow.clone());
        }
        Ok(flow)
    }
}

pub fn engine_channel(s: &str) -> engine::Channel {
    if s == "whatsapp" {
        engine::Channel::WhatsApp
    } else {
        engine::Channel::Sms
    }
}

pub fn channel_str(c: engine::Channel) -> &'static str {
    match c {
        engine::Channel::Sms => "sms",
        engine::Channel::WhatsApp => "whatsapp",
    }
}

pub fn api_channel(s: &str) -> api::Channel {
    if s == "whatsapp" {
        api::Channel::Whatsapp
    } else {
        api::Channel::Sms
    }
}

pub fn from_api_channel(c: api::Channel) -> &'static str {
    c.as_str()
}

fn parse_thread(s: Option<&str>) -> engine::Thread {
    s.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

// ------------------------------------------------------------ conversions

pub fn message(m: &MessageRow) -> api::Message {
    api::Message {
        id: m.id,
        conversation_id: m.conversation_id,
        direction: if m.direction == "inbound" {
            api::Direction::Inbound
        } else {
            api::Direction::Outbound
        },
        kind: match m.kind.as_str() {
            "agent" => api::MessageKind::Agent,
            "contact" => api::MessageKind::Contact,
            _ => api::MessageKind::Automatic,
        },
        body: m.body.clone(),
        status: status(&m.status),
        error: m.error.clone(),
        provider_message_id: m.provider_message_id.clone(),
        user_id: m.user_id,
        created_at: m.created_at.clone(),
    }
}

fn status(s: &str) -> api::DeliveryStatus {
    match s {
        "received" => api::DeliveryStatus::Received,
        "queued" => api::DeliveryStatus::Queued,
        "sent" => api::DeliveryStatus::Sent,
        "delivered" => api::DeliveryStatus::Delivered,
        "read" => api::DeliveryStatus::Read,
        _ => api::DeliveryStatus::Failed,
    }
}

pub fn consent_view(
    thread: &engine::Thread,
    flow: &engine::ValidFlow,
    now: DateTime<Utc>,
) -> api::Consent {
    use engine::ConsentState as S;
    let (since, attempts) = match thread.consent {
        S::NotRequested => (None, 0),
        S::Pending {
            requested_at,
            attempts,
        } => (Some(requested_at), attempts),
        S::Accepted { at } | S::Rejected { at } | S::OptedOut { at } => (Some(at), 0),
    };
    let state = if engine::is_expired(flow, thread, now) {
        "expired".to_string()
    } else {
        thread.consent.name().as_str().to_string()
    };
    api::Consent {
        state,
        since: since.map(fmt),
        attempts,
        raw: serde_json::to_value(thread).unwrap_or_default(),
    }
}

pub fn summary(
    row: &ConvRow,
    flows: &FlowCache,
    c: &Connection,
    now: DateTime<Utc>,
) -> ApiResult<api::ConversationSummary> {
    let ch = engine_channel(&row.channel);
    let flow = flows.get(c, row.lob_id, ch)?;
    let thread = parse_thread(row.thread.as_deref());
    Ok(api::ConversationSummary {
        id: row.id,
        channel: api_channel(&row.channel),
        contact: api::Contact {
            id: row.contact.id,
            phone: row.contact.e164.clone(),
            name: row.contact.name.clone(),
            time_zone: row.contact.tz.clone(),
            utc_offset_seconds: phone::utc_offset(&row.contact.tz, now),
        },
        business_number: row.number_e164.clone(),
        consent: consent_view(&thread, &flow, now),
        unread: row.unread.clamp(0, u32::MAX as i64) as u32,
        last_message: row.last_message.as_ref().map(message),
        last_inbound_at: row.last_inbound_at.clone(),
        owner_user_id: row.holder,
        updated_at: row.updated_at.clone(),
    })
}

/// Loads a conversation visible to `user`, else 404 (also across tenants).
pub fn visible_conversation(c: &Connection, user: &UserRow, id: i64) -> ApiResult<ConvRow> {
    let row =
        storage::conversation_row(c, id)?.ok_or_else(|| ApiError::not_found("conversation"))?;
    let ok = if user.role == "admin" {
        row.org_id == user.org_id
    } else {
        row.org_id == user.org_id && row.number_user_id == Some(user.id)
    };
    if ok {
        Ok(row)
    } else {
        Err(ApiError::not_found("conversation"))
    }
}

/// Users who hear about a conversation: its number's user and the org's admins.
pub fn recipients(c: &Connection, org: i64, number_user: Option<i64>) -> ApiResult<Vec<i64>> {
    let mut v = storage::admin_ids(c, org)?;
    if let Some(u) = number_user {
        if !v.contains(&u) {
            v.push(u);
        }
    }
    Ok(v)
}

pub fn refusal_error(r: &engine::Refusal) -> ApiError {
    let mut e = ApiError::conflict(r.code.as_str(), r.text.clone());
    if r.code == engine::RefusalCode::EmptyMessage {
        e.status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        e.field = Some("body".into());
    }
    e
}

fn kind_of(k: engine::OutboundKind) -> &'static str {
    match k {
        engine::OutboundKind::AgentMessage => "agent",
        _ => "automatic",
    }
}

fn how_str(h: engine::How) -> String {
    serde_json::to_value(h)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn actor_str(a: engine::Actor) -> String {
    match a {
        engine::Actor::Contact => "contact".into(),
        engine::Actor::System => "system".into(),
        engine::Actor::Agent { id } => format!("user:{}", id.0),
        engine::Actor::Admin { id } => format!("admin:{}", id.0),
    }
}

struct Facts {
    ctx: engine::Context,
    flow: Arc<engine::ValidFlow>,
    thread: engine::Thread,
}

fn facts(c: &Connection, flows: &FlowCache, row: &ConvRow, now: DateTime<Utc>) -> ApiResult<Facts> {
    let ch = engine_channel(&row.channel);
    let flow = flows.get(c, row.lob_id, ch)?;
    let mut ctx = engine::Context::new(now, ch);
    ctx.channel_enabled = match ch {
        engine::Channel::Sms => row.sms_enabled,
        engine::Channel::WhatsApp => row.whatsapp_enabled,
    };
    ctx.contact_utc_offset_seconds = phone::utc_offset(&row.contact.tz, now);
    // Everything below comes with the conversation row (one query).
    ctx.holder = if ch == engine::Channel::WhatsApp {
        row.holder.map(engine::UserId)
    } else {
        None
    };
    ctx.company = row.org_name.clone();
    ctx.agent_name = row.agent_name.clone().unwrap_or_default();
    ctx.contact_name = row.contact.name.clone().unwrap_or_default();
    let thread = match row.thread.clone() {
        // Never guess a consent state: a stored thread the engine cannot read
        // (e.g. after an incompatible engine change) refuses every action
        // instead of silently restarting at NotRequested.
        Some(s) => serde_json::from_str(&s).map_err(|e| {
            ApiError::internal(format!(
                "stored consent state of conversation {} is unreadable: {e}",
                row.id
            ))
        })?,
        None => engine::Thread::default(),
    };
    Ok(Facts { ctx, flow, thread })
}

/// Stores a step's effects; returns the messages created.
fn apply(
    c: &Connection,
    row: &ConvRow,
    facts: &Facts,
    step: &engine::Step,
    acting_user: Option<i64>,
    now_s: &str,
    publish: &mut Publish,
) -> ApiResult<Vec<MessageRow>> {
    let thread_json =
        serde_json::to_string(&step.thread).map_err(|e| ApiError::internal(e.to_string()))?;
    storage::thread_put(c, row.id, &thread_json)?;
    if facts.ctx.channel == engine::Channel::WhatsApp && step.holder != facts.ctx.holder {
        storage::holder_set(
            c,
            row.lob_id,
            row.contact.id,
            step.holder.map(|u| u.0),
            now_s,
        )?;
        publish.push((
            recipients(c, row.org_id, row.number_user_id)?,
            api::LiveEvent::Ownership {
                ownership: api::Ownership {
                    line_of_business_id: row.lob_id,
                    contact_phone: row.contact.e164.clone(),
                    user_id: step.holder.map(|u| u.0),
                    since: Some(now_s.to_string()),
                },
            },
        ));
    }
    let mut created = Vec::new();
    // A real provider sends it after the commit (`queued` until it answers);
    // otherwise the simulator plays the contact's phone.
    let (status, provider) = if crate::providers::routes_channel(&row.provider, &row.channel) {
        ("queued", row.provider.as_str())
    } else {
        ("sent", "simulator")
    };
    for out in &step.outbound {
        let m = storage::message_insert(
            c,
            &NewMessage {
                conversation_id: row.id,
                direction: "outbound",
                kind: kind_of(out.kind),
                body: &out.text,
                // Handed to the provider; its delivery report comes later
                // (the simulator's right after the commit, see routes::publish).
                status,
                provider,
                provider_message_id: None,
                user_id: acting_user,
            },
            now_s,
        )?;
        created.push(m);
    }
    for a in &step.audit {
        let how = how_str(a.how);
        let request_text = match a.how {
            engine::How::AgentRequest | engine::How::AutoReprompt => Some(a.evidence.clone()),
            _ => storage::audit_last_request(
                c,
                row.org_id,
                &row.number_e164,
                &row.contact.e164,
                &row.channel,
            )?,
        };
        let action = if a.from != a.to {
            format!("{}:{}", a.to.as_str(), how)
        } else {
            how.clone()
        };
        let evidence = match &a.keyword {
            Some(k) => format!("{} [matched: {}]", a.evidence, k),
            None => a.evidence.clone(),
        };
        storage::audit_insert(
            c,
            &AuditRow {
                id: 0,
                org_id: row.org_id,
                at: fmt(a.at),
                number: row.number_e164.clone(),
                contact: row.contact.e164.clone(),
                channel: row.channel.clone(),
                actor: actor_str(a.actor),
                action,
                from_state: a.from.as_str().into(),
                to_state: a.to.as_str().into(),
                evidence,
                request_text,
                provider_message_id: a.provider_message_id.clone(),
            },
        )?;
    }
    Ok(created)
}

/// Appends the message and consent events for a conversation after changes.
fn conversation_events(
    c: &Connection,
    flows: &FlowCache,
    conv_id: i64,
    now: DateTime<Utc>,
    messages: &[MessageRow],
    consent_changed: bool,
    publish: &mut Publish,
) -> ApiResult<api::ConversationSummary> {
    let row = storage::conversation_row(c, conv_id)?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let summary = summary(&row, flows, c, now)?;
    let to = recipients(c, row.org_id, row.number_user_id)?;
    for m in messages {
        publish.push((
            to.clone(),
            api::LiveEvent::Message {
                conversation: Box::new(summary.clone()),
                message: message(m),
            },
        ));
    }
    if consent_changed {
        publish.push((
            to,
            api::LiveEvent::Consent {
                conversation_id: conv_id,
                consent: summary.consent.clone(),
            },
        ));
    }
    Ok(summary)
}

/// What an agent does to a conversation.
pub enum AgentAction {
    Send(String),
    RequestOptIn,
}

pub fn agent_act(
    c: &Connection,
    flows: &FlowCache,
    now: DateTime<Utc>,
    user: &UserRow,
    conv_id: i64,
    action: AgentAction,
) -> ApiResult<(api::ActionResult, Publish)> {
    let row = visible_conversation(c, user, conv_id)?;
    let facts = facts(c, flows, &row, now)?;
    let agent = engine::UserId(user.id);
    let event = match action {
        AgentAction::Send(text) => engine::Event::AgentSends { agent, text },
        AgentAction::RequestOptIn => engine::Event::AgentRequestsOptIn { agent },
    };
    let step = engine::step(&facts.flow, &facts.ctx, &facts.thread, &event);
    if let engine::Verdict::Refused(r) = &step.verdict {
        return Err(refusal_error(r));
    }
    let now_s = fmt(now);
    let mut publish = Vec::new();
    let created = apply(c, &row, &facts, &step, Some(user.id), &now_s, &mut publish)?;
    let changed = step.thread.consent != facts.thread.consent;
    let summary = conversation_events(c, flows, row.id, now, &created, changed, &mut publish)?;
    Ok((
        api::ActionResult {
            conversation: summary,
            messages: created.iter().map(message).collect(),
        },
        publish,
    ))
}

/// Starts (or finds) a conversation of `user`'s number with `phone`.
#[allow(clippy::too_many_arguments)]
pub fn start_conversation(
    c: &Connection,
    flows: &FlowCache,
    now: DateTime<Utc>,
    user: &UserRow,
    phone_e164: &str,
    channel: &str,
    name: Option<&str>,
    tz: Option<&str>,
) -> ApiResult<api::ConversationSummary> {
    let number = storage::number_by_user(c, user.id)?.ok_or_else(|| {
        ApiError::unprocessable(
            "no_business_number",
            "phone",
            "You have no business number to message from. Ask your admin to assign one.",
        )
    })?;
    if number.e164 == phone_e164 {
        return Err(ApiError::unprocessable(
            "invalid_phone",
            "phone",
            "`phone` is your own business number. Enter the contact's number.",
        ));
    }
    let flow = flows.get(c, number.lob_id, engine_channel(channel))?;
    let default_tz = phone::guess_time_zone(phone_e164)
        .map(str::to_string)
        .unwrap_or_else(|| flow.flow().default_time_zone.clone());
    let contact = storage::contact_upsert(
        c,
        number.org_id,
        phone_e164,
        name,
        tz.unwrap_or(&default_tz),
        tz.is_some(),
    )?;
    let now_s = fmt(now);
    let (id, _) = storage::conversation_get_or_create(
        c,
        number.org_id,
        number.id,
        contact.id,
        channel,
        &now_s,
    )?;
    let row =
        storage::conversation_row(c, id)?.ok_or_else(|| ApiError::not_found("conversation"))?;
    summary(&row, flows, c, now)
}

/// The one inbound path: simulator today, real providers' webhooks later.
pub struct Inbound<'a> {
    pub from: &'a str,
    pub to: &'a NumberRow,
    pub channel: &'a str,
    pub body: &'a str,
    pub provider: &'a str,
    pub provider_message_id: &'a str,
    /// The contact's zone guessed from the number (used for new contacts).
    pub guessed_tz: Option<&'a str>,
    /// A message type Optline does not handle (image, audio, location, ...):
    /// recorded as such, not shown to the engine.
    pub unsupported: Option<&'a str>,
    /// The carrier (Twilio) treated this message as STOP: an opt-out
    /// whatever the flow says, and no confirmation from us (the carrier sent one).
    pub carrier_stop: bool,
}

pub fn inbound(
    c: &Connection,
    flows: &FlowCache,
    now: DateTime<Utc>,
    msg: &Inbound,
) -> ApiResult<(api::SimInboundResponse, Publish)> {
    if let Some(id) = storage::message_by_provider_id(c, msg.provider, msg.provider_message_id)? {
        return Ok((
            api::SimInboundResponse {
                message_id: id,
                provider_message_id: msg.provider_message_id.to_string(),
                duplicate: true,
            },
            Vec::new(),
        ));
    }
    let number = msg.to;
    let now_s = fmt(now);
    let ch = engine_channel(msg.channel);
    let flow = flows.get(c, number.lob_id, ch)?;
    let default_tz = msg
        .guessed_tz
        .map(str::to_string)
        .unwrap_or_else(|| flow.flow().default_time_zone.clone());
    let contact = storage::contact_upsert(c, number.org_id, msg.from, None, &default_tz, false)?;
    let (conv_id, _) = storage::conversation_get_or_create(
        c,
        number.org_id,
        number.id,
        contact.id,
        msg.channel,
        &now_s,
    )?;
    let mut inbound_msg = storage::message_insert(
        c,
        &NewMessage {
            conversation_id: conv_id,
            direction: "inbound",
            kind: "contact",
            body: msg.body,
            status: "received",
            provider: msg.provider,
            provider_message_id: Some(msg.provider_message_id),
            user_id: None,
        },
        &now_s,
    )?;
    let row = storage::conversation_row(c, conv_id)?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    if let Some(kind) = msg.unsupported {
        // Recorded (it opens the WhatsApp window like any inbound message)
        // and shown to the agent, but never read as a keyword.
        let err = format!(
            "unsupported message type: {kind} (Optline shows text messages only; open it in the provider's app)"
        );
        storage::message_set_error(c, inbound_msg.id, &err)?;
        inbound_msg.error = Some(err);
        let mut publish = Vec::new();
        conversation_events(
            c,
            flows,
            conv_id,
            now,
            std::slice::from_ref(&inbound_msg),
            false,
            &mut publish,
        )?;
        return Ok((
            api::SimInboundResponse {
                message_id: inbound_msg.id,
                provider_message_id: msg.provider_message_id.to_string(),
                duplicate: false,
            },
            publish,
        ));
    }
    let facts = facts(c, flows, &row, now)?;
    let event = engine::Event::Inbound {
        text: msg.body.to_string(),
        provider_message_id: Some(msg.provider_message_id.to_string()),
    };
    let mut step = engine::step(&facts.flow, &facts.ctx, &facts.thread, &event);
    let mut carrier_opt_out = false;
    if msg.carrier_stop {
        // The carrier already confirmed the opt-out and blocks further
        // messages, so nothing is sent; consent follows the carrier.
        step.outbound.clear();
        if !matches!(step.thread.consent, engine::ConsentState::OptedOut { .. }) {
            step.thread.consent = engine::ConsentState::OptedOut { at: now };
            step.audit.clear();
            carrier_opt_out = true;
        }
    }
    let mut publish = Vec::new();
    let mut created = vec![inbound_msg.clone()];
    created.extend(apply(c, &row, &facts, &step, None, &now_s, &mut publish)?);
    if carrier_opt_out {
        storage::audit_insert(
            c,
            &AuditRow {
                id: 0,
                org_id: row.org_id,
                at: now_s.clone(),
                number: row.number_e164.clone(),
                contact: row.contact.e164.clone(),
                channel: row.channel.clone(),
                actor: "contact".into(),
                action: "opted_out:carrier_stop".into(),
                from_state: facts.thread.consent.name().as_str().into(),
                to_state: "opted_out".into(),
                evidence: format!("{} [carrier STOP via {}]", msg.body, msg.provider),
                request_text: None,
                provider_message_id: Some(msg.provider_message_id.to_string()),
            },
        )?;
    }
    let changed = step.thread.consent != facts.thread.consent;
    // The row as it is now, without reading it back.
    let mut row = row;
    row.thread = serde_json::to_string(&step.thread).ok();
    if facts.ctx.channel == engine::Channel::WhatsApp {
        row.holder = step.holder.map(|u| u.0);
    }
    row.last_message = created.last().cloned();
    row.updated_at = now_s.clone();
    let summary = summary(&row, flows, c, now)?;
    let to = recipients(c, row.org_id, row.number_user_id)?;
    for m in &created {
        publish.push((
            to.clone(),
            api::LiveEvent::Message {
                conversation: Box::new(summary.clone()),
                message: message(m),
            },
        ));
    }
    if changed {
        publish.push((
            to,
            api::LiveEvent::Consent {
                conversation_id: conv_id,
                consent: summary.consent.clone(),
            },
        ));
    }
    Ok((
        api::SimInboundResponse {
            message_id: inbound_msg.id,
            provider_message_id: msg.provider_message_id.to_string(),
            duplicate: false,
        },
        publish,
    ))
}

/// Admin reassigns (`Some`) or releases (`None`) a WhatsApp contact.
pub fn reassign(
    c: &Connection,
    flows: &FlowCache,
    now: DateTime<Utc>,
    admin: &UserRow,
    lob: i64,
    contact_e164: &str,
    to: Option<i64>,
) -> ApiResult<(api::Ownership, Publish)> {
    if !storage::lob_in_org(c, admin.org_id, lob)? {
        return Err(ApiError::not_found("line of business").field("line_of_business_id"));
    }
    if let Some(u) = to {
        let ok = storage::user_by_id(c, u)?.is_some_and(|x| x.org_id == admin.org_id && x.active);
        if !ok {
            return Err(ApiError::not_found("user").field("user_id"));
        }
    }
    let contact = storage::contact_id_by_e164(c, admin.org_id, contact_e164)?
        .ok_or_else(|| ApiError::not_found("contact").field("contact_phone"))?;
    let now_s = fmt(now);
    let mut publish = Vec::new();
    // Record the change on every WhatsApp thread of the contact in the line.
    let convs = storage::whatsapp_conversations_in_lob(c, lob, contact)?;
    let event = engine::Event::Reassigned {
        to: to.map(engine::UserId),
        by: engine::UserId(admin.id),
    };
    for (conv_id, _) in &convs {
        let row = storage::conversation_row(c, *conv_id)?
            .ok_or_else(|| ApiError::not_found("conversation"))?;
        let f = facts(c, flows, &row, now)?;
        let step = engine::step(&f.flow, &f.ctx, &f.thread, &event);
        let mut ignore = Vec::new();
        apply(c, &row, &f, &step, None, &now_s, &mut ignore)?;
    }
    storage::holder_set(c, lob, contact, to, &now_s)?;
    let ownership = api::Ownership {
        line_of_business_id: lob,
        contact_phone: contact_e164.to_string(),
        user_id: to,
        since: to.map(|_| now_s.clone()),
    };
    let mut users = storage::admin_ids(c, admin.org_id)?;
    for (_, u) in &convs {
        if *u != 0 && !users.contains(u) {
            users.push(*u);
        }
    }
    if let Some(u) = to {
        if !users.contains(&u) {
            users.push(u);
        }
    }
    publish.push((
        users,
        api::LiveEvent::Ownership {
            ownership: ownership.clone(),
        },
    ));
    Ok((ownership, publish))
}

/// Admin switches channels of a number; audited on every thread of it.
pub fn toggle_channels(
    c: &Connection,
    now: DateTime<Utc>,
    admin: &UserRow,
    number: &NumberRow,
    sms: Option<bool>,
    whatsapp: Option<bool>,
) -> ApiResult<()> {
    let now_s = fmt(now);
    for (ch, new, old) in [
        ("sms", sms, number.sms_enabled),
        ("whatsapp", whatsapp, number.whatsapp_enabled),
    ] {
        let Some(new) = new else { continue };
        if new == old {
            continue;
        }
        storage::audit_insert(
            c,
            &AuditRow {
                id: 0,
                org_id: number.org_id,
                at: now_s.clone(),
                number: number.e164.clone(),
                contact: String::new(),
                channel: ch.into(),
                actor: format!("admin:{}", admin.id),
                action: "channel_toggled".into(),
                from_state: if old { "enabled" } else { "disabled" }.into(),
                to_state: if new { "enabled" } else { "disabled" }.into(),
                evidence: format!(
                    "{} {} for {}",
                    if ch == "sms" { "SMS" } else { "WhatsApp" },
                    if new { "switched on" } else { "switched off" },
                    number.e164
                ),
                request_text: None,
                provider_message_id: None,
            },
        )?;
    }
    storage::number_update(c, number.id, sms, whatsapp, None)
}
