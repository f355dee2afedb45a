//! The thread's heading: who the contact is, the channel (and whether it is
//! switched off), the consent badge and the contact's local time.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use optline_api::{Channel, ConsentStatus, Role};

use crate::components::consent_badge::ConsentBadge;
use crate::components::contact_time_zone::ContactTimeZone;
use crate::condition::condition;
use crate::session::use_session;
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
    /// How many further zones the contact may be in.
    other_zones: usize,
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
                    other_zones: c.time_zones.len().saturating_sub(1),
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
    let session = use_session();
    let is_admin = condition(move || {
        session
            .me
            .with(|m| m.as_ref().is_some_and(|m| m.user.role == Role::Admin))
    });
    let contact =
        Signal::derive(move || model.with(|m| m.detail().map(|d| d.conversation.contact.clone())));
    let on_changed = move |c| model.update(|m| m.contact_changed(c));
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
                            {f.zone} {other_zones_note(f.other_zones)} ")"
                        </span>
                        {move || is_admin.get().then(|| view! { <ContactTimeZone contact on_changed /> })}
                    </p>
                </header>
            }
        })
    }
}

/// The contact's number spans several zones; quiet hours follow the strictest.
fn other_zones_note(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " or 1 other zone".to_string(),
        n => format!(" or {n} other zones"),
    }
}
