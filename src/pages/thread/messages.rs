//! The thread's messages, oldest first, with a separator per day, delivery
//! status in words, and the engine's predicted messages ("Sending…") after
//! the server's. Keeps the newest message in view.

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{DeliveryStatus, Direction, Message, MessageKind};

use crate::thread_model::{Optimistic, ThreadModel};
use crate::time;

fn status_words(m: &Message) -> String {
    match m.status {
        DeliveryStatus::Received => String::new(),
        DeliveryStatus::Queued => "◷ Queued".into(),
        // Never resent blind: the provider's report settles it.
        DeliveryStatus::Unknown => "? Delivery unknown — waiting for the provider's report".into(),
        DeliveryStatus::Sent => "✓ Sent".into(),
        DeliveryStatus::Delivered => "✓✓ Delivered".into(),
        DeliveryStatus::Read => "✓✓ Read".into(),
        DeliveryStatus::Failed => format!(
            "✕ Failed: {}",
            m.error.as_deref().unwrap_or("the provider gave no reason")
        ),
    }
}

/// Who wrote it and the row's class.
fn author(kind: MessageKind, direction: Direction) -> (&'static str, &'static str) {
    match (kind, direction) {
        (MessageKind::Automatic, _) => ("Automatic message", "msg automatic"),
        (_, Direction::Inbound) => ("Contact", "msg inbound"),
        (_, Direction::Outbound) => ("You", "msg outbound"),
    }
}

fn message_row(m: &Message) -> impl IntoView {
    let at = time::parse(&m.created_at);
    let (who, class) = author(m.kind, m.direction);
    let status = status_words(m);
    let failed = m.status == DeliveryStatus::Failed;
    let created = m.created_at.clone();
    // A provider-signed message whose sender the phone data rejected: kept
    // with the address as the provider gave it; the agent should know.
    let unverified = m.sender_unverified.then(|| {
        view! {
            <span class="msg-flag" title="The phone number library did not accept this sender's address; it is shown exactly as the provider sent it.">
                "Sender address not verified"
            </span>
        }
    });
    view! {
        <li class=class>
            <span class="msg-who">{who}</span>
            {unverified}
            <p class="msg-body">{m.body.clone()}</p>
            <span class="msg-meta">
                {at.map(|t| view! { <time datetime=created>{time::clock(t)}</time> })}
                {(!status.is_empty())
                    .then(|| view! { <span class="msg-status" class:failed=failed>{status}</span> })}
            </span>
        </li>
    }
}

fn optimistic_row(o: Optimistic) -> impl IntoView {
    let (who, class) = author(o.kind, Direction::Outbound);
    view! {
        <li class=format!("{class} optimistic")>
            <span class="msg-who">{who}</span>
            <p class="msg-body">{o.text}</p>
            <span class="msg-meta"><span class="msg-status">"Sending…"</span></span>
        </li>
    }
}

#[component]
pub fn MessageList(model: RwSignal<ThreadModel>) -> impl IntoView {
    let messages = Memo::new(move |_| {
        model.with(|m| m.detail().map(|d| d.messages.clone()).unwrap_or_default())
    });
    let optimistic = Memo::new(move |_| model.with(|m| m.optimistic().to_vec()));
    let rows = move || {
        let mut last_day = String::new();
        let mut out = Vec::new();
        messages.with(|ms| {
            for m in ms {
                if let Some(day) = time::parse(&m.created_at).map(time::day) {
                    if day != last_day {
                        out.push(
                            view! { <li class="day-separator"><span>{day.clone()}</span></li> }
                                .into_any(),
                        );
                        last_day = day;
                    }
                }
                out.push(message_row(m).into_any());
            }
        });
        out.extend(
            optimistic
                .get()
                .into_iter()
                .map(|o| optimistic_row(o).into_any()),
        );
        out
    };

    // Keep the newest message in view.
    let list = NodeRef::<leptos::html::Ol>::new();
    effect(move || {
        messages.track();
        optimistic.track();
        if let Some(el) = list.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });

    view! { <ol class="messages" aria-label="Messages" node_ref=list tabindex="0">{rows}</ol> }
}
