//! "What may the agent do right now?" — a cheap query the UI calls on every
//! render. It uses the very checks [`crate::step`] uses, so a button the UI
//! enables is a button the engine allows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::flow::ValidFlow;
use crate::model::{Channel, ConsentState, StateName, Thread, UserId};
use crate::rules::{
    check_request, check_send, is_expired, resend_at, window_closes_at, Context, Refusal,
    RefusalCode,
};
use crate::texts;
use crate::time::secs_between;

/// The agent's options for one thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentActions {
    /// The consent state's name.
    pub state: StateName,
    /// Derived: Pending and the resend interval has passed.
    pub expired: bool,
    /// May the agent send a free-form message (ignoring its text)?
    pub send: Result<(), Refusal>,
    /// May the agent send an opt-in request?
    pub request_opt_in: Result<(), Refusal>,
    /// While Pending: when a new request is allowed by the resend interval.
    #[serde(default, deserialize_with = "crate::time::optional_rfc3339")]
    pub resend_at: Option<DateTime<Utc>>,
    /// WhatsApp: when the 24-hour window closes (may be in the past).
    #[serde(default, deserialize_with = "crate::time::optional_rfc3339")]
    pub window_closes_at: Option<DateTime<Utc>>,
    /// The consent banner: the state in words, with time left where it helps.
    pub banner: String,
}

/// Computes [`AgentActions`] for `agent` on `thread`.
pub fn agent_actions(
    flow: &ValidFlow,
    ctx: &Context,
    thread: &Thread,
    agent: UserId,
) -> AgentActions {
    let send = check_send(flow, ctx, thread, agent);
    let request_opt_in = check_request(flow, ctx, thread, agent);
    let resend = resend_at(flow, thread);
    let expired = is_expired(flow, thread, ctx.now);
    let window = if ctx.channel == Channel::WhatsApp {
        window_closes_at(thread)
    } else {
        None
    };
    let blocked = [&send, &request_opt_in].into_iter().find_map(|r| match r {
        Err(r)
            if matches!(
                r.code,
                RefusalCode::ChannelDisabled | RefusalCode::OwnedByOtherUser
            ) =>
        {
            Some(r.text.clone())
        }
        _ => None,
    });
    // States in which the agent may message (given the window on WhatsApp).
    let messaging = match thread.consent {
        ConsentState::Accepted { .. } => Some(texts::BANNER_ACCEPTED.to_string()),
        ConsentState::NotRequested if flow.disclaimer_mode() => {
            Some(texts::BANNER_DISCLAIMER_READY.to_string())
        }
        ConsentState::Notified { .. } if flow.disclaimer_mode() => {
            Some(texts::banner_notified(flow.stop_word()))
        }
        _ => None,
    };
    let banner = match (blocked, messaging) {
        (Some(t), _) => t,
        (None, Some(mut b)) => {
            if ctx.channel == Channel::WhatsApp {
                b.push(' ');
                match window {
                    Some(c) if ctx.now < c => b.push_str(&texts::banner_window_open(
                        &texts::duration_short(secs_between(ctx.now, c)),
                    )),
                    _ => b.push_str(texts::BANNER_WINDOW_CLOSED),
                }
            }
            b
        }
        (None, None) => match thread.consent {
            ConsentState::Pending { .. } if expired => flow.txt.expired.clone(),
            ConsentState::Pending { .. } => {
                let left = resend.map(|t| secs_between(ctx.now, t)).unwrap_or(0);
                texts::banner_pending(&texts::duration_short(left))
            }
            ConsentState::Rejected { .. } => flow.txt.rejected.clone(),
            ConsentState::OptedOut { .. } => flow.txt.opted_out.clone(),
            // Never asked (or notified under a flow that now asks).
            _ => texts::BANNER_NOT_REQUESTED.to_string(),
        },
    };
    AgentActions {
        state: thread.consent.name(),
        expired,
        send,
        request_opt_in,
        resend_at: resend,
        window_closes_at: window,
        banner,
    }
}
