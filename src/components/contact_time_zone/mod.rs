//! "Change time zone…" (admins only): the one way a contact's time zone — and
//! with it their quiet hours — changes after the contact was first stored.
//! The server validates the zone and audits the change on every thread with
//! the contact; the form ([`form`]) only collects it and shows the answer.
//!
//! The button is part of the thread; the form is fetched on its first use
//! (the `dialogs` chunk, see [`crate::on_demand`]).

mod form;

use leptos::html;
use leptos::prelude::*;
use optline_api::Contact;

use crate::components::dialogs_ahead::fetch_dialogs_ahead;
use crate::condition::condition;
use crate::on_demand::{on_demand, OnDemand, Wording};

on_demand! {
    /// Builds the form (in the `dialogs` chunk).
    fn time_zone_form(
        contact: Signal<Option<Contact>>,
        on_changed: Callback<Contact>,
        open: RwSignal<bool>,
        opener: NodeRef<html::Button>,
    ) in dialogs {
        view! { <form::TimeZoneForm contact on_changed open opener /> }.into_any()
    }
}

const FORM: Wording = Wording {
    loading: "Loading the form…",
    title: None,
    failed: "The form could not be loaded. Check your connection, then try again.",
};

#[component]
pub fn ContactTimeZone(
    /// The contact as shown now.
    #[prop(into)]
    contact: Signal<Option<Contact>>,
    /// Called with the contact as the server stored it.
    on_changed: impl Fn(Contact) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let opener = NodeRef::<html::Button>::new();
    let on_changed = Callback::new(on_changed);
    // A memo, so setting `open` again keeps the form.
    let shown = condition(move || open.get());
    view! {
        <button type="button" class="secondary small" node_ref=opener
            on:click=move |_| open.set(true) aria-expanded=move || open.get().to_string()
            on:pointerenter=|_| fetch_dialogs_ahead() on:focus=|_| fetch_dialogs_ahead()>
            "Change time zone…"
        </button>
        {move || shown.get().then(|| view! {
            <OnDemand load=Box::new(move || time_zone_form(contact, on_changed, open, opener)) wording=FORM />
        })}
    }
}
