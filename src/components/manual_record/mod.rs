//! "Record opt-out…" and "Record opt-in…" (rule 13): consent given or
//! revoked outside Optline, recorded by a person. Each is a button, shown
//! only when the engine allows the action for the signed-in user's role on
//! this thread (through the thread model), that opens a dialog.
//!
//! The buttons are part of the thread; the dialogs ([`dialogs`]) are fetched
//! the first time one is opened (the `dialogs` chunk, see
//! [`crate::on_demand`]) and stay mounted afterwards, so closing one can give
//! focus back to its button.

mod dialogs;

use leptos::html;
use leptos::prelude::*;

use crate::components::dialogs_ahead::fetch_dialogs_ahead;
use crate::condition::condition;
use crate::on_demand::{on_demand, OnDemand, Wording};
use crate::session::use_session;
use crate::thread_model::ThreadModel;

type Model = RwSignal<ThreadModel>;

/// Which record a button and its dialog are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    OptOut,
    OptIn,
}

on_demand! {
    /// Builds a "Record…" dialog (in the `dialogs` chunk).
    fn record_dialog(
        model: Model,
        kind: Record,
        open: RwSignal<bool>,
        opener: NodeRef<html::Button>,
    ) in dialogs {
        dialogs::dialog(model, kind, open, opener)
    }
}

const DIALOG: Wording = Wording {
    loading: "Loading…",
    title: None,
    failed: "This dialog could not be loaded. Check your connection, then try again.",
};

/// The two "Record…" actions, each shown only when the engine allows it.
#[component]
pub fn ManualRecords(model: Model) -> impl IntoView {
    let session = use_session();
    let offered = Memo::new(move |_| {
        let me = session.me.get()?;
        model.with(|m| m.manual_actions(&me))
    });
    let opt_out = Signal::derive(move || {
        offered.with(|a| a.as_ref().is_some_and(|a| a.record_opt_out.is_ok()))
    });
    let opt_in = Signal::derive(move || {
        offered.with(|a| a.as_ref().is_some_and(|a| a.record_opt_in.is_ok()))
    });
    view! {
        <div class="manual-records">
            <RecordAction model kind=Record::OptOut offered=opt_out />
            <RecordAction model kind=Record::OptIn offered=opt_in />
        </div>
    }
}

/// One "Record…" button and, once it was first pressed, its dialog.
#[component]
fn RecordAction(model: Model, kind: Record, offered: Signal<bool>) -> impl IntoView {
    let open = RwSignal::new(false);
    let wanted = RwSignal::new(false);
    let opener = NodeRef::<html::Button>::new();
    let label = match kind {
        Record::OptOut => "Record opt-out…",
        Record::OptIn => "Record opt-in…",
    };
    let press = move |_| {
        wanted.set(true);
        open.set(true);
    };
    // Memos, so a repeated press (`wanted` set again) keeps the dialog.
    let offered = condition(move || offered.get());
    let wanted = condition(move || wanted.get());
    view! {
        {move || offered.get().then(|| view! {
            <button type="button" class="secondary" node_ref=opener on:click=press
                on:pointerenter=|_| fetch_dialogs_ahead() on:focus=|_| fetch_dialogs_ahead()>
                {label}
            </button>
        })}
        {move || wanted.get().then(|| view! {
            <OnDemand load=Box::new(move || record_dialog(model, kind, open, opener)) wording=DIALOG />
        })}
    }
}
