//! WhatsApp opt-in templates with quick-reply buttons (rule 14).
//!
//! On WhatsApp the opt-in request goes out as an approved template. A flow
//! may name the template (name, language), say which of `{contact}`,
//! `{agent}`, `{company}` fills its body parameters `{{1}}`, `{{2}}`, … and
//! set the payloads of its two quick-reply buttons (accept, decline). A
//! tapped button comes back with its payload and label; it counts by the
//! payload, exactly, never by guessing from the label
//! ([`classify_button`]). [`template_send`] gives the provider adapter
//! what to put in the send.

use serde::{Deserialize, Serialize};

use crate::flow::{Findings, FlowProblem, KeywordSet, ValidFlow};
use crate::keywords::Intent;
use crate::model::Channel;
use crate::rules::Context;
use crate::texts::{self, Quoted};

/// Longest quick-reply payload, in characters (the Cloud API's limit).
pub const MAX_PAYLOAD_CHARS: usize = 256;
/// Longest template name (the Cloud API's limit).
pub const MAX_TEMPLATE_NAME_CHARS: usize = 512;

/// A value a template body parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TemplateParam {
    /// The contact's name (`{contact}`).
    Contact,
    /// The agent's name (`{agent}`).
    Agent,
    /// The business's name (`{company}`).
    Company,
}

impl TemplateParam {
    pub const ALL: [TemplateParam; 3] = [
        TemplateParam::Contact,
        TemplateParam::Agent,
        TemplateParam::Company,
    ];

    /// The placeholder as written in messages: `{contact}`.
    pub fn placeholder(self) -> &'static str {
        match self {
            TemplateParam::Contact => "{contact}",
            TemplateParam::Agent => "{agent}",
            TemplateParam::Company => "{company}",
        }
    }

    /// The serde form (`contact`, `agent`, `company`).
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateParam::Contact => "contact",
            TemplateParam::Agent => "agent",
            TemplateParam::Company => "company",
        }
    }
}

/// The flow's WhatsApp template settings. Every field is optional: an empty
/// name and language leave the number's own template settings in force;
/// empty payloads mean the template has no quick-reply buttons. Ignored on
/// SMS flows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatsAppTemplate {
    /// The approved template's name (lowercase letters, digits, `_`).
    pub name: String,
    /// Its language code, e.g. `en_US` or `es`.
    pub language: String,
    /// What fills `{{1}}`, `{{2}}`, … of the template body, in order.
    pub body_parameters: Vec<TemplateParam>,
    /// The payload of the accept quick-reply button.
    pub accept_payload: String,
    /// The payload of the decline quick-reply button.
    pub decline_payload: String,
}

impl WhatsAppTemplate {
    /// Both button payloads set: the request carries quick-reply buttons.
    pub fn has_buttons(&self) -> bool {
        !self.accept_payload.is_empty() && !self.decline_payload.is_empty()
    }
}

fn problem(field: &str, code: &str, message: String) -> FlowProblem {
    FlowProblem {
        field: field.to_string(),
        code: code.to_string(),
        message,
    }
}

