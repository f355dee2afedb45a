//! The preview's agent: writes a free-form message, so a flow in
//! disclaimer mode can be played (the first message goes out with the
//! notice) and a consent flow shows the engine's refusal before consent.

use leptos::prelude::*;

#[component]
pub fn AgentMessage(
    /// Called with the text to send as the simulated agent.
    #[prop(into)]
    on_send: Callback<String>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = text.get_untracked();
        if t.trim().is_empty() {
            return;
        }
        text.set(String::new());
        on_send.run(t);
    };
    view! {
        <form class="preview-reply" on:submit=submit>
            <label for="preview-agent-message">"Agent writes"</label>
            <input
                id="preview-agent-message"
                type="text"
                autocomplete="off"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            />
            <button type="submit" disabled=disabled>
                "Send as agent"
            </button>
        </form>
    }
}
