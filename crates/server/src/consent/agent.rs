//! An agent's actions on a conversation: send a message, request opt-in,
//! start a conversation with a new number.

use crate::storage::Conn;
use chrono::{DateTime, Utc};
use optline_api as api;
use optline_engine::{self as engine, Channel, UserId};

use super::effects::{store_and_announce, Effects, Source};
use super::facts::facts;
use super::{visible_conversation, ConsentError, ConsentResult, FlowCache};
use crate::clock::fmt;
use crate::phone_zones;
use crate::storage::{self, UserRow};
use crate::views;

/// What an agent does to a conversation.
#[derive(Clone)]
pub enum AgentAction {
    Send(String),
    RequestOptIn,
}

/// Runs the engine on an agent's action; a refusal is returned as
/// [`ConsentError::Refused`] and nothing is stored.
pub fn act(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    user: &UserRow,
    conv_id: i64,
    action: AgentAction,
) -> ConsentResult<(api::ActionResult, Effects)> {
    let row = visible_conversation(c, user, conv_id)?;
    // Consent is held per business number: only its holder speaks in the
    // conversation. An admin who could act here would run the engine (and,
    // on WhatsApp, take the contact over) as if they were the agent.
    if row.number_user_id != Some(user.id) {
        return Err(ConsentError::Forbidden(
            "Only the agent whose number this is can message in this conversation. Give yourself a number to message.",
        ));
    }
    let f = facts(c, flows, &row, now)?;
    let agent = UserId(user.id);
    let event = match action {
        AgentAction::Send(text) => engine::Event::AgentSends { agent, text },
        AgentAction::RequestOptIn => engine::Event::AgentRequestsOptIn { agent },
    };
    let step = engine::step(&f.flow, &f.ctx, &f.thread, &event);
    if let engine::Verdict::Refused(r) = step.verdict {
        return Err(ConsentError::Refused(r));
    }
    let mut fx = Effects::default();
    let source = Source::carrier(&row);
    let (stored, summary) = store_and_announce(c, row, &f, &step, Some(user.id), source, &mut fx)?;
    Ok((
        api::ActionResult {
            conversation: summary,
            messages: stored.created.iter().map(views::message).collect(),
        },
        fx,
    ))
}

/// A new conversation's contact and channel, as the agent gave them.
pub struct NewConversation<'a> {
    pub phone_e164: &'a str,
    pub channel: Channel,
    pub name: Option<&'a str>,
    pub time_zone: Option<&'a str>,
}

/// Starts (or finds) a conversation of `user`'s number with a contact.
pub fn start_conversation(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    user: &UserRow,
    new: &NewConversation,
) -> ConsentResult<api::ConversationSummary> {
    let number = storage::number_by_user(c, user.id)?.ok_or(ConsentError::Invalid {
        code: "no_business_number",
        field: "phone",
        message: "You have no business number to message from. Ask your admin to assign one.",
    })?;
    if number.e164 == new.phone_e164 {
        return Err(ConsentError::Invalid {
            code: "invalid_phone",
            field: "phone",
            message: "`phone` is your own business number. Enter the contact's number.",
        });
    }
    let flow = flows.get(c, number.lob_id, new.channel)?;
    let existing = storage::contact_by_e164(c, number.org_id, new.phone_e164)?;
    if let (Some(contact), Some(tz)) = (&existing, new.time_zone) {
        if contact.tz != tz {
            return Err(ConsentError::Conflict {
                code: "time_zone_already_set",
                field: "time_zone",
                message: format!(
                    "This contact's time zone is already set ({}). Leave `time_zone` out; only an administrator can change it.",
                    contact.tz.replace(' ', ", ")
                ),
            });
        }
    }
    let zones = match new.time_zone {
        Some(tz) => tz.to_string(),
        None => phone_zones::zones_for_new_contact(new.phone_e164, flow.flow()),
    };
    let contact = storage::contact_upsert(c, number.org_id, new.phone_e164, new.name, &zones)?;
    let (id, _) = storage::conversation_get_or_create(
        c,
        number.org_id,
        number.id,
        contact.id,
        new.channel,
        &fmt(now),
    )?;
    let row = storage::conversation_row(c, id)?.ok_or(ConsentError::NotFound("conversation"))?;
    Ok(views::summary(&row, &flow, now))
}
