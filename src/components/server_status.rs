//! Tells the user whether the server answers, and lets them retry when not.

use leptos::prelude::*;

use crate::api_client;

#[component]
pub fn ServerStatus() -> impl IntoView {
    let health = LocalResource::new(api_client::health);
    view! {
        <p role="status" class="server-status">
            <Transition fallback=|| view! { <span>"Connecting to the server…"</span> }>
                {move || {
                    health
                        .get()
                        .map(|result| match result {
                            Ok(h) => {
                                view! {
                                    <span class="ok">"Server connected · version " {h.version}</span>
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <span class="error">"Server unreachable: " {e.to_string()} " "</span>
                                    <button type="button" on:click=move |_| health.refetch()>
                                        "Retry"
                                    </button>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </p>
    }
}
