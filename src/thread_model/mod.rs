//! The conversation view's logic, without the view: what the thread shows
//! and what an agent's click does. Plain data and methods (no signals, no
//! I/O), so it is unit-tested natively; the page keeps one in a signal and
//! renders it.
//!
//! An action goes: the wasm engine predicts it on the server's own facts →
//! a refusal becomes a notice and no request is sent → an allowed action
//! shows the engine's messages at once (optimistic) and hands the caller a
//! [`Call`] to make → the server's answer replaces the prediction, or its
//! refusal corrects it (said out loud, the typed text kept). Live events
//! carry newer server state, which always wins over a prediction.

use chrono::{DateTime, Duration, Utc};
use optline_api::{
    ActionResult, ConversationDetail, Direction, LiveEvent, Me, Message, MessageKind, MessagePage,
};
use optline_engine::{self as engine, AgentActions, Event, OutboundKind, Step, Thread, Verdict};

use crate::api_client::ApiFailure;

#[cfg(test)]
mod tests;

/// What an agent can do in a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send the draft as a free-form message.
    Send,
    /// Send the flow's opt-in request.
    RequestOptIn,
}

/// A call the caller must make for an allowed action (the model does no I/O).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    SendMessage { conversation: i64, body: String },
    RequestOptIn { conversation: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warn,
    Error,
}

/// What the "Retry" button of a notice does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    Action(Action),
    Load,
}

/// A sentence for the agent under the messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub tone: Tone,
    pub text: String,
    /// Offered after transport failures (the same call may work later).
    pub retry: Option<Retry>,
}

impl Notice {
    fn new(tone: Tone, text: impl Into<String>) -> Self {
        Notice {
            tone,
            text: text.into(),
            retry: None,
        }
    }
}

/// A message the engine predicts, shown until the server's copy arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Optimistic {
    pub text: String,
    pub kind: MessageKind,
}

/// What the caller should do after an update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Follow {
    /// Fetch the conversation again (the server's facts changed).
    pub reload: bool,
    /// Tell the server the agent has seen the thread.
    pub mark_read: bool,
}

/// An action on its way to the server.
#[derive(Clone, Debug, PartialEq)]
struct InFlight {
    action: Action,
    call: Call,
    /// The engine's predicted thread, until the server says otherwise.
    predicted: Option<Thread>,
}

/// One conversation as the agent sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadModel {
    id: i64,
    detail: Option<ConversationDetail>,
    load_error: Option<ApiFailure>,
    /// Server clock minus browser clock: the engine judges with the server's
    /// time (the test clock moves it).
    skew: Duration,
    /// What the agent is typing; kept until the server accepted it.
    pub draft: String,
    notice: Option<Notice>,
    in_flight: Option<InFlight>,
    optimistic: Vec<Optimistic>,
    /// Live messages that arrived while the conversation was loading.
    early: Vec<Message>,
}

/// Adds or replaces messages by id, oldest first.
fn merge(into: &mut Vec<Message>, new: impl IntoIterator<Item = Message>) {
    for m in new {
        match into.iter_mut().find(|x| x.id == m.id) {
            Some(x) => *x = m,
            None => into.push(m),
        }
    }
    into.sort_by_key(|m| m.id);
}

impl ThreadModel {
    pub fn new(id: i64) -> Self {
        ThreadModel {
            id,
            detail: None,
            load_error: None,
            skew: Duration::zero(),
            draft: String::new(),
            notice: None,
            in_flight: None,
            optimistic: Vec::new(),
            early: Vec::new(),
        }
    }

    pub fn id(&self) -> i64 {
        self.id
    }

    /// The server's view of the conversation, once loaded.
    pub fn detail(&self) -> Option<&ConversationDetail> {
        self.detail.as_ref()
    }

