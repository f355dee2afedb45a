//! The offline preview: plays the flow being edited against a simulated
//! contact, entirely in the browser. Every decision is `optline_engine::step`
//! on a local thread with a simulated clock — no request leaves the page, so
//! it keeps working with the network cut.

mod agent_message;
mod transcript;

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use optline_engine::{
    agent_actions, step, Channel, ConsentState, Context, Event, Outbound, OutboundKind, Step,
    Thread, UserId, ValidFlow, Verdict,
};

use crate::condition::condition;
use crate::time;
use agent_message::AgentMessage;
use transcript::{kind_label, Line, QuickReply, Transcript, Who};

/// The simulated agent (any id works: the preview has one agent).
const AGENT: UserId = UserId(1);
const CONTACT_NAME: &str = "Sam";

fn state_words(t: &Thread) -> String {
    match t.consent {
        ConsentState::NotRequested => "Not requested".into(),
        ConsentState::Notified { .. } => "Notified (disclosure notice sent)".into(),
        ConsentState::Pending { attempts, .. } => format!(
            "Pending ({attempts} request{} sent)",
            if attempts == 1 { "" } else { "s" }
        ),
        ConsentState::Accepted { .. } => "Accepted".into(),
        ConsentState::Rejected { .. } => "Rejected".into(),
        ConsentState::OptedOut { .. } => "Opted out".into(),
    }
}

/// The buttons a template request shows on the contact's phone: the flow's
/// payloads, labelled with the words the request tells the contact to
/// reply (the approved template's own labels live at Meta).
fn quick_replies(flow: &ValidFlow, o: &Outbound) -> Vec<QuickReply> {
    let t = &flow.flow().whatsapp_template;
    if o.kind != OutboundKind::OptInRequest || !o.template || !t.has_buttons() {
        return Vec::new();
    }
    let decline = flow
        .flow()
        .keywords
        .reject
        .first()
        .cloned()
        .unwrap_or_default();
    vec![
        QuickReply {
            label: flow.accept_word().to_string(),
            payload: t.accept_payload.clone(),
        },
        QuickReply {
            label: decline,
            payload: t.decline_payload.clone(),
        },
    ]
}

/// Today at noon in the browser's zone: requests then fall outside the
/// default quiet hours, so the first press of "Request opt-in" goes out.
fn start_time() -> DateTime<Utc> {
    let now = time::browser_now();
    let offset = i64::from(time::browser_offset_seconds(now));
    let local_secs = now.timestamp() + offset;
    let noon_local = local_secs - local_secs.rem_euclid(86_400) + 12 * 3600;
    DateTime::from_timestamp(noon_local - offset, 0).unwrap_or(now)
}

