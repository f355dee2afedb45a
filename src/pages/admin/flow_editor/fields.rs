//! The flow form's boxes: a one-line [`TextField`], a [`MessageField`] with
//! its character count, and [`OtherProblems`] for problems no box shows.
//! Each box's errors are tied to it through `aria-describedby`.

use leptos::prelude::*;
use optline_engine::{Channel, FlowProblem};

use super::super::FieldError;
use super::length::length_hint;
use crate::api_client::ApiFailure;

/// Every problem of the flow being edited: the engine's (instant) and the
/// server's answer to the last save (field paths prefixed with `flow.`).
#[derive(Clone, Copy)]
pub struct Problems {
    pub engine: Memo<Vec<FlowProblem>>,
    pub server: RwSignal<Option<ApiFailure>>,
}

impl Problems {
    /// The messages about one field (an engine path such as `keywords.accept`).
    pub fn of(self, field: &'static str) -> Signal<Vec<String>> {
        Signal::derive(move || {
            let mut out: Vec<String> = self.engine.with(|ps| {
                ps.iter()
                    .filter(|p| p.field == field)
                    .map(|p| p.message.clone())
                    .collect()
            });
            self.server.with(|e| {
                if let Some(e) = e {
                    if e.field.as_deref().and_then(|f| f.strip_prefix("flow.")) == Some(field) {
                        out.push(format!("Server: {}", e.message));
                    }
                }
            });
            out
        })
    }
}

/// Problems whose field has no box of its own (should not happen, but the
/// engine may learn new fields before this screen does).
#[component]
pub fn OtherProblems(problems: Memo<Vec<FlowProblem>>) -> impl IntoView {
    const KNOWN: [&str; 6] = [
        "keywords.",
        "messages.",
        "quiet_hours",
        "reprompt.",
        "disclaimer_notice",
        "whatsapp_template.",
    ];
    let other = move || {
        problems.with(|ps| {
            ps.iter()
                .filter(|p| {
                    !KNOWN.iter().any(|k| p.field.starts_with(k))
                        && p.field != "resend_interval_minutes"
                        && p.field != "default_time_zone"
                })
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || !other().is_empty()>
            <div role="alert" class="error-box">
                {move || other().into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
            </div>
        </Show>
    }
}

fn dom_id(field: &str) -> String {
    format!("flow-{}", field.replace('.', "-"))
}

#[component]
pub fn TextField(
    field: &'static str,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    errors: Signal<Vec<String>>,
    #[prop(optional)] numeric: bool,
) -> impl IntoView {
    let id = dom_id(field);
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_empty() {
        err_id.clone()
    } else {
        format!("{hint_id} {err_id}")
    };
    view! {
        <div class="field" class:invalid=move || !errors.with(Vec::is_empty)>
            <label for=id.clone()>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
            <input
                id=id
                type="text"
                inputmode=if numeric { "numeric" } else { "text" }
                aria-describedby=described
                aria-invalid=move || (!errors.with(Vec::is_empty)).to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldError id=err_id messages=errors />
        </div>
    }
}

#[component]
pub fn MessageField(
    field: &'static str,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    errors: Signal<Vec<String>>,
    #[prop(into)] channel: Signal<Channel>,
    #[prop(into)] max_segments: Signal<u32>,
) -> impl IntoView {
    let id = dom_id(field);
    let err_id = format!("{id}-error");
    let count_id = format!("{id}-count");
    let described = format!("{count_id} {err_id} placeholder-help");
    view! {
        <div class="field" class:invalid=move || !errors.with(Vec::is_empty)>
            <label for=id.clone()>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <textarea
                id=id
                rows="3"
                aria-describedby=described
                aria-invalid=move || (!errors.with(Vec::is_empty)).to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            <p class="hint count" id=count_id>
                {move || value.with(|v| length_hint(v, channel.get(), max_segments.get()))}
            </p>
            <FieldError id=err_id messages=errors />
        </div>
    }
}
