//! "New conversation": a contact number (validated as you type), a channel and
//! an optional name; opens the thread once the server created it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use optline_api::{Channel, StartConversationRequest};

use crate::api_client;
use crate::components::select::ChannelSelect;

/// Strips the separators people type, keeps `+` and digits.
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect()
}

/// `None` when the number looks like E.164, else what to fix. The server
/// checks again; this only saves a round trip while typing.
pub fn phone_problem(raw: &str) -> Option<&'static str> {
    let p = compact(raw);
    if p.is_empty() {
        return Some("Enter the contact's number.");
    }
    let Some(digits) = p.strip_prefix('+') else {
        return Some("Start with + and the country code, e.g. +14155550123.");
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Some("Use digits only after the +.");
    }
    if digits.starts_with('0') {
        return Some("A country code never starts with 0.");
    }
    if !(8..=15).contains(&digits.len()) {
        return Some("A full international number has 8 to 15 digits after the +.");
    }
    None
}

#[component]
pub fn NewConversation() -> impl IntoView {
    let navigate = use_navigate();
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let channel = RwSignal::new(Channel::Sms);
    let touched = RwSignal::new(false);
    let problem = Memo::new(move |_| phone.with(|p| phone_problem(p)));
    let start = Action::new_local(|req: &StartConversationRequest| {
        api_client::start_conversation(req.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(c)) = start.value().get() {
            navigate(&format!("/conversations/{}", c.id), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if problem.get_untracked().is_some() {
            return;
        }
        let n = name.get_untracked();
        start.dispatch(StartConversationRequest {
            phone: compact(&phone.get_untracked()),
            channel: channel.get_untracked(),
            name: (!n.trim().is_empty()).then_some(n),
            time_zone: None,
        });
    };
    let show_problem = move || {
        (touched.get() || !phone.with(|p| p.is_empty()))
            .then(|| problem.get())
            .flatten()
    };
    view! {
        <details class="new-conversation">
            <summary>"New conversation"</summary>
            <form on:submit=submit novalidate>
                <label for="new-phone">"Contact's phone number"</label>
                <input
                    id="new-phone"
                    type="tel"
                    inputmode="tel"
                    autocomplete="off"
                    placeholder="+14155550123"
                    aria-describedby="new-phone-hint"
                    aria-invalid=move || show_problem().is_some().to_string()
                    prop:value=phone
                    on:input=move |ev| phone.set(event_target_value(&ev))
                />
                <p id="new-phone-hint" class=move || if show_problem().is_some() { "field-error" } else { "hint" }>
                    {move || show_problem().unwrap_or("Looks good.")}
                </p>
                <label for="new-name">"Name (optional)"</label>
                <input id="new-name" type="text" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="new-channel">"Channel"</label>
                <ChannelSelect
                    id="new-channel"
                    value=Signal::derive(move || Some(channel.get()))
                    on_change={move |c: Option<Channel>| channel.set(c.unwrap_or(Channel::Sms))}
                />
                {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <p class="notice error" role="alert">{e.message}</p> })}
                <button type="submit" disabled=move || start.pending().get()>
                    {move || if start.pending().get() { "Starting…" } else { "Start conversation" }}
                </button>
            </form>
        </details>
    }
}
