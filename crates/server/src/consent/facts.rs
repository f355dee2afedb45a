//! The facts the engine decides on, gathered from one conversation row:
//! the flow in force, the context (clock, channel switch, contact's UTC
//! offset, WhatsApp holder, names for placeholders) and the stored thread.

use std::sync::Arc;

use crate::storage::Conn;
use chrono::{DateTime, Utc};
use optline_engine::{self as engine, Channel, UserId};

use super::{ConsentError, ConsentResult, FlowCache};
use crate::phone_zones;
use crate::storage::ConvRow;

pub(crate) struct Facts {
    pub ctx: engine::Context,
    pub flow: Arc<engine::ValidFlow>,
    pub thread: engine::Thread,
}

/// The engine's context for `row` at `now`.
pub(crate) fn context(row: &ConvRow, now: DateTime<Utc>) -> engine::Context {
    let mut ctx = engine::Context::new(now, row.channel);
    ctx.channel_enabled = row.channel_enabled();
    let offsets = phone_zones::utc_offsets(&row.contact.tz, now);
    ctx.contact_utc_offset_seconds = offsets[0];
    ctx.contact_other_utc_offsets_seconds = offsets[1..].to_vec();
    ctx.holder = match row.channel {
        Channel::WhatsApp => row.holder.map(UserId),
        Channel::Sms => None,
    };
    ctx.company = row.org_name.clone();
    ctx.agent_name = row.agent_name.clone().unwrap_or_default();
    ctx.contact_name = row.contact.name.clone().unwrap_or_default();
    ctx
}

pub(crate) fn facts(
    c: &Conn,
    flows: &FlowCache,
    row: &ConvRow,
    now: DateTime<Utc>,
) -> ConsentResult<Facts> {
    let flow = flows.get(c, row.lob_id, row.channel)?;
    let ctx = context(row, now);
    // Never guess a consent state: a stored thread the engine cannot read
    // (e.g. after an incompatible engine change) refuses every action
    // instead of silently restarting at NotRequested.
    let thread = row
        .thread
        .clone()
        .map_err(|reason| ConsentError::UnreadableThread {
            conversation: row.id,
            reason,
        })?;
    Ok(Facts { ctx, flow, thread })
}
