//! Tells the user whether the server answers, and lets them retry when not.

use leptos::prelude::*;

use crate::api_client;

#[component]
pub fn ServerStatus() -> impl IntoView {
    // A signal filled by a task, not a resource: the first load then has no
    // resource or suspense machinery at all (issue 13).
    let health = RwSignal::new(None);
    let check = move || {
        health.set(None);
        leptos::task::spawn_local(async move { health.set(Some(api_client::health().await)) })
    };
    check();
    view! {
        <p role="status" class="server-status">
            {move || match health.get() {
                None => view! { <span>"Connecting to the server…"</span> }.into_any(),
                Some(Ok(h)) => {
                    view! { <span class="ok">"Server connected · version " {h.version}</span> }
                        .into_any()
                }
                Some(Err(e)) => {
                    view! {
                        <span class="error">"Server unreachable: " {e.to_string()} " "</span>
                        <button type="button" on:click=move |_| check()>
                            "Retry"
                        </button>
                    }
                        .into_any()
                }
            }}
        </p>
    }
}
