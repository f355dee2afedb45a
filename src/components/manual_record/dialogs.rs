//! The two "Record…" dialogs (rule 13), fetched on first use: a small modal
//! `<dialog>` each (labelled by its title; focus moves into it and back to
//! the button that opened it; Escape closes it) with the required fields,
//! the engine's inline check of what was typed, a confirmation step, and
//! the server's answer. What counts as a valid note or evidence is the wasm
//! engine's call through the thread model; [`RecordDialog`] is the shell
//! both dialogs share.

use leptos::html;
use leptos::prelude::*;
use optline_api::RecordOptInRequest;
use optline_engine::{texts, Refusal};
use wasm_bindgen::JsCast;

use crate::api_client;
use crate::condition::condition;
use crate::session::use_session;
use crate::thread_model::ThreadModel;
use crate::time;

type Model = RwSignal<ThreadModel>;

/// The dialog for `kind`, opened and closed with `open`; `opener` is the
/// button that opened it (focus goes back there).
pub fn dialog(
    model: Model,
    kind: super::Record,
    open: RwSignal<bool>,
    opener: NodeRef<html::Button>,
) -> AnyView {
    match kind {
        super::Record::OptOut => view! { <RecordOptOut model open opener /> }.into_any(),
        super::Record::OptIn => view! { <RecordOptIn model open opener /> }.into_any(),
    }
}

/// What one dialog keeps while it is used.
#[derive(Clone, Copy)]
struct DialogState {
    open: RwSignal<bool>,
    /// "Continue" was pressed: field errors show from now on.
    tried: RwSignal<bool>,
    confirming: RwSignal<bool>,
    busy: RwSignal<bool>,
    /// The server's refusal, in its words.
    failure: RwSignal<Option<String>>,
}

impl DialogState {
    fn new(open: RwSignal<bool>) -> Self {
        DialogState {
            open,
            tried: RwSignal::new(false),
            confirming: RwSignal::new(false),
            busy: RwSignal::new(false),
            failure: RwSignal::new(None),
        }
    }

    /// The message for `field` from the engine's check, once the user has
    /// tried to continue.
    fn error(self, check: Option<Result<(), Refusal>>, field: &str) -> Option<String> {
        match check {
            Some(Err(r)) if self.tried.get() && r.code.field() == Some(field) => Some(r.text),
            _ => None,
        }
    }

    /// The server's answer to the record: close on success, else say why.
    fn answered<T>(self, r: Result<T, api_client::ApiFailure>, done: impl FnOnce(T)) {
        self.busy.set(false);
        match r {
            Ok(v) => {
                done(v);
                self.open.set(false);
            }
            Err(e) => {
                self.confirming.set(false);
                self.failure.set(Some(e.message));
            }
        }
    }
}

/// Moves focus to `el` (an element of a dialog), if it is rendered.
fn focus_element(el: Option<web_sys::Element>) {
    if let Some(h) = el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = h.focus();
    }
}

fn focus_id(id: &str) {
    focus_element(document().get_element_by_id(id));
}

/// Opens and closes `dialog` with `open`: modal, focus on the first field
/// when it opens, back on `opener` (or the thread's title, when the button
/// is gone because the action no longer applies) when it closes.
fn bind_dialog(
    open: RwSignal<bool>,
    dialog: NodeRef<html::Dialog>,
    opener: NodeRef<html::Button>,
    first_field: &'static str,
) {
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        let Some(d) = dialog.get() else {
            return is_open;
        };
        if is_open && !d.open() {
            // A dialog fetched on demand is built before it is put on the
            // page, and only a dialog on the page can open: next frame.
            request_animation_frame(move || {
                if open.get_untracked() && d.is_connected() && !d.open() {
                    let _ = d.show_modal();
                    focus_id(first_field);
                }
            });
        } else if !is_open && was_open == Some(true) {
            if d.open() {
                d.close();
            }
            match opener.get() {
                Some(b) if b.is_connected() => {
                    let _ = b.focus();
                }
                _ => {
                    if let Some(t) = document().get_element_by_id("thread-title") {
                        let _ = t.set_attribute("tabindex", "-1");
                        focus_element(Some(t));
                    }
                }
            }
        }
        is_open
    });
}