#[component]
pub fn Preview(
    /// The flow as edited; `None` while it is invalid.
    flow: Signal<Option<ValidFlow>>,
    #[prop(into)] channel: Signal<Channel>,
    company: String,
    agent_name: String,
) -> impl IntoView {
    let clock = RwSignal::new(start_time());
    let thread = RwSignal::new(Thread::default());
    let holder = RwSignal::new(None::<UserId>);
    let lines = RwSignal::new(Vec::<Line>::new());
    let reply = RwSignal::new(String::new());

    let context = move || {
        let now = clock.get_untracked();
        let mut ctx = Context::new(now, channel.get_untracked());
        ctx.contact_utc_offset_seconds = time::browser_offset_seconds(now);
        ctx.holder = holder.get_untracked();
        ctx.company = company.clone();
        ctx.agent_name = agent_name.clone();
        ctx.contact_name = CONTACT_NAME.into();
        ctx
    };
    let context = StoredValue::new(context);

    let push_with = move |who: Who, text: String, buttons: Vec<QuickReply>| {
        lines.update(|ls| {
            let n = ls.len();
            ls.push(Line {
                n,
                who,
                at: clock.get_untracked(),
                text,
                buttons,
            })
        });
    };
    let push = move |who: Who, text: String| push_with(who, text, Vec::new());

    // One engine step: keep its thread and holder, show what it sent and said.
    let play = move |event: Event| {
        let Some(f) = flow.get_untracked() else {
            return;
        };
        let ctx = context.with_value(|c| c());
        let s: Step = step(&f, &ctx, &thread.get_untracked(), &event);
        if let Verdict::Refused(r) = &s.verdict {
            push(Who::Notice, format!("Refused: {}", r.text));
        }
        for o in &s.outbound {
            let tag = if o.template {
                " (WhatsApp template)"
            } else {
                ""
            };
            push_with(
                Who::Automatic,
                format!("{}{tag}: {}", kind_label(o.kind), o.text),
                quick_replies(&f, o),
            );
        }
        if let Some(n) = &s.notice {
            push(Who::Notice, n.text.clone());
        }
        thread.set(s.thread);
        holder.set(s.holder);
    };

    let request = move |_| {
        push(Who::Agent, "Pressed “Request opt-in”.".into());
        play(Event::AgentRequestsOptIn { agent: AGENT });
    };
    let agent_sends = move |text: String| {
        push(Who::Agent, format!("Writes: {text}"));
        play(Event::AgentSends { agent: AGENT, text });
    };
    let send_reply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = reply.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        push(Who::Contact, text.clone());
        reply.set(String::new());
        play(Event::Inbound {
            text,
            provider_message_id: None,
        });
    };
    // The contact taps a button under a request: its payload decides.
    let tap = move |b: QuickReply| {
        push(
            Who::Contact,
            format!("Tapped “{}” (payload {})", b.label, b.payload),
        );
        play(Event::ButtonReply {
            payload: b.payload,
            label: b.label,
            provider_message_id: None,
        });
    };
    let advance = move |hours: i64| {
        clock.update(|t| *t += Duration::hours(hours));
        push(
            Who::Clock,
            format!("{hours} hour{} later.", if hours == 1 { "" } else { "s" }),
        );
        play(Event::ClockTick);
    };
    let reset = move |_| {
        clock.set(start_time());
        thread.set(Thread::default());
        holder.set(None);
        lines.set(Vec::new());
    };

    // What the agent's screen would say now, from the engine's own query.
    let banner = move || {
        let f = flow.get()?;
        clock.track();
        thread.track();
        let ctx = context.with_value(|c| c());
        Some(agent_actions(&f, &ctx, &thread.get(), AGENT).banner)
    };
    let invalid = condition(move || flow.with(Option::is_none));

    view! {
        <aside class="preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview"</h2>
            <p class="hint">
                "Plays the flow as edited against a simulated contact, " {CONTACT_NAME}
                ". Runs in your browser only: nothing is sent."
            </p>
            {move || invalid.get().then(|| view! {
                <p class="error-box" role="status">"Fix the flow's problems to play it."</p>
            })}
            <dl class="preview-state">
                <dt>"Consent state"</dt>
                <dd data-testid="preview-state">{move || state_words(&thread.get())}</dd>
                <dt>"Simulated time"</dt>
                <dd>{move || time::local_utc(clock.get())}</dd>
                <dt>"Agent sees"</dt>
                <dd data-testid="preview-banner">{move || banner().unwrap_or_default()}</dd>
            </dl>
            <div class="preview-controls">
                <button type="button" on:click=request disabled=invalid>
                    "Request opt-in"
                </button>
                <button type="button" class="secondary" on:click=move |_| advance(1) disabled=invalid>
                    "+1 h"
                </button>
                <button type="button" class="secondary" on:click=move |_| advance(24) disabled=invalid>
                    "+24 h"
                </button>
                <button type="button" class="secondary" on:click=reset>
                    "Reset preview"
                </button>
            </div>
            <AgentMessage on_send=agent_sends disabled=Signal::from(invalid) />
            <form class="preview-reply" on:submit=send_reply>
                <label for="preview-reply">"Contact replies"</label>
                <input
                    id="preview-reply"
                    type="text"
                    autocomplete="off"
                    prop:value=move || reply.get()
                    on:input=move |ev| reply.set(event_target_value(&ev))
                />
                <button type="submit" disabled=invalid>
                    "Send reply"
                </button>
            </form>
            <Transcript lines on_tap=tap />
        </aside>
    }
}
