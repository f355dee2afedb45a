//! The preview's transcript: who did what, when (simulated time), in order.
//! A WhatsApp request sent as a template with quick-reply buttons shows its
//! buttons under it; tapping one hands its [`QuickReply`] to the preview.

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

/// A quick-reply button of a template request: what it says and the
/// payload a tap sends back.
#[derive(Clone, Debug, PartialEq)]
pub struct QuickReply {
    pub label: String,
    pub payload: String,
}

#[derive(Clone, PartialEq)]
pub struct Line {
    pub n: usize,
    pub who: Who,
    pub at: DateTime<Utc>,
    pub text: String,
    /// The request's quick-reply buttons (rule 14), if it has any.
    pub buttons: Vec<QuickReply>,
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
pub fn Transcript(
    lines: RwSignal<Vec<Line>>,
    /// The contact taps a quick-reply button.
    #[prop(into)]
    on_tap: Callback<QuickReply>,
) -> impl IntoView {
    view! {
        <h3 id="transcript-title">"Transcript"</h3>
        <ol class="transcript" aria-labelledby="transcript-title" aria-live="polite">
            // Lines by position, not keyed: a run only appends, so lines
            // keep their nodes, and no keyed-list code joins the bundle.
            {move || lines.get().into_iter().map(|l| {
                    let (class, who) = l.who.class_and_words();
                    view! {
                        <li class=class>
                            <span class="t-who">{who}</span>
                            <span class="t-time">{time::local_utc(l.at)}</span>
                            <span class="t-text">{l.text}</span>
                            {(!l.buttons.is_empty()).then(|| view! {
                                <div class="quick-replies" role="group" aria-label="Quick-reply buttons">
                                    {l.buttons.iter().cloned().map(|b| {
                                        let label = b.label.clone();
                                        view! {
                                            <button type="button" class="secondary" on:click=move |_| on_tap.run(b.clone())>
                                                {label}
                                            </button>
                                        }
                                    }).collect_view()}
                                </div>
                            })}
                        </li>
                    }
            }).collect_view()}
        </ol>
    }
}
