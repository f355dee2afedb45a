//! Log in with e-mail and password; come back to the requested page after.

use leptos::prelude::*;
use optline_api::LoginRequest;

use crate::api_client::{self, ApiFailure};
use crate::navigation::use_location;
use crate::session::use_session;

/// Only same-site paths are followed (an open redirect would let a link send
/// a freshly logged-in user elsewhere).
fn safe_next(next: Option<String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/login") => n,
        _ => "/inbox".to_string(),
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // A task and two signals, not an `Action`: the first load then carries
    // no action machinery (issue 13).
    let pending = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiFailure>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        let request = LoginRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let answer = api_client::login(request).await;
            pending.set(false);
            match answer {
                Ok(me) => {
                    failure.set(None);
                    session.me.set(Some(me));
                    session.flash.set(None);
                    // In place of the login page: Back does not return to
                    // a form for logging in again.
                    location.replace(&safe_next(location.query("next")));
                }
                Err(e) => failure.set(Some(e)),
            }
        });
    };
    let error = move || failure.get();
    view! {
        <section class="page login" aria-labelledby="login-title">
            <h1 id="login-title">"Log in to Optline"</h1>
            {move || {
                session
                    .flash
                    .get()
                    .map(|m| view! { <p class="notice warn" role="alert">{m}</p> })
            }}
            <form on:submit=on_submit novalidate>
                <label for="login-email">"E-mail"</label>
                <input
                    id="login-email"
                    type="email"
                    autocomplete="username"
                    required
                    prop:value=email
                    on:input=move |ev| email.set(event_target_value(&ev))
                    aria-invalid=move || error().map(|e| (e.field.as_deref() == Some("email")).to_string())
                />
                <label for="login-password">"Password"</label>
                <input
                    id="login-password"
                    type="password"
                    autocomplete="current-password"
                    required
                    prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
                {move || error().map(|e| view! { <p class="notice error" role="alert">{e.message}</p> })}
                <button type="submit" disabled=pending>
                    {move || if pending.get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
            <p class="hint">
                "Trying Optline? Play the contact on the " <a href="/phone">"contact phone"</a> " page in a second tab."
            </p>
        </section>
    }
}
