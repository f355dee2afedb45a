//! The composer. Enter sends, Shift+Enter starts a new line. The text stays
//! in the box until the server has accepted the message, so a failure never
//! loses what was typed. When the engine refuses sending, the box is disabled
//! and the engine's reason is shown in its place.

use leptos::prelude::*;
use optline_engine::Refusal;

#[component]
pub fn Composer(
    #[prop(into)] draft: Signal<String>,
    /// The text as typed, at every keystroke.
    #[prop(into)]
    on_input: Callback<String>,
    /// `Some(reason)` when sending is not allowed.
    #[prop(into)]
    refusal: Signal<Option<Refusal>>,
    #[prop(into)] sending: Signal<bool>,
    #[prop(into)] on_send: Callback<()>,
    /// Shown under the box (e.g. the SMS segment count).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let blocked = move || refusal.with(|r| r.is_some());
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            if !sending.get_untracked() {
                on_send.run(());
            }
        }
    };
    view! {
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                on_send.run(());
            }
        >
            <label for="composer-text">"Message"</label>
            <textarea
                id="composer-text"
                rows="2"
                placeholder=move || if blocked() { "Sending is not allowed right now." } else { "Type a message. Enter sends, Shift+Enter adds a line." }
                disabled=blocked
                readonly=sending
                aria-describedby="composer-reason"
                prop:value=draft
                on:input=move |ev| on_input.run(event_target_value(&ev))
                on:keydown=on_key
            ></textarea>
            <button type="submit" disabled=move || blocked() || sending.get()>
                {move || if sending.get() { "Sending…" } else { "Send" }}
            </button>
            {children.map(|c| c())}
            <p id="composer-reason" class="reason">{move || refusal.get().map(|r| r.text)}</p>
        </form>
    }
}
