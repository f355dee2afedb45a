//! "Record opt-out…" and "Record opt-in…" (rule 13): consent given or
//! revoked outside Optline, recorded by a person. Each is a button that
//! opens a small modal `<dialog>` (labelled by its title; focus moves into
//! it and back to the button; Escape closes it) with the required fields,
//! the engine's inline check of what was typed, a confirmation step, and
//! the server's answer. Which buttons show, and what counts as a valid
//! note or evidence, is the wasm engine's call through the thread model.

use leptos::html;
use leptos::prelude::*;
use optline_api::RecordOptInRequest;
use optline_engine::{texts, Refusal};

use crate::api_client;
use crate::session::use_session;
use crate::thread_model::ThreadModel;
use crate::time;

type Model = RwSignal<ThreadModel>;

/// The two "Record…" actions, each shown only when the engine allows it for
/// the signed-in user's role on this thread.
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
            <RecordOptOut model offered=opt_out />
            <RecordOptIn model offered=opt_in />
        </div>
    }
}

/// The message for one field, from the engine's check, once the user has
/// tried to continue.
fn field_error(check: Option<Result<(), Refusal>>, field: &str, shown: bool) -> Option<String> {
    match check {
        Some(Err(r)) if shown && r.code.field() == Some(field) => Some(r.text),
        _ => None,
    }
}

/// Opens and closes `dialog` with `open`: modal, focus on `first` when it
/// opens, back on `opener` (or the thread's title, when the button is gone
/// because the action no longer applies) when it closes.
fn bind_dialog(
    open: RwSignal<bool>,
    dialog: NodeRef<html::Dialog>,
    opener: NodeRef<html::Button>,
    focus_first: impl Fn() + 'static,
) {
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        let Some(d) = dialog.get() else {
            return is_open;
        };
        if is_open && !d.open() {
            let _ = d.show_modal();
            focus_first();
        } else if !is_open && was_open == Some(true) {
            if d.open() {
                d.close();
            }
            match opener.get() {
                Some(b) if b.is_connected() => {
                    let _ = b.focus();
                }
                _ => focus_thread_title(),
            }
        }
        is_open
    });
}

/// Moves focus to an element of the dialog, once it is rendered.
fn focus<E>(el: NodeRef<E>)
where
    E: html::ElementType,
    E::Output: wasm_bindgen::JsCast + Clone + 'static,
{
    use wasm_bindgen::JsCast;
    if let Some(e) = el.get() {
        if let Some(h) = e.dyn_ref::<web_sys::HtmlElement>() {
            let _ = h.focus();
        }
    }
}

fn focus_thread_title() {
    use wasm_bindgen::JsCast;
    let title = document()
        .get_element_by_id("thread-title")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(t) = title {
        let _ = t.set_attribute("tabindex", "-1");
        let _ = t.focus();
    }
}

