//! Manual records (rule 13) on the model: which "Record…" actions the
//! engine allows the signed-in user, the engine's check of what they typed,
//! and the server's answer once recorded. The dialogs ask here and never
//! decide themselves.

use chrono::{DateTime, Utc};
use optline_api::{ActionResult, Me, Role};
use optline_engine::{self as engine, Actor, Event, ManualActions, Refusal, Step, UserId};

use super::{merge, Notice, ThreadModel, Tone};

/// The signed-in user as the engine's actor: the role is what it judges.
pub fn actor(me: &Me) -> Actor {
    let id = UserId(me.user.id);
    match me.user.role {
        Role::Admin => Actor::Admin { id },
        Role::Agent => Actor::Agent { id },
    }
}

impl ThreadModel {
    /// The "Record…" actions `me` may take now, by the engine.
    pub fn manual_actions(&self, me: &Me) -> Option<ManualActions> {
        let d = self.detail.as_ref()?;
        Some(engine::manual_actions(
            &d.conversation.consent.raw,
            actor(me),
        ))
    }

    /// The engine's word on recording an opt-out with `note`.
    pub fn check_opt_out(&self, me: &Me, note: &str) -> Option<Result<(), Refusal>> {
        let d = self.detail.as_ref()?;
        Some(engine::check_record_opt_out(
            &d.conversation.consent.raw,
            actor(me),
            note,
        ))
    }

    /// The engine's word on recording an opt-in with this evidence.
    pub fn check_opt_in(
        &self,
        me: &Me,
        reference: &str,
        agreed_text: &str,
    ) -> Option<Result<(), Refusal>> {
        let d = self.detail.as_ref()?;
        Some(engine::check_record_opt_in(
            &d.conversation.consent.raw,
            actor(me),
            reference,
            agreed_text,
        ))
    }

    /// The engine's step for recording an opt-out with `note` (what the
    /// contact would be sent), on the server's facts.
    pub fn predict_opt_out(&self, me: &Me, now: DateTime<Utc>, note: &str) -> Option<Step> {
        let (flow, ctx, thread) = self.engine_input(me, now, None)?;
        let event = Event::ManualOptOut {
            by: actor(me),
            note: note.to_string(),
        };
        Some(engine::step(&flow, &ctx, &thread, &event))
    }

    /// The server recorded it: its view of the conversation replaces ours.
    pub fn recorded(&mut self, result: ActionResult, notice: &str) {
        if let Some(d) = &mut self.detail {
            d.conversation = result.conversation;
            merge(&mut d.messages, result.messages);
        }
        self.notice = Some(Notice::new(Tone::Info, notice));
    }
}
