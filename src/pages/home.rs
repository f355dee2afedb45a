//! The landing screen.

use leptos::prelude::*;

use crate::session::use_session;

#[component]
pub fn Home() -> impl IntoView {
    let s = use_session();
    view! {
        <section class="page" aria-labelledby="home-title">
            <h1 id="home-title">"Welcome to Optline"</h1>
            <p>
                "Message your clients over WhatsApp and SMS from your business number, "
                "with their consent handled for you: every action tells you at once "
                "whether it is allowed and what the client will receive."
            </p>
            // The way in: a visitor logs in, a user goes on to work.
            {move || {
                s.checked.get().then(|| {
                    if s.me.with(Option::is_some) {
                        view! { <p class="home-next"><a href="/inbox">"Open your inbox"</a></p> }.into_any()
                    } else {
                        view! {
                            <p class="home-next">
                                <a href="/login">"Log in"</a>
                                " to reach your inbox, or play a client on the "
                                <a href="/phone">"contact phone"</a>
                                " page."
                            </p>
                        }
                        .into_any()
                    }
                })
            }}
        </section>
    }
}