/// The shell of a "Record …" dialog: the modal with its title
/// and intro, the fields, "Continue" (the engine's check: the confirmation
/// step, or focus on the field at fault), the confirmation, the server's
/// refusal, and Cancel. `fields` maps the engine's field names to the
/// boxes' ids, the first one focused on opening.
#[component]
fn RecordDialog(
    /// `opt-out` or `opt-in`: the title, the button and the ids say it.
    what: &'static str,
    opener: NodeRef<html::Button>,
    state: DialogState,
    intro: &'static str,
    fields: &'static [(&'static str, &'static str)],
    check: Memo<Option<Result<(), Refusal>>>,
    #[prop(into)] on_record: Callback<()>,
    #[prop(into)] on_closed: Callback<()>,
    /// What the confirmation step says.
    #[prop(into)]
    confirm: ViewFn,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let title_id = format!("record-{what}-title");
    let labelled_by = title_id.clone();
    let confirm_id = format!("record-{what}-confirm");
    bind_dialog(state.open, dialog, opener, fields[0].1);

    let cont = {
        let confirm_id = confirm_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            state.tried.set(true);
            match check.get_untracked() {
                Some(Ok(())) => {
                    state.confirming.set(true);
                    let id = confirm_id.clone();
                    request_animation_frame(move || focus_id(&id));
                }
                Some(Err(r)) => {
                    let field = r.code.field();
                    let id = fields
                        .iter()
                        .find(|(f, _)| Some(*f) == field)
                        .unwrap_or(&fields[0])
                        .1;
                    focus_id(id);
                }
                None => {}
            }
        }
    };
    let closed = move |_| {
        state.open.set(false);
        state.tried.set(false);
        state.confirming.set(false);
        state.failure.set(None);
        on_closed.run(());
    };

    let confirming = condition(move || state.confirming.get());
    view! {
        <dialog class="record-dialog" node_ref=dialog aria-labelledby=labelled_by on:close=closed>
            <form on:submit=cont novalidate=true>
                <h2 id=title_id>{format!("Record {what}")}</h2>
                <p class="hint">{intro}</p>
                {children()}
                {move || confirming.get().then(|| view! {
                    <div class="confirm-step" role="group" aria-label="Confirm">
                        {confirm.run()}
                    </div>
                })}
                {move || state.failure.get().map(|f| view! { <p class="error-box" role="alert">{f}</p> })}
                <div class="dialog-actions">
                    {move || if !confirming.get() {
                        view! { <button type="submit">"Continue"</button> }.into_any()
                    } else { view! {
                        <button
                            type="button"
                            id=confirm_id.clone()
                            disabled=move || state.busy.get()
                            on:click=move |_| {
                                state.busy.set(true);
                                on_record.run(());
                            }
                        >
                            {move || if state.busy.get() { "Recording…".to_string() } else { format!("Record {what}") }}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| state.confirming.set(false)>
                            "Back"
                        </button>
                    }.into_any() }}
                    <button type="button" class="secondary" on:click=move |_| state.open.set(false)>
                        "Cancel"
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// A labelled box of a dialog with its error tied to it; `rows` 0 is a
/// one-line input.
#[component]
fn DialogField(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    rows: u8,
    value: RwSignal<String>,
    error: Memo<Option<String>>,
    readonly: Signal<bool>,
) -> impl IntoView {
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = match hint {
        Some(_) => format!("{hint_id} {err_id}"),
        None => err_id.clone(),
    };
    let invalid = move || error.with(Option::is_some).to_string();
    let input = move |ev| value.set(event_target_value(&ev));
    let control = if rows == 0 {
        view! {
            <input id=id type="text" autocomplete="off" aria-describedby=described
                aria-invalid=invalid readonly=readonly prop:value=value on:input=input />
        }
        .into_any()
    } else {
        view! {
            <textarea id=id rows=rows aria-describedby=described
                aria-invalid=invalid readonly=readonly prop:value=value on:input=input></textarea>
        }
        .into_any()
    };
    view! {
        <div class="field" class:invalid=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {control}
            <div class="field-errors" id=err_id aria-live="polite">
                {move || error.get().map(|e| view! { <p class="field-error">{e}</p> })}
            </div>
        </div>
    }
}

#[component]
fn RecordOptOut(
    model: Model,
    open: RwSignal<bool>,
    opener: NodeRef<html::Button>,
) -> impl IntoView {
    let session = use_session();
    let state = DialogState::new(open);
    let note = RwSignal::new(String::new());
    let check = Memo::new(move |_| {
        let me = session.me.get()?;
        note.with(|n| model.with(|m| m.check_opt_out(&me, n)))
    });
    let error = Memo::new(move |_| state.error(check.get(), "note"));
    // What the engine will send the contact, for the confirmation step.
    let sent = move || {
        let me = session.me.get()?;
        let now = model.with(|m| m.server_now(time::browser_now()));
        let step = note.with(|n| model.with(|m| m.predict_opt_out(&me, now, n)))?;
        step.outbound.into_iter().next().map(|o| o.text)
    };
    let record = move |_| {
        let id = model.with_untracked(ThreadModel::id);
        let text = note.get_untracked();
        leptos::task::spawn_local(async move {
            let r = api_client::record_opt_out(id, text).await;
            state.answered(r, |res| {
                model.update(|m| m.recorded(res, texts::NOTICE_MANUAL_OPT_OUT))
            });
        });
    };
    let confirm = move || {
        view! {
            <p>
                <strong>"Record that the contact opted out?"</strong>
                " They can opt in again only by replying themselves."
            </p>
            <p class="hint">
                {move || match sent() {
                    Some(t) => format!("The contact will be sent: “{t}”"),
                    None => "No message is sent to the contact.".to_string(),
                }}
            </p>
        }
    };
    view! {
        <RecordDialog
            what="opt-out"
            opener
            state
            intro="For an opt-out the contact gave another way: a phone call, an e-mail, in person. Afterwards nobody can message them or send opt-in requests."
            fields=&[("note", "record-opt-out-note")]
            check
            on_record=record
            on_closed=move |_| note.set(String::new())
            confirm
        >
            <DialogField
                id="record-opt-out-note"
                label="Note (required)"
                rows=3
                value=note
                error
                readonly=state.confirming.into()
            />
        </RecordDialog>
    }
}

#[component]
fn RecordOptIn(model: Model, open: RwSignal<bool>, opener: NodeRef<html::Button>) -> impl IntoView {
    let session = use_session();
    let state = DialogState::new(open);
    let reference = RwSignal::new(String::new());
    let agreed = RwSignal::new(String::new());
    let check = Memo::new(move |_| {
        let me = session.me.get()?;
        let (r, t) = (reference.get(), agreed.get());
        model.with(|m| m.check_opt_in(&me, &r, &t))
    });
    let reference_error = Memo::new(move |_| state.error(check.get(), "reference"));
    let agreed_error = Memo::new(move |_| state.error(check.get(), "agreed_text"));
    let record = move |_| {
        let id = model.with_untracked(ThreadModel::id);
        let req = RecordOptInRequest {
            reference: reference.get_untracked(),
            agreed_text: agreed.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let r = api_client::record_opt_in(id, req).await;
            state.answered(r, |res| {
                model.update(|m| m.recorded(res, texts::NOTICE_MANUAL_OPT_IN))
            });
        });
    };
    let confirm = || {
        view! {
            <p>
                <strong>"Record that the contact opted in?"</strong>
                " Agents can message them from now on. No message is sent to the contact."
            </p>
        }
    };
    let readonly: Signal<bool> = state.confirming.into();
    view! {
        <RecordDialog
            what="opt-in"
            opener
            state
            intro="For consent collected elsewhere, such as a signed form or a web form. Keep the evidence: its reference and the exact words the contact agreed to."
            fields=&[("reference", "record-opt-in-reference"), ("agreed_text", "record-opt-in-text")]
            check
            on_record=record
            on_closed=move |_| {
                reference.set(String::new());
                agreed.set(String::new());
            }
            confirm
        >
            <DialogField
                id="record-opt-in-reference"
                label="Evidence reference (required)"
                hint="E.g. the form's number or the web form's submission id."
                rows=0
                value=reference
                error=reference_error
                readonly
            />
            <DialogField
                id="record-opt-in-text"
                label="Exact text the contact agreed to (required)"
                rows=4
                value=agreed
                error=agreed_error
                readonly
            />
        </RecordDialog>
    }
}
