//! Tells the user whether the server answers, and lets them retry when not.

use leptos::prelude::*;

use crate::api_client;

#[component]
pub fn ServerStatus() -> impl IntoView {
    let health = LocalResource::new(api_client::health);
    // Read directly, not through <Transition>: the app uses no other, and
    // its suspense machinery is compiled once per kind (0.5 KB gzipped).
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
                        <button type="button" on:click=move |_| health.refetch()>
                            "Retry"
                        </button>
                    }
                        .into_any()
                }
            }}
        </p>
    }
}
