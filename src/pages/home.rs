//! The landing screen.

use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section class="page" aria-labelledby="home-title">
            <h1 id="home-title">"Welcome to Optline"</h1>
            <p>
                "Message your clients over WhatsApp and SMS from your business number, "
                "with their consent handled for you: every action tells you at once "
                "whether it is allowed and what the client will receive."
            </p>
        </section>
    }
}
