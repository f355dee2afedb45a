//! The conversation view's logic, without the view: what the thread shows
//! and what an agent's click does. Plain data and methods (no signals, no
//! I/O), so it is unit-tested natively; the page keeps one in a signal and
//! renders it.
//!
//! An action goes: the wasm engine predicts it on the server's own facts →
//! a refusal becomes a notice and no request is sent → an allowed action
//! shows the engine's messages at once (optimistic) and hands the caller a
//! [`Call`] to make → the server's answer replaces the prediction, or its
//! refusal corrects it (said out loud, the typed text kept).
//!
//! Server states arrive by three roads in any order (an action's answer, a
//! live event, a reload), so each carries the conversation's consent
//! version and the model keeps the newest one ([`ThreadModel::take_server`]):
//! an older answer never overwrites a newer live event. A prediction is
//! made on one server version and is dropped as soon as a newer server state
//! arrives, so it can never hide what the server decided since.

use chrono::{DateTime, Duration, Utc};
use optline_api::{
    Contact, ConversationDetail, ConversationSummary, Message, MessageKind, MessagePage, StateName,
};
use optline_engine::Thread;

use crate::api_client::ApiFailure;

mod actions;
mod live;
mod manual;
// Its fixtures serve other modules' tests too (api_client::live_event).
#[cfg(test)]
pub(crate) mod tests;

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
    /// The server version the prediction was made on.
    base: i64,
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

/// The agent's request went out and the contact has not answered yet.
pub const REQUEST_SENT: &str = "Opt-in request sent.";

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

    /// The consent version of the server state shown (0 before loading).
    pub fn version(&self) -> i64 {
        self.detail
            .as_ref()
            .map_or(0, |d| d.conversation.consent.version)
    }

    /// A server state of this conversation, from any road: kept when it is
    /// at least as new as the one shown, ignored when older. A newer state
    /// drops a prediction made on an older one, and once the contact has
    /// answered, "Opt-in request sent." is no longer news.
    fn take_server(&mut self, conversation: ConversationSummary) {
        let Some(d) = &mut self.detail else {
            return;
        };
        let newer = conversation.consent.version > d.conversation.consent.version;
        if conversation.consent.version < d.conversation.consent.version {
            return;
        }
        d.conversation = conversation;
        let pending = d.conversation.consent.raw.consent.name() == StateName::Pending;
        if newer {
            if let Some(f) = &mut self.in_flight {
                if f.base < d.conversation.consent.version {
                    f.predicted = None;
                }
            }
        }
        if !pending && self.notice.as_ref().is_some_and(|n| n.text == REQUEST_SENT) {
            self.notice = None;
        }
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
                if let Some(old) = self.detail.take() {
                    // A reload may answer after live events that are newer
                    // than it: keep those messages and the newer state.
                    let last = d.messages.last().map_or(0, |m| m.id);
                    merge(
                        &mut d.messages,
                        old.messages.into_iter().filter(|m| m.id > last),
                    );
                    let fresh = std::mem::replace(&mut d.conversation, old.conversation);
                    self.detail = Some(d);
                    self.take_server(fresh);
                } else {
                    self.detail = Some(d);
                }
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

    /// Older messages arrived (or could not be loaded).
    /// An admin changed the contact's time zone: the heading and the
    /// engine's quiet-hours check use the new one at once.
    pub fn contact_changed(&mut self, contact: Contact) {
        if let Some(d) = self.detail.as_mut() {
            if d.conversation.contact.id == contact.id {
                d.conversation.contact = contact;
            }
        }
    }

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
}
