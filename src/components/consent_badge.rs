//! The consent state in words (never colour alone), as a small badge.

use leptos::prelude::*;

/// Words for the server's consent state names (`Consent::state`).
pub fn state_words(state: &str) -> &'static str {
    match state {
        "not_requested" => "Not requested",
        "pending" => "Opt-in pending",
        "expired" => "Request expired",
        "accepted" => "Opted in",
        "rejected" => "Rejected",
        "opted_out" => "Opted out",
        _ => "Unknown",
    }
}

#[component]
pub fn ConsentBadge(#[prop(into)] state: Signal<String>) -> impl IntoView {
    view! {
        <span class=move || format!("badge consent-{}", state.get())>
            {move || state_words(&state.get())}
        </span>
    }
}
