//! The header's right side: live status, who is logged in, and "Log out"
//! (or "Log in" for a visitor).

use leptos::prelude::*;

use crate::api_client;
use crate::live::LiveIndicator;
use crate::navigation::use_location;
use crate::session::{redirect_on_expiry, use_session};

#[component]
pub fn UserMenu() -> impl IntoView {
    redirect_on_expiry();
    let session = use_session();
    let location = use_location();
    // A task and a signal, not an `Action`: the first load then carries no
    // action machinery (issue 13).
    let pending = RwSignal::new(false);
    let logout = move || {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        leptos::task::spawn_local(async move {
            let _ = api_client::logout().await;
            pending.set(false);
            // Even if the server could not be told, forget the session here.
            session.me.set(None);
            location.go("/login");
        });
    };
    move || {
        // A visitor is offered the way in (once the probe said so).
        if session.checked.get() && session.me.with(Option::is_none) {
            return Some(
                view! { <div class="user-menu"><a href="/login">"Log in"</a></div> }.into_any(),
            );
        }
        session.me.get().map(|me| {
            view! {
                <div class="user-menu">
                    <LiveIndicator />
                    <span class="user-name">{me.user.name}</span>
                    <button type="button" class="secondary" disabled=pending on:click=move |_| logout()>
                        {move || if pending.get() { "Logging out…" } else { "Log out" }}
                    </button>
                </div>
            }
            .into_any()
        })
    }
}