fn valid_name(n: &str) -> bool {
    n.chars().count() <= MAX_TEMPLATE_NAME_CHARS
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `en`, `fil`, `en_US`, `zh_Hant`-like codes: 2–3 lowercase letters,
/// optionally `_` and 2–4 letters or digits.
fn valid_language(l: &str) -> bool {
    let (lang, region) = match l.split_once('_') {
        Some((a, b)) => (a, Some(b)),
        None => (l, None),
    };
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Every problem of a WhatsApp flow's template settings (none on SMS).
pub(crate) fn template_problems(t: &WhatsAppTemplate, channel: Channel, p: &mut impl Findings) {
    if channel != Channel::WhatsApp {
        return;
    }
    let name = "whatsapp_template.name";
    let language = "whatsapp_template.language";
    if !t.name.is_empty() && !valid_name(&t.name) {
        p.add(|| problem(name, "template_name_invalid", format!(
            "{} is not a WhatsApp template name: use lowercase letters, digits and underscores (at most {MAX_TEMPLATE_NAME_CHARS}).",
            Quoted(&t.name)
        )));
    }
    if !t.language.is_empty() && !valid_language(&t.language) {
        p.add(|| {
            problem(
                language,
                "template_language_invalid",
                format!(
                    "{} is not a WhatsApp language code: write one such as en, en_US or pt_BR.",
                    Quoted(&t.language)
                ),
            )
        });
    }
    if t.name.is_empty() != t.language.is_empty() {
        let (field, what) = if t.name.is_empty() {
            (name, "name")
        } else {
            (language, "language")
        };
        p.add(|| problem(
            field,
            "template_incomplete",
            format!("Set the template's {what} too, or leave both name and language empty to use the number's template."),
        ));
    }
    for (i, param) in t.body_parameters.iter().enumerate() {
        if t.body_parameters[..i].contains(param) {
            p.add(|| problem(
                "whatsapp_template.body_parameters",
                "template_parameter_repeated",
                format!(
                    "{} fills {{{{{}}}}} and an earlier parameter; each value can fill one parameter (the template repeats {{{{n}}}} itself).",
                    param.placeholder(),
                    i + 1
                ),
            ));
        }
    }
    let payloads = [
        (
            "whatsapp_template.accept_payload",
            &t.accept_payload,
            "accept",
        ),
        (
            "whatsapp_template.decline_payload",
            &t.decline_payload,
            "decline",
        ),
    ];
    let any_set = payloads.iter().any(|(_, v, _)| !v.is_empty());
    for (field, value, which) in payloads {
        if value.is_empty() {
            if any_set {
                p.add(|| problem(field, "button_payload_missing", format!(
                    "Set the {which} button's payload too, or leave both payloads empty for a template without buttons."
                )));
            }
        } else if value.trim().is_empty() {
            p.add(|| {
                problem(
                    field,
                    "button_payload_empty",
                    format!(
                        "The {which} payload is only spaces; write a payload such as OPTIN_{}.",
                        which.to_uppercase()
                    ),
                )
            });
        } else if value.chars().count() > MAX_PAYLOAD_CHARS {
            p.add(|| problem(
                field,
                "button_payload_too_long",
                format!("The {which} payload is longer than {MAX_PAYLOAD_CHARS} characters. Shorten it."),
            ));
        }
    }
    if t.has_buttons() && t.accept_payload == t.decline_payload {
        p.add(|| {
            problem(
                "whatsapp_template.decline_payload",
                "button_payloads_identical",
                "The accept and decline buttons have the same payload; give each button its own."
                    .to_string(),
            )
        });
    }
}

/// What a tapped quick-reply button means. The payload is compared exactly
/// with the flow's accept and decline payloads (WhatsApp flows with buttons
/// only). Any other payload is an ordinary reply: its label is never read
/// as consent or refusal, only — like any text the contact sends, rule 13
/// — as a revocation ("Stop promotions").
pub fn classify_button<'a>(flow: &'a ValidFlow, payload: &str, label: &str) -> Intent<'a> {
    let t = &flow.flow().whatsapp_template;
    if flow.channel() == Channel::WhatsApp && t.has_buttons() {
        if payload == t.accept_payload {
            return Intent::Keyword {
                set: KeywordSet::Accept,
                keyword: &t.accept_payload,
            };
        }
        if payload == t.decline_payload {
            return Intent::Keyword {
                set: KeywordSet::Reject,
                keyword: &t.decline_payload,
            };
        }
    }
    match flow.classify(label) {
        i @ (Intent::Keyword {
            set: KeywordSet::Stop,
            ..
        }
        | Intent::Revocation { .. }) => i,
        _ => Intent::Other,
    }
}

/// What the adapter sends for the opt-in request template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSend {
    /// The flow's template name; `None`: the number's own.
    pub name: Option<String>,
    /// The flow's template language; `None`: the number's own.
    pub language: Option<String>,
    /// The body parameters' texts, in order (never empty strings).
    pub body_parameters: Vec<String>,
    /// Quick-reply payloads by button index (accept, decline), or none.
    pub quick_reply_payloads: Vec<String>,
}

/// The template send for `flow` with the names in `ctx`. An empty name
/// would make the Cloud API refuse the send, so a missing contact, agent
/// or company name is replaced by a neutral word
/// ([`texts::TEMPLATE_FALLBACK_CONTACT`] and the next two).
pub fn template_send(flow: &ValidFlow, ctx: &Context) -> TemplateSend {
    let t = &flow.flow().whatsapp_template;
    let value = |p: TemplateParam| {
        let (v, fallback) = match p {
            TemplateParam::Contact => (&ctx.contact_name, texts::TEMPLATE_FALLBACK_CONTACT),
            TemplateParam::Agent => (&ctx.agent_name, texts::TEMPLATE_FALLBACK_AGENT),
            TemplateParam::Company => (&ctx.company, texts::TEMPLATE_FALLBACK_COMPANY),
        };
        let v = v.trim();
        if v.is_empty() { fallback } else { v }.to_string()
    };
    let some = |s: &String| (!s.is_empty()).then(|| s.clone());
    TemplateSend {
        name: some(&t.name),
        language: some(&t.language),
        body_parameters: t.body_parameters.iter().map(|p| value(*p)).collect(),
        quick_reply_payloads: if t.has_buttons() {
            vec![t.accept_payload.clone(), t.decline_payload.clone()]
        } else {
            Vec::new()
        },
    }
}
