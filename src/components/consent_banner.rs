//! The consent banner: the engine's words for the state, and "Request opt-in"
//! with the time until a resend is allowed. The button is disabled with the
//! engine's reason whenever the engine refuses a request; a reason the
//! banner already states is not said twice.

use leptos::prelude::*;
use optline_engine::{AgentActions, Refusal, RefusalCode, StateName};

/// Whether the banner already states the fact behind a refusal: one
/// sentence per fact. A pending banner names when a resend is allowed
/// ("You can resend it in 24 h."), so the engine's "too soon" refusal would
/// say it a second time; other states' banners are the refusal itself.
fn banner_says(refusal: &Refusal, banner: &str) -> bool {
    refusal.code == RefusalCode::ResendTooSoon || refusal.text == banner
}

#[component]
pub fn ConsentBanner(
    actions: Memo<Option<AgentActions>>,
    /// A request is on its way to the server.
    #[prop(into)]
    requesting: Signal<bool>,
    #[prop(into)] on_request: Callback<()>,
) -> impl IntoView {
    let banner = move || actions.with(|a| a.as_ref().map(|a| a.banner.clone()).unwrap_or_default());
    let state = move || actions.with(|a| a.as_ref().map(|a| (a.state, a.expired)));
    let refusal = move || {
        actions.with(|a| {
            a.as_ref()
                .and_then(|a| a.request_opt_in.as_ref().err().cloned())
        })
    };
    // An accepted contact, or a flow that sends a disclosure notice instead,
    // needs no request: hide the button rather than show a refusal nobody
    // asked for.
    let show_button = move || {
        refusal().is_none_or(|r| {
            !matches!(
                r.code,
                RefusalCode::AlreadyAccepted | RefusalCode::RequestNotNeeded
            )
        })
    };
    let tone = move || match state() {
        Some((StateName::Accepted | StateName::Notified, _)) => "ok",
        Some((StateName::Rejected | StateName::OptedOut, _)) => "error",
        Some((_, true)) => "warn",
        _ => "info",
    };
    view! {
        <section class=move || format!("consent-banner tone-{}", tone()) aria-label="Consent">
            <p id="banner-text" class="banner-text" aria-live="polite">{banner}</p>
            {move || show_button().then(|| {
                let blocked = refusal().is_some();
                view! {
                    <div class="banner-actions">
                        <button
                            type="button"
                            disabled=move || blocked || requesting.get()
                            aria-describedby="banner-text request-reason"
                            on:click=move |_| on_request.run(())
                        >
                            {move || if requesting.get() { "Sending request…" } else { "Request opt-in" }}
                        </button>
                        // The reason, unless the banner above already says it.
                        <span id="request-reason" class="reason">
                            {refusal().filter(|r| !banner_says(r, &banner())).map(|r| r.text)}
                        </span>
                    </div>
                }
            })}
        </section>
    }
}
