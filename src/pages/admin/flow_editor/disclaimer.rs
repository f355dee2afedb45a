//! The flow's mode (DESIGN.md rule 15): ask for consent, or send a
//! disclosure notice with the first message. The notice box appears in
//! disclaimer mode only and is checked by the engine's `validate` like every
//! other text (it must name a stop keyword).

use leptos::prelude::*;
use optline_engine::Channel;

use super::draft::Draft;
use super::fields::{MessageField, Problems};
use crate::condition::condition;

#[component]
pub fn DisclaimerFields(
    draft: Draft,
    problems: Problems,
    #[prop(into)] channel: Signal<Channel>,
    #[prop(into)] max_segments: Signal<u32>,
) -> impl IntoView {
    let on = draft.disclaimer;
    let notice_shown = condition(move || on.get());
    view! {
        <fieldset>
            <legend>"Consent or disclosure"</legend>
            <div class="field">
                <label class="check">
                    <input
                        type="radio"
                        name="flow-mode"
                        prop:checked=move || !on.get()
                        on:change=move |_| on.set(false)
                    />
                    "Ask for consent: agents send an opt-in request and message once the contact accepts"
                </label>
                <label class="check">
                    <input
                        type="radio"
                        name="flow-mode"
                        prop:checked=move || on.get()
                        on:change=move |_| on.set(true)
                    />
                    "Disclosure notice: the first message goes out with a notice; no opt-in request"
                </label>
            </div>
            {move || notice_shown.get().then(|| view! {
                <MessageField
                    field="disclaimer_notice"
                    label="Disclosure notice"
                    hint="Sent just before the agent's first message to a contact. Must say how to opt out (a stop keyword)."
                    value=draft.notice
                    errors=problems.of("disclaimer_notice")
                    channel
                    max_segments
                />
            })}
        </fieldset>
    }
}
