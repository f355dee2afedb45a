//! "New conversation": a button that opens the form (a contact number, a
//! channel and an optional name) and opens the thread once the server
//! created it. The number is checked as typed, but an error is only shown
//! once there is something to judge (text typed and left, or a submit);
//! every error names the field it is about.
//!
//! The button is part of the inbox; the form is fetched on its first use
//! (the `dialogs` chunk, see [`crate::on_demand`]).

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{Channel, StartConversationRequest};
use wasm_bindgen::JsCast;

use crate::api_client;
use crate::components::dialogs_ahead::fetch_dialogs_ahead;
use crate::components::select::ChannelSelect;
use crate::condition::condition;
use crate::navigation::use_location;
use crate::on_demand::{on_demand, OnDemand, Wording};
use crate::pages::workspace;
use crate::server_calls::Task;

/// Strips the separators people type, keeps `+` and digits.
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect()
}

/// `None` when the number looks like E.164, else what to fix, naming the
/// field. The server checks again; this only saves a round trip.
pub fn phone_problem(raw: &str) -> Option<&'static str> {
    let p = compact(raw);
    if p.is_empty() {
        return Some("Enter a phone number.");
    }
    let Some(digits) = p.strip_prefix('+') else {
        return Some("The phone number must start with + and the country code, e.g. +14155550123.");
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Some("The phone number may only have digits after the +.");
    }
    if digits.starts_with('0') {
        return Some("The phone number's country code cannot start with 0.");
    }
    if !(8..=15).contains(&digits.len()) {
        return Some("The phone number needs 8 to 15 digits after the +.");
    }
    None
}

fn focus(id: &str) {
    let id = id.to_string();
    request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

#[component]
pub fn NewConversation() -> impl IntoView {
    let open = RwSignal::new(false);
    // The form takes focus itself once it is drawn (it may first be fetched).
    let toggle = move |_| open.update(|o| *o = !*o);
    let on_close = Callback::new(move |()| {
        open.set(false);
        focus("new-conversation-button");
    });
    // A memo, so setting `open` again keeps the form.
    let shown = condition(move || open.get());
    view! {
        <div class="new-conversation">
            <button
                type="button"
                id="new-conversation-button"
                aria-expanded=move || open.get().to_string()
                aria-controls="new-conversation-form"
                on:click=toggle
                on:pointerenter=|_| fetch_dialogs_ahead()
                on:focus=|_| fetch_dialogs_ahead()
            >
                "New conversation"
            </button>
            {move || shown.get().then(|| view! {
                <OnDemand load=Box::new(move || form_view(on_close)) wording=FORM />
            })}
        </div>
    }
}

on_demand! {
    /// Builds the form (in the `dialogs` chunk).
    fn form_view(on_close: Callback<()>) in dialogs {
        view! { <NewConversationForm on_close /> }.into_any()
    }
}

const FORM: Wording = Wording {
    loading: "Loading the form…",
    title: None,
    failed: "The form could not be loaded. Check your connection, then try again.",
};

#[component]
fn NewConversationForm(on_close: Callback<()>) -> impl IntoView {
    focus("new-phone");
    let location = use_location();
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let channel = RwSignal::new(Channel::Sms);
    // Judge the number once the agent left the box with text in it, or
    // tried to start: never "wrong" before anything was typed.
    let judged = RwSignal::new(false);
    let problem = Memo::new(move |_| phone.with(|p| phone_problem(p)));
    let start =
        Task::new(|req: &StartConversationRequest| api_client::start_conversation(req.clone()));
    effect(move || {
        if let Some(Ok(c)) = start.value().get() {
            let search = window().location().search().unwrap_or_default();
            location.go(&format!("/conversations/{}{search}", c.id));
            on_close.run(());
            workspace::focus_conversation();
        }
    });
    let server_error = move || start.value().get().and_then(|r| r.err());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        judged.set(true);
        if problem.get_untracked().is_some() {
            focus("new-phone");
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
    // The local check's words, else the server's about this field.
    let phone_error = move || {
        judged
            .get()
            .then(|| problem.get().map(str::to_string))
            .flatten()
            .or_else(|| {
                server_error()
                    .filter(|e| e.field.as_deref() == Some("phone"))
                    .map(|e| e.message)
            })
    };
    let other_error = move || server_error().filter(|e| e.field.as_deref() != Some("phone"));
    view! {
        <form id="new-conversation-form" class="new-conversation-form" aria-label="New conversation" on:submit=submit novalidate>
            <label for="new-phone">"Contact's phone number"</label>
            <input
                id="new-phone"
                type="tel"
                inputmode="tel"
                autocomplete="off"
                placeholder="+14155550123"
                aria-describedby="new-phone-hint new-phone-error"
                aria-invalid=move || phone_error().is_some().to_string()
                prop:value=phone
                on:input=move |ev| phone.set(event_target_value(&ev))
                on:blur=move |_| {
                    if !phone.with_untracked(String::is_empty) {
                        judged.set(true);
                    }
                }
            />
            <p id="new-phone-hint" class="hint">"International format with the country code, e.g. +14155550123."</p>
            <p id="new-phone-error" class="field-error" hidden=move || phone_error().is_none()>
                {phone_error}
            </p>
            <label for="new-name">"Name (optional)"</label>
            <input id="new-name" type="text" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
            <label for="new-channel">"Channel"</label>
            <ChannelSelect
                id="new-channel"
                value=Signal::derive(move || Some(channel.get()))
                on_change={move |c: Option<Channel>| channel.set(c.unwrap_or(Channel::Sms))}
            />
            {move || other_error().map(|e| view! { <p class="notice error" role="alert">{e.message}</p> })}
            <div class="form-actions">
                <button type="submit" disabled=move || start.pending().get()>
                    {move || if start.pending().get() { "Starting…" } else { "Start conversation" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </form>
    }
}
