//! Manual records (DESIGN rule 13): a user records an opt-out the contact
//! gave another way, or (admins only) an opt-in collected elsewhere. The
//! engine decides who may record what and checks the note and evidence;
//! this module only says who is acting, stores the step with the evidence
//! source `manual` and returns the effects (the opt-out confirmation, live
//! events).

use crate::storage::Conn;
use chrono::{DateTime, Utc};
use optline_api::{self as api, Role};
use optline_engine::{self as engine, Actor, UserId};

use super::effects::{store_and_announce, Effects, Source};
use super::facts::facts;
use super::{visible_conversation, ConsentError, ConsentResult, FlowCache};
use crate::storage::UserRow;
use crate::views;

/// What a user records by hand.
#[derive(Clone)]
pub enum ManualRecord {
    /// An opt-out given another way, with how it was given.
    OptOut { note: String },
    /// An opt-in collected elsewhere, with its evidence.
    OptIn {
        reference: String,
        agreed_text: String,
    },
}

/// The user as the engine's actor: the role is what the engine judges.
fn actor(user: &UserRow) -> Actor {
    let id = UserId(user.id);
    match user.role {
        Role::Admin => Actor::Admin { id },
        Role::Agent => Actor::Agent { id },
    }
}

/// Runs the engine on `record` by `user` in a conversation they can see
/// (agents: their own number's). A refusal (role, state, a missing note or
/// evidence) is returned as [`ConsentError::Refused`] and nothing is stored.
pub fn record(
    c: &Conn,
    flows: &FlowCache,
    now: DateTime<Utc>,
    user: &UserRow,
    conv_id: i64,
    record: ManualRecord,
) -> ConsentResult<(api::ActionResult, Effects)> {
    let row = visible_conversation(c, user, conv_id)?;
    let f = facts(c, flows, &row, now)?;
    let by = actor(user);
    let event = match record {
        ManualRecord::OptOut { note } => engine::Event::ManualOptOut { by, note },
        ManualRecord::OptIn {
            reference,
            agreed_text,
        } => engine::Event::ManualOptIn {
            by,
            reference,
            agreed_text,
        },
    };
    let step = engine::step(&f.flow, &f.ctx, &f.thread, &event);
    if let engine::Verdict::Refused(r) = step.verdict {
        return Err(ConsentError::Refused(r));
    }
    let mut fx = Effects::default();
    let (stored, summary) =
        store_and_announce(c, row, &f, &step, Some(user.id), Source::manual(), &mut fx)?;
    Ok((
        api::ActionResult {
            conversation: summary,
            messages: stored.created.iter().map(views::message).collect(),
        },
        fx,
    ))
}
