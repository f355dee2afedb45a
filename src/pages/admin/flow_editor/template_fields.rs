//! The flow's settings for rules 13 and 14: whether a recorded opt-out
//! sends the contact the opt-out confirmation, and (WhatsApp) the opt-in
//! template — name, language, which value fills each body parameter, and
//! the quick-reply button payloads. [`ExtraDraft`] holds what the admin
//! typed and writes it into the flow the engine validates; the fieldsets
//! show the engine's problems beside each box.

use leptos::prelude::*;
use optline_engine::{Flow, FlowProblem, TemplateParam, WhatsAppTemplate};

use super::fields::{Problems, TextField};
use crate::pages::admin::FieldError;

/// Body parameters offered: `{{1}}` to `{{3}}` (one per value).
const PARAMS: usize = 3;

/// What the admin typed for these settings.
#[derive(Clone, Copy)]
pub struct ExtraDraft {
    pub confirm_manual_opt_out: RwSignal<bool>,
    pub name: RwSignal<String>,
    pub language: RwSignal<String>,
    /// `""` (unused) or a parameter's serde name, per `{{n}}`.
    pub params: [RwSignal<String>; PARAMS],
    pub accept_payload: RwSignal<String>,
    pub decline_payload: RwSignal<String>,
}

fn param_named(s: &str) -> Option<TemplateParam> {
    TemplateParam::ALL.into_iter().find(|p| p.as_str() == s)
}

impl ExtraDraft {
    pub fn new() -> Self {
        ExtraDraft {
            confirm_manual_opt_out: RwSignal::new(true),
            name: RwSignal::new(String::new()),
            language: RwSignal::new(String::new()),
            params: std::array::from_fn(|_| RwSignal::new(String::new())),
            accept_payload: RwSignal::new(String::new()),
            decline_payload: RwSignal::new(String::new()),
        }
    }

    /// Fills every box from `f`.
    pub fn load(&self, f: &Flow) {
        self.confirm_manual_opt_out.set(f.confirm_manual_opt_out);
        let t = &f.whatsapp_template;
        self.name.set(t.name.clone());
        self.language.set(t.language.clone());
        for (i, sig) in self.params.iter().enumerate() {
            sig.set(
                t.body_parameters
                    .get(i)
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
            );
        }
        self.accept_payload.set(t.accept_payload.clone());
        self.decline_payload.set(t.decline_payload.clone());
    }

    /// Writes what was typed into `f`; a parameter left empty before a set
    /// one is an input problem (it would renumber the later ones).
    pub fn apply(&self, f: &mut Flow, bad: &mut Vec<FlowProblem>) {
        f.confirm_manual_opt_out = self.confirm_manual_opt_out.get();
        let chosen: Vec<Option<TemplateParam>> =
            self.params.iter().map(|s| param_named(&s.get())).collect();
        let used = chosen
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        if let Some(gap) = chosen[..used].iter().position(Option::is_none) {
            bad.push(FlowProblem {
                field: "whatsapp_template.body_parameters".into(),
                code: "template_parameter_gap".into(),
                message: format!(
                    "Choose a value for {{{{{}}}}}, or leave it and every later parameter empty.",
                    gap + 1
                ),
            });
        }
        f.whatsapp_template = WhatsAppTemplate {
            name: self.name.get(),
            language: self.language.get(),
            body_parameters: chosen.into_iter().take(used).flatten().collect(),
            accept_payload: self.accept_payload.get(),
            decline_payload: self.decline_payload.get(),
        };
    }
}

#[component]
pub fn ManualRecordFields(draft: ExtraDraft) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Recorded opt-outs"</legend>
            <div class="field">
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || draft.confirm_manual_opt_out.get()
                        on:change=move |ev| draft.confirm_manual_opt_out.set(event_target_checked(&ev))
                    />
                    "Send the opt-out confirmation when an agent records an opt-out given another way"
                </label>
            </div>
        </fieldset>
    }
}

#[component]
pub fn WhatsAppTemplateFields(draft: ExtraDraft, problems: Problems) -> impl IntoView {
    let choices = move || {
        std::iter::once((String::new(), "Not used".to_string()))
            .chain(
                TemplateParam::ALL
                    .into_iter()
                    .map(|p| (p.as_str().to_string(), p.placeholder().to_string())),
            )
            .collect::<Vec<_>>()
    };
    let param_errors = problems.of("whatsapp_template.body_parameters");
    view! {
        <fieldset>
            <legend>"WhatsApp template"</legend>
            <p class="hint">
                "The opt-in request goes out as this approved template. Leave name and language empty "
                "to use the number's template."
            </p>
            <div class="field-row">
                <TextField
                    field="whatsapp_template.name"
                    label="Template name"
                    hint=""
                    value=draft.name
                    errors=problems.of("whatsapp_template.name")
                />
                <TextField
                    field="whatsapp_template.language"
                    label="Template language"
                    hint=""
                    value=draft.language
                    errors=problems.of("whatsapp_template.language")
                />
            </div>
            <div class="field" class:invalid=move || !param_errors.with(Vec::is_empty)>
                <p class="hint" id="flow-params-hint">"Which value fills each body parameter of the template."</p>
                <div class="field-grid">
                    {draft
                        .params
                        .into_iter()
                        .enumerate()
                        .map(|(i, sig)| {
                            let id = format!("flow-param-{}", i + 1);
                            view! {
                                <div>
                                    <label for=id.clone()>{format!("Parameter {{{{{}}}}}", i + 1)}</label>
                                    <select
                                        id=id
                                        aria-describedby="flow-params-hint whatsapp_template-body_parameters-error"
                                        prop:value=move || sig.get()
                                        on:change=move |ev| sig.set(event_target_value(&ev))
                                    >
                                        {choices()
                                            .into_iter()
                                            .map(|(v, t)| {
                                                let selected = sig.get_untracked() == v;
                                                view! { <option value=v selected=selected>{t}</option> }
                                            })
                                            .collect_view()}
                                    </select>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
                <FieldError id="whatsapp_template-body_parameters-error".into() messages=param_errors />
            </div>
            <p class="hint">
                "Quick-reply buttons: a tap counts by its payload, exactly. Leave both empty for a "
                "template without buttons."
            </p>
            <div class="field-row">
                <TextField
                    field="whatsapp_template.accept_payload"
                    label="Accept button payload"
                    hint=""
                    value=draft.accept_payload
                    errors=problems.of("whatsapp_template.accept_payload")
                />
                <TextField
                    field="whatsapp_template.decline_payload"
                    label="Decline button payload"
                    hint=""
                    value=draft.decline_payload
                    errors=problems.of("whatsapp_template.decline_payload")
                />
            </div>
        </fieldset>
    }
}
