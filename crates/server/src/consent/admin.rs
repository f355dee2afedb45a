//! An admin's changes that touch consent threads: switching a channel of a
//! number, reassigning or releasing a WhatsApp contact, and changing a
//! contact's time zone. Each runs the engine on every affected thread, so
//! their audit rows are the engine's.

use crate::storage::Conn;
use chrono::{DateTime, Utc};
use optline_api as api;
use optline_engine::{self as engine, Channel, UserId};

use super::effects::{store_step, Effects, Source};
use super::facts::facts;
use super::{ConsentError, ConsentResult, FlowCache};
use crate::clock::fmt;
use crate::storage::{self, NumberRow, UserRow};
use crate::views;

/// Runs `event` on the threads `conversations` and stores each step.
fn step_each(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    conversations: impl IntoIterator<Item = i64>,
    event: &engine::Event,
) -> ConsentResult<()> {
    for id in conversations {
        let row =
            storage::conversation_row(c, id)?.ok_or(ConsentError::NotFound("conversation"))?;
        let f = facts(c, flows, &row, now)?;
        let step = engine::step(&f.flow, &f.ctx, &f.thread, event);
        // Ownership events are announced once by the caller, not per thread.
        store_step(
            c,
            row,
            &f,
            &step,
            None,
            Source::manual(),
            &mut Effects::default(),
        )?;
    }
    Ok(())
}

/// Admin reassigns (`Some`) or releases (`None`) a WhatsApp contact in a
/// line of business.
pub fn reassign(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    admin: &UserRow,
    lob: i64,
    contact_e164: &str,
    to: Option<i64>,
) -> ConsentResult<(api::Ownership, Effects)> {
    if !storage::lob_in_org(c, admin.org_id, lob)? {
        return Err(ConsentError::NotFound("line of business"));
    }
    if let Some(u) = to {
        let ok = storage::user_by_id(c, u)?.is_some_and(|x| x.org_id == admin.org_id && x.active);
        if !ok {
            return Err(ConsentError::NotFound("user"));
        }
    }
    let contact = storage::contact_id_by_e164(c, admin.org_id, contact_e164)?
        .ok_or(ConsentError::NotFound("contact"))?;
    let now_s = fmt(now);
    let convs = storage::whatsapp_conversations_in_lob(c, lob, contact)?;
    let event = engine::Event::Reassigned {
        to: to.map(UserId),
        by: UserId(admin.id),
    };
    step_each(c, flows, now, convs.iter().map(|(id, _)| *id), &event)?;
    // Each thread's step already stored (and reported) the new holder; a
    // contact without a WhatsApp thread here changes hands only below.
    if storage::holder_get(c, lob, contact)? != to {
        crate::integrations::events::ownership_changed(
            c,
            admin.org_id,
            lob,
            contact_e164,
            to,
            &now_s,
        )?;
    }
    storage::holder_set(c, lob, contact, to, &now_s)?;
    let ownership = api::Ownership {
        line_of_business_id: lob,
        contact_phone: contact_e164.to_string(),
        user_id: to,
        since: to.map(|_| now_s.clone()),
    };
    let mut users = storage::admin_ids(c, admin.org_id)?;
    for u in convs.iter().filter_map(|(_, u)| *u).chain(to) {
        if !users.contains(&u) {
            users.push(u);
        }
    }
    let mut fx = Effects::default();
    fx.live.push((
        users,
        api::LiveEvent::Ownership {
            ownership: ownership.clone(),
        },
    ));
    Ok((ownership, fx))
}

/// Admin switches channels of a number; the engine records the switch on
/// every thread of that number and channel.
pub fn toggle_channels(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    admin: &UserRow,
    number: &NumberRow,
    sms: Option<bool>,
    whatsapp: Option<bool>,
) -> ConsentResult<()> {
    storage::number_update(c, number.id, sms, whatsapp, None)?;
    for (channel, new) in [(Channel::Sms, sms), (Channel::WhatsApp, whatsapp)] {
        let Some(enabled) = new else { continue };
        if enabled == number.channel_enabled(channel) {
            continue;
        }
        let event = engine::Event::ChannelToggled {
            enabled,
            by: UserId(admin.id),
        };
        let threads = storage::conversations_of_number(c, number.id, channel)?;
        step_each(c, flows, now, threads, &event)?;
    }
    Ok(())
}

/// Admin sets contact `contact_id`'s time zone to `tz` (already validated).
/// Quiet hours of every thread with the contact move with it, so each thread
/// gets an audit row saying from what to what and why.
pub fn set_time_zone(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    admin: &UserRow,
    contact_id: i64,
    tz: &str,
    note: Option<&str>,
) -> ConsentResult<api::Contact> {
    let contact = storage::contact_by_id(c, admin.org_id, contact_id)?
        .ok_or(ConsentError::NotFound("contact"))?;
    if contact.tz == tz {
        return Ok(views::contact(&contact, now));
    }
    storage::contact_set_time_zone(c, contact.id, tz)?;
    let event = engine::Event::TimeZoneChanged {
        old_zones: contact.tz.clone(),
        new_zones: tz.to_string(),
        note: note.map(str::to_string),
        by: UserId(admin.id),
    };
    step_each(
        c,
        flows,
        now,
        storage::conversations_of_contact(c, contact.id)?,
        &event,
    )?;
    let updated = storage::ContactRow {
        tz: tz.to_string(),
        ..contact
    };
    Ok(views::contact(&updated, now))
}
