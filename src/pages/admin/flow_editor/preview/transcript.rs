//! The preview's transcript: who did what, when (simulated time), in order.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use optline_engine::OutboundKind;

use crate::time;

#[derive(Clone, Copy, PartialEq)]
pub enum Who {
    Agent,
    Contact,
    Automatic,
    Notice,
    Clock,
}

impl Who {
    /// The row's class and the words for who it is.
    fn class_and_words(self) -> (&'static str, &'static str) {
        match self {
            Who::Agent => ("t-agent", "Agent"),
            Who::Contact => ("t-contact", "Contact"),
            Who::Automatic => ("t-auto", "Sent automatically"),
            Who::Notice => ("t-notice", "Agent is told"),
            Who::Clock => ("t-clock", "Clock"),
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct Line {
    pub n: usize,
    pub who: Who,
    pub at: DateTime<Utc>,
    pub text: String,
}

/// What an automatic message is, in words.
pub fn kind_label(k: OutboundKind) -> &'static str {
    match k {
        OutboundKind::OptInRequest => "Opt-in request",
        OutboundKind::OptInConfirmation => "Opt-in confirmation",
        OutboundKind::RejectionConfirmation => "Decline confirmation",
        OutboundKind::OptOutConfirmation => "Opt-out confirmation",
        OutboundKind::Help => "Help reply",
        OutboundKind::ChannelOffAutoReply => "Channel-off auto-reply",
        OutboundKind::AgentMessage => "Agent message",
        OutboundKind::DisclaimerNotice => "Disclosure notice",
    }
}

#[component]
pub fn Transcript(lines: RwSignal<Vec<Line>>) -> impl IntoView {
    view! {
        <h3 id="transcript-title">"Transcript"</h3>
        <ol class="transcript" aria-labelledby="transcript-title" aria-live="polite">
            <For each=move || lines.get() key=|l| l.n let:l>
                {
                    let (class, who) = l.who.class_and_words();
                    view! {
                        <li class=class>
                            <span class="t-who">{who}</span>
                            <span class="t-time">{time::local_utc(l.at)}</span>
                            <span class="t-text">{l.text}</span>
                        </li>
                    }
                }
            </For>
        </ol>
    }
}
