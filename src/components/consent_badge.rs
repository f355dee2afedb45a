//! The consent status in words (never colour alone), as a small badge; the
//! words are the engine's ([`ConsentStatus::label`]).

use leptos::prelude::*;
use optline_api::ConsentStatus;

#[component]
pub fn ConsentBadge(#[prop(into)] state: Signal<ConsentStatus>) -> impl IntoView {
    view! {
        <span class=move || format!("badge consent-{}", state.get().as_str())>
            {move || state.get().label()}
        </span>
    }
}
