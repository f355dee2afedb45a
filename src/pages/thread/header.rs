//! The thread's heading: who the contact is, the channel (and whether it is
//! switched off), the consent badge and the contact's local time.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use optline_api::{Channel, ConsentStatus};

use crate::components::consent_badge::ConsentBadge;
use crate::thread_model::ThreadModel;
use crate::time;

/// What the heading shows; it re-renders only when one of these changes.
#[derive(Clone, PartialEq)]
struct Facts {
    title: String,
    phone: String,
    channel: Channel,
    enabled: bool,
    zone: String,
}

#[component]
pub fn ThreadHeader(
    model: RwSignal<ThreadModel>,
    #[prop(into)] now: Signal<DateTime<Utc>>,
) -> impl IntoView {
    let facts = Memo::new(move |_| {
        model.with(|m| {
            m.detail().map(|d| {
                let c = &d.conversation.contact;
                Facts {
                    title: c.name.clone().unwrap_or_else(|| c.phone.clone()),
                    phone: c.phone.clone(),
                    channel: d.conversation.channel,
                    enabled: d.channel_enabled,
                    zone: c.time_zone.clone(),
                }
            })
        })
    });
    let state = Signal::derive(move || {
        model.with(|m| {
            m.detail().map_or(ConsentStatus::NotRequested, |d| {
                d.conversation.consent.state
            })
        })
    });
    move || {
        facts.get().map(|f| {
            let zone = f.zone.clone();
            view! {
                <header class="thread-head">
                    // One page at a time (under 1024 px): the way back, filters kept.
                    <a href=format!("/inbox{}", window().location().search().unwrap_or_default()) class="back">"← Inbox"</a>
                    <h1 id="thread-title">{f.title}</h1>
                    <p class="thread-facts">
                        <span>{f.phone}</span>
                        <span class="badge channel">
                            {f.channel.display_name()}
                            {(!f.enabled).then_some(" (turned off)")}
                        </span>
                        <ConsentBadge state />
                        <span>
                            "Their time: " {move || time::clock_in_zone(now.get(), &zone)} " ("
                            {f.zone} ")"
                        </span>
                    </p>
                </header>
            }
        })
    }
}
