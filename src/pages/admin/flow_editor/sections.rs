//! The flow form's three fieldsets: keywords, messages and timing, each box
//! bound to the [`Draft`] and showing its [`Problems`].

use leptos::prelude::*;
use optline_engine::Channel;

use super::draft::{Draft, KEYWORD_FIELDS, MESSAGE_FIELDS};
use super::fields::{MessageField, Problems, TextField};
use super::length::limit_sentence;
use crate::condition::condition;
use crate::pages::admin::FieldError;

#[component]
pub fn KeywordFields(draft: Draft, problems: Problems) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Keywords"</legend>
            <p class="hint">
                "Separate words with commas. Matching ignores case, spaces and punctuation. "
                "A word may belong to one set only."
            </p>
            {KEYWORD_FIELDS
                .iter()
                .zip(draft.keywords)
                .map(|(&(field, label, hint), value)| {
                    view! { <TextField field label hint value errors=problems.of(field) /> }
                })
                .collect_view()}
        </fieldset>
    }
}

#[component]
pub fn MessageFields(
    draft: Draft,
    problems: Problems,
    #[prop(into)] channel: Signal<Channel>,
    /// The flow's SMS segment limit as typed.
    #[prop(into)]
    max_segments: Signal<u32>,
) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Messages"</legend>
            <p class="hint" id="placeholder-help">
                "Placeholders: " <code>"{company}"</code> " your organization's name, "
                <code>"{agent}"</code> " the agent's name, " <code>"{contact}"</code>
                " the contact's name, " <code>"{channel}"</code> " SMS or WhatsApp. "
                {move || limit_sentence(channel.get(), max_segments.get())}
            </p>
            {MESSAGE_FIELDS
                .iter()
                .zip(draft.messages)
                .map(|(&(field, label, hint), value)| {
                    view! { <MessageField field label hint value errors=problems.of(field) channel max_segments /> }
                })
                .collect_view()}
        </fieldset>
    }
}

#[component]
pub fn TimingFields(draft: Draft, problems: Problems) -> impl IntoView {
    let quiet_on = condition(move || draft.quiet_on.get());
    view! {
        <fieldset>
            <legend>"Timing"</legend>
            <TextField
                field="resend_interval_minutes"
                label="Resend interval (minutes)"
                hint="How long an unanswered request waits before an agent may send it again. 1440 = 24 hours; at least 60."
                value=draft.resend
                errors=problems.of("resend_interval_minutes")
                numeric=true
            />
            <TextField
                field="reprompt.max_auto_reprompts"
                label="Automatic re-prompts per request"
                hint="When a pending contact replies something else, the request is sent again up to this many times (0 turns it off)."
                value=draft.reprompts
                errors=problems.of("reprompt.max_auto_reprompts")
                numeric=true
            />
            <div class="field">
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || draft.quiet_on.get()
                        on:change=move |ev| draft.quiet_on.set(event_target_checked(&ev))
                    />
                    "Quiet hours (no opt-in requests from agents in the contact's local time)"
                </label>
            </div>
            {move || quiet_on.get().then(|| view! {
                <div class="field-row">
                    <TextField
                        field="quiet_hours.start"
                        label="Quiet hours start (HH:MM)"
                        hint=""
                        value=draft.quiet_start
                        errors=problems.of("quiet_hours.start")
                    />
                    <TextField
                        field="quiet_hours.end"
                        label="Quiet hours end (HH:MM)"
                        hint=""
                        value=draft.quiet_end
                        errors=problems.of("quiet_hours.end")
                    />
                </div>
                <FieldError id="quiet_hours-error".into() messages=problems.of("quiet_hours") />
            })}
            <TextField
                field="default_time_zone"
                label="Default time zone"
                hint="Used when a contact's own time zone is unknown, e.g. America/New_York."
                value=draft.time_zone
                errors=problems.of("default_time_zone")
            />
        </fieldset>
    }
}
