//! The agent's actions on the model: what the engine allows now, starting
//! an action (prediction, refusal or optimistic messages and a [`Call`]),
//! and the server's answer to it (confirmation or correction).

use chrono::{DateTime, Utc};
use optline_api::{ActionResult, Me, MessageKind, StateName};
use optline_engine::{self as engine, AgentActions, Event, OutboundKind, Step, Thread, Verdict};

use super::{
    merge, Action, Call, Follow, InFlight, Notice, Optimistic, Retry, ThreadModel, Tone,
    REQUEST_SENT,
};
use crate::api_client::ApiFailure;

impl ThreadModel {
    /// What the agent may do now, by the engine, on the server's facts — or
    /// on the engine's prediction while an action is on its way.
    pub fn actions(&self, me: &Me, now: DateTime<Utc>) -> Option<AgentActions> {
        let predicted = self.in_flight.as_ref().and_then(|f| f.predicted.as_ref());
        let (flow, ctx, thread) = self.engine_input(me, now, predicted)?;
        Some(engine::agent_actions(
            &flow,
            &ctx,
            &thread,
            engine::UserId(me.user.id),
        ))
    }

    /// Whether the server's state shown is a pending request.
    fn still_pending(&self) -> bool {
        self.detail
            .as_ref()
            .is_some_and(|d| d.conversation.consent.raw.consent.name() == StateName::Pending)
    }

    /// The engine's step for `event` on the server's facts.
    fn predict(&self, me: &Me, now: DateTime<Utc>, event: &Event) -> Option<Step> {
        let (flow, ctx, thread) = self.engine_input(me, now, None)?;
        Some(engine::step(&flow, &ctx, &thread, event))
    }

    pub(super) fn engine_input(
        &self,
        me: &Me,
        now: DateTime<Utc>,
        thread: Option<&Thread>,
    ) -> Option<(engine::ValidFlow, engine::Context, Thread)> {
        let d = self.detail.as_ref()?;
        let c = &d.conversation;
        let flow = engine::validate_quietly(&d.flow, c.channel)?;
        let mut ctx = engine::Context::new(now, c.channel);
        ctx.channel_enabled = d.channel_enabled;
        ctx.contact_utc_offset_seconds = c.contact.utc_offset_seconds;
        ctx.contact_other_utc_offsets_seconds = c.contact.other_utc_offsets_seconds.clone();
        ctx.holder = c.owner_user_id.map(engine::UserId);
        ctx.company = me.organization.name.clone();
        ctx.agent_name = me.user.name.clone();
        ctx.contact_name = c.contact.name.clone().unwrap_or_default();
        let thread = thread.unwrap_or(&c.consent.raw).clone();
        Some((flow, ctx, thread))
    }

    /// The agent asks for `action`. `None` when nothing is to be sent: the
    /// engine refused (its reason becomes the notice), the conversation is
    /// not loaded, or an action is already on its way.
    pub fn begin(&mut self, action: Action, me: &Me, now: DateTime<Utc>) -> Option<Call> {
        if self.in_flight.is_some() {
            return None;
        }
        let agent = engine::UserId(me.user.id);
        let (event, call) = match action {
            Action::Send => (
                Event::AgentSends {
                    agent,
                    text: self.draft.clone(),
                },
                Call::SendMessage {
                    conversation: self.id,
                    body: self.draft.clone(),
                },
            ),
            Action::RequestOptIn => (
                Event::AgentRequestsOptIn { agent },
                Call::RequestOptIn {
                    conversation: self.id,
                },
            ),
        };
        let step = self.predict(me, now, &event)?;
        if let Verdict::Refused(r) = step.verdict {
            self.notice = Some(Notice::new(Tone::Warn, r.text));
            return None;
        }
        self.notice = (action == Action::RequestOptIn)
            .then(|| Notice::new(Tone::Info, "Sending the opt-in request…"));
        self.optimistic = step
            .outbound
            .into_iter()
            .map(|o| Optimistic {
                kind: match o.kind {
                    OutboundKind::AgentMessage => MessageKind::Agent,
                    _ => MessageKind::Automatic,
                },
                text: o.text,
            })
            .collect();
        self.in_flight = Some(InFlight {
            action,
            call: call.clone(),
            predicted: Some(step.thread),
            base: self.version(),
        });
        Some(call)
    }

    /// The server's answer to the call [`Self::begin`] returned.
    /// An answer to another call (one made for the conversation shown
    /// before) changes nothing.
    pub fn finished(&mut self, call: &Call, result: Result<ActionResult, ApiFailure>) -> Follow {
        if self.in_flight.as_ref().map(|f| &f.call) != Some(call) {
            return Follow::default();
        }
        self.optimistic.clear();
        let Some(done) = self.in_flight.take() else {
            return Follow::default();
        };
        match result {
            Ok(r) => {
                if let Some(d) = &mut self.detail {
                    merge(&mut d.messages, r.messages);
                }
                // The answer may be older than a live event that already
                // arrived (the contact answered at once): the newer wins.
                self.take_server(r.conversation);
                match done.call {
                    // Keep anything typed meanwhile; clear what was sent.
                    Call::SendMessage { body, .. } if self.draft == body => self.draft.clear(),
                    Call::SendMessage { .. } => {}
                    // "Sent" is news only while the contact has not answered.
                    Call::RequestOptIn { .. } => {
                        self.notice = self
                            .still_pending()
                            .then(|| Notice::new(Tone::Info, REQUEST_SENT))
                    }
                }
                Follow::default()
            }
            // The server, which has the final word, disagreed with the
            // engine's prediction: say so, and reload its view of the facts.
            Err(e) if e.is_refusal() => {
                self.notice = Some(Notice::new(
                    Tone::Warn,
                    format!("The server refused this: {}", e.message),
                ));
                Follow {
                    reload: true,
                    ..Follow::default()
                }
            }
            Err(e) => {
                self.notice = Some(Notice {
                    tone: Tone::Error,
                    text: e.message,
                    retry: Some(Retry::Action(done.action)),
                });
                Follow::default()
            }
        }
    }
}