#[component]
fn RecordOptOut(model: Model, offered: Signal<bool>) -> impl IntoView {
    let session = use_session();
    let open = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let dialog = NodeRef::<html::Dialog>::new();
    let first = NodeRef::<html::Textarea>::new();
    let opener = NodeRef::<html::Button>::new();
    let confirm_button = NodeRef::<html::Button>::new();
    bind_dialog(open, dialog, opener, move || focus(first));

    let check = Memo::new(move |_| {
        let me = session.me.get()?;
        let n = note.get();
        model.with(|m| m.check_opt_out(&me, &n))
    });
    let note_error = Memo::new(move |_| field_error(check.get(), "note", tried.get()));
    // What the engine will send the contact, for the confirmation step.
    let outcome = move || {
        let me = session.me.get()?;
        let n = note.get();
        let now = model.with(|m| m.server_now(time::browser_now()));
        model.with(|m| m.predict_opt_out(&me, now, &n))
    };

    let reset = move || {
        note.set(String::new());
        tried.set(false);
        confirming.set(false);
        failure.set(None);
    };
    let cont = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        match check.get_untracked() {
            Some(Ok(())) => {
                confirming.set(true);
                request_animation_frame(move || {
                    if let Some(b) = confirm_button.get() {
                        let _ = b.focus();
                    }
                });
            }
            _ => {
                if let Some(f) = first.get() {
                    let _ = f.focus();
                }
            }
        }
    };
    let record = move |_| {
        let id = model.with_untracked(ThreadModel::id);
        let text = note.get_untracked();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api_client::record_opt_out(id, text).await;
            busy.set(false);
            match r {
                Ok(res) => {
                    model.update(|m| m.recorded(res, texts::NOTICE_MANUAL_OPT_OUT));
                    open.set(false);
                    reset();
                }
                Err(e) => {
                    confirming.set(false);
                    failure.set(Some(e.message));
                }
            }
        });
    };

    view! {
        <Show when=move || offered.get()>
            <button type="button" class="secondary" node_ref=opener on:click=move |_| open.set(true)>
                "Record opt-out…"
            </button>
        </Show>
        <dialog
            class="record-dialog"
            node_ref=dialog
            aria-labelledby="record-opt-out-title"
            on:close=move |_| {
                open.set(false);
                reset();
            }
        >
            <form on:submit=cont novalidate=true>
                <h2 id="record-opt-out-title">"Record opt-out"</h2>
                <p class="hint">
                    "For an opt-out the contact gave another way: a phone call, an e-mail, in person. "
                    "Afterwards nobody can message them or send opt-in requests."
                </p>
                <div class="field" class:invalid=move || note_error.with(Option::is_some)>
                    <label for="record-opt-out-note">"Note (required)"</label>
                    <textarea
                        id="record-opt-out-note"
                        rows="3"
                        node_ref=first
                        aria-describedby="record-opt-out-note-error"
                        aria-invalid=move || note_error.with(Option::is_some).to_string()
                        readonly=move || confirming.get()
                        prop:value=move || note.get()
                        on:input=move |ev| note.set(event_target_value(&ev))
                    ></textarea>
                    <div class="field-errors" id="record-opt-out-note-error" aria-live="polite">
                        {move || note_error.get().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                </div>
                <Show when=move || confirming.get()>
                    <div class="confirm-step" role="group" aria-label="Confirm">
                        <p>
                            <strong>"Record that the contact opted out?"</strong>
                            " They can opt in again only by replying themselves."
                        </p>
                        <p class="hint">
                            {move || match outcome() {
                                Some(s) if !s.outbound.is_empty() => format!(
                                    "The contact will be sent: “{}”",
                                    s.outbound[0].text
                                ),
                                _ => "No message is sent to the contact.".to_string(),
                            }}
                        </p>
                    </div>
                </Show>
                {move || failure.get().map(|f| view! { <p class="error-box" role="alert">{f}</p> })}
                <div class="dialog-actions">
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! { <button type="submit">"Continue"</button> }
                    >
                        <button
                            type="button"
                            node_ref=confirm_button
                            disabled=move || busy.get()
                            on:click=record
                        >
                            {move || if busy.get() { "Recording…" } else { "Record opt-out" }}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| confirming.set(false)>
                            "Back"
                        </button>
                    </Show>
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>
                        "Cancel"
                    </button>
                </div>
            </form>
        </dialog>
    }
}

