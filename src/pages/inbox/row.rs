//! One conversation in the inbox list: who, channel, consent badge, unread
//! count, when, and the last message.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use optline_api::{ConversationSummary, Direction, MessageKind};

use crate::components::consent_badge::ConsentBadge;
use crate::time;

/// Every row is this tall, in CSS pixels (the list positions rows by index).
/// Whole pixels: the styles are written as integers, which keeps float
/// formatting (about 10 KB of wasm) out of the first load.
pub const ROW_PX: usize = 76;
/// [`ROW_PX`] for scroll arithmetic.
pub const ROW_HEIGHT: f64 = ROW_PX as f64;

#[component]
pub fn ConversationRow(
    c: ConversationSummary,
    /// Position in the list (0-based).
    index: usize,
    /// Length of the whole list, for assistive technology.
    setsize: usize,
    now: DateTime<Utc>,
    #[prop(into)] selected: Signal<bool>,
    /// This conversation is the one open beside the list.
    #[prop(into)]
    current: Signal<bool>,
    #[prop(into)] on_open: Callback<()>,
) -> impl IntoView {
    let title = c
        .contact
        .name
        .clone()
        .unwrap_or_else(|| c.contact.phone.clone());
    let sub = c.contact.name.as_ref().map(|_| c.contact.phone.clone());
    let preview = c.last_message.as_ref().map_or_else(
        || "No messages yet".to_string(),
        |m| {
            let who = match (m.direction, m.kind) {
                (_, MessageKind::Automatic) => "Automatic: ",
                (Direction::Outbound, _) => "You: ",
                _ => "",
            };
            format!("{who}{}", m.body)
        },
    );
    let when = time::parse(&c.updated_at).map(|t| time::short(t, now));
    let state = c.consent.state;
    let unread = c.unread;
    view! {
        <li
            role="option"
            id=format!("conv-{}", c.id)
            aria-selected=move || selected.get().to_string()
            aria-setsize=setsize
            aria-posinset=index + 1
            class="conv-row"
            class:unread={unread > 0}
            class:current=move || current.get()
            // CSSOM properties, not a style attribute (the CSP forbids inline styles).
            style:top=format!("{}px", index * ROW_PX)
            style:height=format!("{ROW_PX}px")
            on:click=move |_| on_open.run(())
        >
            <span class="conv-who">
                <strong>{title}</strong>
                {sub.map(|s| view! { <span class="muted">" " {s}</span> })}
            </span>
            <span class="conv-meta">
                <span class="badge channel">{c.channel.display_name()}</span>
                {move || current.get().then(|| view! { <span class="visually-hidden">"(open)"</span> })}
                <ConsentBadge state />
                {(unread > 0).then(|| view! { <span class="badge unread-count">{format!("{unread} unread")}</span> })}
                {when.map(|w| view! { <time datetime=c.updated_at.clone()>{w}</time> })}
            </span>
            <span class="conv-preview">{preview}</span>
        </li>
    }
}
