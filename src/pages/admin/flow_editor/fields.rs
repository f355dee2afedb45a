//! The flow form's boxes: a one-line [`TextField`], a [`MessageField`] with
//! its character count, and [`OtherProblems`] for problems no box shows.
//! Each box's errors are tied to it through `aria-describedby`, in the
//! words of the form's labels, and a problem naming two fields marks both.

use leptos::prelude::*;
use optline_engine::{Channel, FlowProblem};

use super::super::FieldError;
use super::length::length_hint;
use crate::api_client::ApiFailure;
use crate::condition::condition;

/// Every problem of the flow being edited: the engine's (instant) and the
/// server's answer to the last save (field paths prefixed with `flow.`).
#[derive(Clone, Copy)]
pub struct Problems {
    pub engine: Memo<Vec<FlowProblem>>,
    pub server: RwSignal<Option<ApiFailure>>,
}

/// The form's label for each engine field path: the engine names fields by
/// path (`keywords.accept`), the admin knows them by their labels.
const LABELS: [(&str, &str); 17] = [
    ("keywords.accept", "Accept keywords"),
    ("keywords.reject", "Reject keywords"),
    ("keywords.stop", "Stop keywords"),
    ("keywords.start", "Start keywords"),
    ("keywords.help", "Help keywords"),
    ("messages.request", "Opt-in request"),
    ("messages.accepted", "Confirmation after accepting"),
    ("messages.rejected", "Confirmation after declining"),
    ("messages.opted_out", "Opt-out confirmation"),
    ("messages.help", "Help reply"),
    (
        "messages.channel_off",
        "Auto-reply when the channel is switched off",
    ),
    ("resend_interval_minutes", "Resend interval (minutes)"),
    (
        "reprompt.max_auto_reprompts",
        "Automatic re-prompts per request",
    ),
    ("quiet_hours.start", "Quiet hours start"),
    ("quiet_hours.end", "Quiet hours end"),
    ("default_time_zone", "Default time zone"),
    ("quiet_hours", "Quiet hours"),
];

/// Where `path` is named in `text` as a whole path (not as the start of a
/// longer one: `quiet_hours` inside `quiet_hours.start`).
fn path_at(text: &str, path: &str) -> Vec<usize> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(path)
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let mut after = text[i + path.len()..].chars();
            let ends = match after.next() {
                None => true,
                // A full stop ends the path; a dot before a word extends it.
                Some('.') => after.next().is_none_or(|c| !word(c)),
                Some(c) => !word(c),
            };
            ends && before.is_none_or(|c| !word(c) && c != '.')
        })
        .map(|(i, _)| i)
        .collect()
}

/// The engine's sentence with every field path it names put in the form's
/// words ("Accept keywords").
pub fn in_labels(text: &str) -> String {
    let mut out = text.to_string();
    for (path, label) in LABELS {
        for i in path_at(&out, path).into_iter().rev() {
            out.replace_range(i..i + path.len(), label);
        }
    }
    out
}

/// Whether a problem concerns `field`: its own field, or another field its
/// sentence names (a word in two keyword sets is about both boxes).
fn concerns(p: &FlowProblem, field: &str) -> bool {
    p.field == field || !path_at(&p.message, field).is_empty()
}

impl Problems {
    /// The messages about one field (an engine path such as `keywords.accept`),
    /// in the form's words.
    pub fn of(self, field: &'static str) -> Signal<Vec<String>> {
        Signal::derive(move || {
            let mut out: Vec<String> = self.engine.with(|ps| {
                ps.iter()
                    .filter(|p| concerns(p, field))
                    .map(|p| in_labels(&p.message))
                    .collect()
            });
            self.server.with(|e| {
                if let Some(e) = e {
                    if e.field.as_deref().and_then(|f| f.strip_prefix("flow.")) == Some(field) {
                        out.push(format!("Server: {}", in_labels(&e.message)));
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
                .map(|p| format!("{}: {}", in_labels(&p.field), in_labels(&p.message)))
                .collect::<Vec<_>>()
        })
    };
    let any_other = condition(move || !other().is_empty());
    view! {
        {move || any_other.get().then(|| view! {
            <div role="alert" class="error-box">
                {move || other().into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
            </div>
        })}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engines_paths_read_as_the_forms_labels() {
        let m = "\"NO\" is in both keywords.accept (\"YES, NO\") and keywords.reject; remove it from one of them.";
        assert_eq!(
            in_labels(m),
            "\"NO\" is in both Accept keywords (\"YES, NO\") and Reject keywords; remove it from one of them."
        );
        assert_eq!(
            in_labels("Fix quiet_hours.start."),
            "Fix Quiet hours start."
        );
        assert_eq!(in_labels("Fix quiet_hours now."), "Fix Quiet hours now.");
    }

    #[test]
    fn a_problem_naming_another_field_concerns_it_too() {
        let p = FlowProblem {
            field: "keywords.reject".into(),
            code: "keyword_in_two_sets".into(),
            message: "\"ok\" is in both keywords.accept (\"OK\") and keywords.reject; remove it."
                .into(),
        };
        assert!(concerns(&p, "keywords.reject"));
        assert!(concerns(&p, "keywords.accept"));
        assert!(!concerns(&p, "keywords.stop"));
        let q = FlowProblem {
            field: "quiet_hours".into(),
            code: "x".into(),
            message: "quiet_hours.start equals quiet_hours.end.".into(),
        };
        assert!(!concerns(&q, "quiet_hours.star"));
        assert!(concerns(&q, "quiet_hours.end"));
        assert!(concerns(&q, "quiet_hours.start"));
    }
}
