//! The flow as the admin types it: one text signal per box (so the cursor
//! never jumps while typing a keyword list), turned into an engine
//! [`Flow`] on every keystroke and checked by the engine's own `validate`.
//! The only checks made here are input parsing (a number box holding
//! something that is not a number), which the engine cannot see.

use leptos::prelude::*;
use optline_engine::{
    flow::DEFAULT_MAX_SMS_SEGMENTS, validate, Channel, Flow, FlowMode, FlowProblem, QuietHours,
    ValidFlow,
};

use super::template_fields::ExtraDraft;

/// A box of the form: the engine's field path, its label and a hint.
pub type FieldSpec = (&'static str, &'static str, &'static str);

pub const KEYWORD_FIELDS: [FieldSpec; 5] = [
    (
        "keywords.accept",
        "Accept keywords",
        "The contact gives consent.",
    ),
    (
        "keywords.reject",
        "Reject keywords",
        "The contact declines a pending request.",
    ),
    (
        "keywords.stop",
        "Stop keywords",
        "The contact revokes consent.",
    ),
    (
        "keywords.start",
        "Start keywords",
        "The contact opts in again after stopping.",
    ),
    (
        "keywords.help",
        "Help keywords",
        "The contact asks for help; nothing changes.",
    ),
];

pub const MESSAGE_FIELDS: [FieldSpec; 6] = [
    (
        "messages.request",
        "Opt-in request",
        "Must say how to accept and how to decline.",
    ),
    ("messages.accepted", "Confirmation after accepting", ""),
    ("messages.rejected", "Confirmation after declining", ""),
    (
        "messages.opted_out",
        "Opt-out confirmation",
        "Must say how to opt in again.",
    ),
    ("messages.help", "Help reply", ""),
    (
        "messages.channel_off",
        "Auto-reply when the channel is switched off",
        "",
    ),
];

/// What the admin typed, field by field (in the order of the tables above).
#[derive(Clone, Copy)]
pub struct Draft {
    pub keywords: [RwSignal<String>; 5],
    pub messages: [RwSignal<String>; 6],
    pub resend: RwSignal<String>,
    pub reprompts: RwSignal<String>,
    pub quiet_on: RwSignal<bool>,
    pub quiet_start: RwSignal<String>,
    pub quiet_end: RwSignal<String>,
    pub time_zone: RwSignal<String>,
    /// Rules 13 and 14: recorded opt-outs, the WhatsApp template.
    pub extra: ExtraDraft,
    /// `max_sms_segments` as typed.
    pub max_segments: RwSignal<String>,
    /// Disclaimer mode on (rule 15), and its notice.
    pub disclaimer: RwSignal<bool>,
    pub notice: RwSignal<String>,
}

fn split_words(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn not_a_number(field: &str) -> FlowProblem {
    FlowProblem {
        field: field.into(),
        code: "not_a_number".into(),
        message: "Enter a whole number.".into(),
    }
}

impl Draft {
    pub fn new() -> Self {
        Draft {
            keywords: std::array::from_fn(|_| RwSignal::new(String::new())),
            messages: std::array::from_fn(|_| RwSignal::new(String::new())),
            resend: RwSignal::new(String::new()),
            reprompts: RwSignal::new(String::new()),
            quiet_on: RwSignal::new(true),
            quiet_start: RwSignal::new(String::new()),
            quiet_end: RwSignal::new(String::new()),
            time_zone: RwSignal::new(String::new()),
            extra: ExtraDraft::new(),
            max_segments: RwSignal::new(String::new()),
            disclaimer: RwSignal::new(false),
            notice: RwSignal::new(String::new()),
        }
    }

    /// Fills every box from `f`.
    pub fn load(&self, f: &Flow) {
        let k = &f.keywords;
        for (sig, words) in self
            .keywords
            .iter()
            .zip([&k.accept, &k.reject, &k.stop, &k.start, &k.help])
        {
            sig.set(words.join(", "));
        }
        let m = &f.messages;
        let texts = [
            &m.request,
            &m.accepted,
            &m.rejected,
            &m.opted_out,
            &m.help,
            &m.channel_off,
        ];
        for (sig, text) in self.messages.iter().zip(texts) {
            sig.set(text.clone());
        }
        self.resend.set(f.resend_interval_minutes.to_string());
        self.reprompts
            .set(f.reprompt.max_auto_reprompts.to_string());
        self.quiet_on.set(f.quiet_hours.is_some());
        let q = f.quiet_hours.clone().unwrap_or_default();
        self.quiet_start.set(q.start);
        self.quiet_end.set(q.end);
        self.time_zone.set(f.default_time_zone.clone());
        self.extra.load(f);
        self.max_segments.set(f.max_sms_segments.to_string());
        self.disclaimer.set(f.mode == FlowMode::Disclaimer);
        self.notice.set(f.disclaimer_notice.clone());
    }

    /// The segment limit as typed, or the default while it is not a number
    /// (the count hints need some limit to compare with).
    pub fn max_segments_or_default(&self) -> u32 {
        self.max_segments
            .with(|s| s.trim().parse().unwrap_or(DEFAULT_MAX_SMS_SEGMENTS))
    }

    /// The flow as typed, and the fields that could not even be parsed.
    pub fn build(&self) -> (Flow, Vec<FlowProblem>) {
        let mut f = Flow::default();
        let mut bad = Vec::new();
        let k = &mut f.keywords;
        let sets = [
            &mut k.accept,
            &mut k.reject,
            &mut k.stop,
            &mut k.start,
            &mut k.help,
        ];
        for (sig, words) in self.keywords.iter().zip(sets) {
            *words = split_words(&sig.get());
        }
        let m = &mut f.messages;
        let texts = [
            &mut m.request,
            &mut m.accepted,
            &mut m.rejected,
            &mut m.opted_out,
            &mut m.help,
            &mut m.channel_off,
        ];
        for (sig, text) in self.messages.iter().zip(texts) {
            *text = sig.get();
        }
        match self.resend.get().trim().parse() {
            Ok(n) => f.resend_interval_minutes = n,
            Err(_) => bad.push(not_a_number("resend_interval_minutes")),
        }
        match self.reprompts.get().trim().parse() {
            Ok(n) => f.reprompt.max_auto_reprompts = n,
            Err(_) => bad.push(not_a_number("reprompt.max_auto_reprompts")),
        }
        f.quiet_hours = self.quiet_on.get().then(|| QuietHours {
            start: self.quiet_start.get(),
            end: self.quiet_end.get(),
        });
        f.default_time_zone = self.time_zone.get();
        self.extra.apply(&mut f, &mut bad);
        match self.max_segments.get().trim().parse() {
            Ok(n) => f.max_sms_segments = n,
            Err(_) => bad.push(not_a_number("max_sms_segments")),
        }
        f.mode = if self.disclaimer.get() {
            FlowMode::Disclaimer
        } else {
            FlowMode::Consent
        };
        f.disclaimer_notice = self.notice.get();
        (f, bad)
    }
}

/// Input parsing problems first, then the engine's verdict on the rest.
pub fn check(
    flow: &Flow,
    unparsed: &[FlowProblem],
    channel: Channel,
) -> Result<ValidFlow, Vec<FlowProblem>> {
    match validate(flow, channel) {
        Ok(v) if unparsed.is_empty() => Ok(v),
        Ok(_) => Err(unparsed.to_vec()),
        Err(engine) => {
            let mut all = unparsed.to_vec();
            // A box we could not parse was sent to the engine as its default;
            // whatever it says about that field would be about a value the
            // admin never typed.
            all.extend(
                engine
                    .into_iter()
                    .filter(|p| !unparsed.iter().any(|u| u.field == p.field)),
            );
            Err(all)
        }
    }
}