#[component]
fn RecordOptIn(model: Model, offered: Signal<bool>) -> impl IntoView {
    let session = use_session();
    let open = RwSignal::new(false);
    let reference = RwSignal::new(String::new());
    let agreed = RwSignal::new(String::new());
    let tried = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let dialog = NodeRef::<html::Dialog>::new();
    let first = NodeRef::<html::Input>::new();
    let opener = NodeRef::<html::Button>::new();
    let confirm_button = NodeRef::<html::Button>::new();
    let agreed_box = NodeRef::<html::Textarea>::new();
    bind_dialog(open, dialog, opener, move || focus(first));

    let check = Memo::new(move |_| {
        let me = session.me.get()?;
        let (r, t) = (reference.get(), agreed.get());
        model.with(|m| m.check_opt_in(&me, &r, &t))
    });
    let reference_error = Memo::new(move |_| field_error(check.get(), "reference", tried.get()));
    let agreed_error = Memo::new(move |_| field_error(check.get(), "agreed_text", tried.get()));

    let reset = move || {
        reference.set(String::new());
        agreed.set(String::new());
        tried.set(false);
        confirming.set(false);
        failure.set(None);
    };
    let cont = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        match check.get_untracked() {
            Some(Ok(())) => {
                confirming.set(true);
                request_animation_frame(move || {
                    if let Some(b) = confirm_button.get() {
                        let _ = b.focus();
                    }
                });
            }
            Some(Err(r)) if r.code.field() == Some("agreed_text") => {
                if let Some(f) = agreed_box.get() {
                    let _ = f.focus();
                }
            }
            _ => {
                if let Some(f) = first.get() {
                    let _ = f.focus();
                }
            }
        }
    };
    let record = move |_| {
        let id = model.with_untracked(ThreadModel::id);
        let req = RecordOptInRequest {
            reference: reference.get_untracked(),
            agreed_text: agreed.get_untracked(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = api_client::record_opt_in(id, req).await;
            busy.set(false);
            match r {
                Ok(res) => {
                    model.update(|m| m.recorded(res, texts::NOTICE_MANUAL_OPT_IN));
                    open.set(false);
                    reset();
                }
                Err(e) => {
                    confirming.set(false);
                    failure.set(Some(e.message));
                }
            }
        });
    };

    view! {
        <Show when=move || offered.get()>
            <button type="button" class="secondary" node_ref=opener on:click=move |_| open.set(true)>
                "Record opt-in…"
            </button>
        </Show>
        <dialog
            class="record-dialog"
            node_ref=dialog
            aria-labelledby="record-opt-in-title"
            on:close=move |_| {
                open.set(false);
                reset();
            }
        >
            <form on:submit=cont novalidate=true>
                <h2 id="record-opt-in-title">"Record opt-in"</h2>
                <p class="hint">
                    "For consent collected elsewhere, such as a signed form or a web form. "
                    "Keep the evidence: its reference and the exact words the contact agreed to."
                </p>
                <div class="field" class:invalid=move || reference_error.with(Option::is_some)>
                    <label for="record-opt-in-reference">"Evidence reference (required)"</label>
                    <p class="hint" id="record-opt-in-reference-hint">"E.g. the form's number or the web form's submission id."</p>
                    <input
                        id="record-opt-in-reference"
                        type="text"
                        autocomplete="off"
                        node_ref=first
                        aria-describedby="record-opt-in-reference-hint record-opt-in-reference-error"
                        aria-invalid=move || reference_error.with(Option::is_some).to_string()
                        readonly=move || confirming.get()
                        prop:value=move || reference.get()
                        on:input=move |ev| reference.set(event_target_value(&ev))
                    />
                    <div class="field-errors" id="record-opt-in-reference-error" aria-live="polite">
                        {move || reference_error.get().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                </div>
                <div class="field" class:invalid=move || agreed_error.with(Option::is_some)>
                    <label for="record-opt-in-text">"Exact text the contact agreed to (required)"</label>
                    <textarea
                        id="record-opt-in-text"
                        rows="4"
                        node_ref=agreed_box
                        aria-describedby="record-opt-in-text-error"
                        aria-invalid=move || agreed_error.with(Option::is_some).to_string()
                        readonly=move || confirming.get()
                        prop:value=move || agreed.get()
                        on:input=move |ev| agreed.set(event_target_value(&ev))
                    ></textarea>
                    <div class="field-errors" id="record-opt-in-text-error" aria-live="polite">
                        {move || agreed_error.get().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                </div>
                <Show when=move || confirming.get()>
                    <div class="confirm-step" role="group" aria-label="Confirm">
                        <p>
                            <strong>"Record that the contact opted in?"</strong>
                            " Agents can message them from now on. No message is sent to the contact."
                        </p>
                    </div>
                </Show>
                {move || failure.get().map(|f| view! { <p class="error-box" role="alert">{f}</p> })}
                <div class="dialog-actions">
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! { <button type="submit">"Continue"</button> }
                    >
                        <button
                            type="button"
                            node_ref=confirm_button
                            disabled=move || busy.get()
                            on:click=record
                        >
                            {move || if busy.get() { "Recording…" } else { "Record opt-in" }}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| confirming.set(false)>
                            "Back"
                        </button>
                    </Show>
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>
                        "Cancel"
                    </button>
                </div>
            </form>
        </dialog>
    }
}