    pub fn load_error(&self) -> Option<&ApiFailure> {
        self.load_error.as_ref()
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// The engine's messages shown while the server decides.
    pub fn optimistic(&self) -> &[Optimistic] {
        &self.optimistic
    }

    /// The action waiting for the server's answer, if any.
    pub fn busy(&self) -> Option<Action> {
        self.in_flight.as_ref().map(|f| f.action)
    }

    /// The server's time, given the browser's.
    pub fn server_now(&self, browser_now: DateTime<Utc>) -> DateTime<Utc> {
        browser_now + self.skew
    }

    /// The oldest message shown (to load the ones before it).
    pub fn oldest_message(&self) -> Option<i64> {
        self.detail.as_ref()?.messages.first().map(|m| m.id)
    }

    /// The server's answer to loading the conversation.
    pub fn loaded(
        &mut self,
        result: Result<ConversationDetail, ApiFailure>,
        browser_now: DateTime<Utc>,
    ) -> Follow {
        match result {
            Ok(mut d) => {
                if let Ok(server_now) = DateTime::parse_from_rfc3339(&d.now) {
                    self.skew = server_now.with_timezone(&Utc) - browser_now;
                }
                merge(&mut d.messages, std::mem::take(&mut self.early));
                self.detail = Some(d);
                self.load_error = None;
                Follow {
                    mark_read: true,
                    ..Follow::default()
                }
            }
            Err(e) => {
                self.load_error = Some(e);
                Follow::default()
            }
        }
    }

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

    /// The engine's step for `event` on the server's facts.
    fn predict(&self, me: &Me, now: DateTime<Utc>, event: &Event) -> Option<Step> {
        let (flow, ctx, thread) = self.engine_input(me, now, None)?;
        Some(engine::step(&flow, &ctx, &thread, event))
    }

    fn engine_input(
        &self,
        me: &Me,
        now: DateTime<Utc>,
        thread: Option<&Thread>,
    ) -> Option<(engine::ValidFlow, engine::Context, Thread)> {
        let d = self.detail.as_ref()?;
        let c = &d.conversation;
        let flow = engine::validate(&d.flow, c.channel).ok()?;
        let mut ctx = engine::Context::new(now, c.channel);
        ctx.channel_enabled = d.channel_enabled;
        ctx.contact_utc_offset_seconds = c.contact.utc_offset_seconds;
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
        });
        Some(call)
    }

    /// The server's answer to the call [`Self::begin`] returned.
    pub fn finished(&mut self, result: Result<ActionResult, ApiFailure>) -> Follow {
        self.optimistic.clear();
        let Some(done) = self.in_flight.take() else {
            return Follow::default();
        };
        match result {
            Ok(r) => {
                if let Some(d) = &mut self.detail {
                    d.conversation = r.conversation;
                    merge(&mut d.messages, r.messages);
                }
                match done.call {
                    // Keep anything typed meanwhile; clear what was sent.
                    Call::SendMessage { body, .. } if self.draft == body => self.draft.clear(),
                    Call::SendMessage { .. } => {}
                    Call::RequestOptIn { .. } => {
                        self.notice = Some(Notice::new(Tone::Info, "Opt-in request sent."))
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

    /// Older messages arrived (or could not be loaded).
    pub fn older_loaded(&mut self, result: Result<MessagePage, ApiFailure>) {
        match (result, &mut self.detail) {
            (Ok(p), Some(d)) => {
                d.has_more = p.has_more;
                merge(&mut d.messages, p.messages);
            }
            (Ok(_), None) => {}
            (Err(e), _) => self.notice = Some(Notice::new(Tone::Error, e.message)),
        }
    }

    /// The server's state is newer than any prediction: drop the prediction.
    fn server_wins(&mut self) {
        if let Some(f) = &mut self.in_flight {
            f.predicted = None;
        }
    }

    /// A live event from the server (any conversation's).
    pub fn live(&mut self, event: LiveEvent) -> Follow {
        let mut follow = Follow::default();
        match event {
            LiveEvent::Message {
                conversation,
                message,
            } if conversation.id == self.id => {
                let inbound = message.direction == Direction::Inbound;
                if !inbound {
                    // The server's copy replaces the engine's prediction.
                    self.optimistic.retain(|o| o.text != message.body);
                }
                let Some(d) = &mut self.detail else {
                    // Still loading: the answer may predate this event.
                    self.early.push(message);
                    return follow;
                };
                d.conversation = *conversation;
                merge(&mut d.messages, [message]);
                self.server_wins();
                follow.mark_read = inbound;
            }
            LiveEvent::Status {
                conversation_id,
                message_id,
                status,
                error,
            } if conversation_id == self.id => {
                let found = self
                    .detail
                    .as_mut()
                    .and_then(|d| d.messages.iter_mut().find(|m| m.id == message_id));
                if let Some(m) = found {
                    m.status = status;
                    m.error = error;
                }
            }
            LiveEvent::Consent {
                conversation_id,
                consent,
            } if conversation_id == self.id => {
                if let Some(d) = &mut self.detail {
                    d.conversation.consent = consent;
                    self.server_wins();
                }
            }
            LiveEvent::Ownership { ownership } => {
                follow.reload = self
                    .detail
                    .as_ref()
                    .is_some_and(|d| d.conversation.contact.phone == ownership.contact_phone);
            }
            _ => {}
        }
        follow
    }
}
