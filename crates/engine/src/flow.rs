//! Flows: the admin-editable opt-in configuration, and [`validate`], the only
//! way to obtain a [`ValidFlow`] — so an invalid flow can never decide.

use serde::{Deserialize, Serialize};

use crate::keywords::{
    detect_revocation, normalize, normalize_into, revocation_reading, Intent, STANDARD_STOP_WORDS,
};
use crate::model::Channel;
use crate::segments::{sms_count, SmsCount};
use crate::texts::{self, Quoted};
use crate::whatsapp::{template_problems, WhatsAppTemplate};

/// Which keyword set a word belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeywordSet {
    Accept,
    Reject,
    Stop,
    Start,
    Help,
}

impl KeywordSet {
    pub const ALL: [KeywordSet; 5] = [
        KeywordSet::Accept,
        KeywordSet::Reject,
        KeywordSet::Stop,
        KeywordSet::Start,
        KeywordSet::Help,
    ];
    /// Field-name form, e.g. `"accept"` (as in `keywords.accept`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeywordSet::Accept => "accept",
            KeywordSet::Reject => "reject",
            KeywordSet::Stop => "stop",
            KeywordSet::Start => "start",
            KeywordSet::Help => "help",
        }
    }
}

/// Keyword sets as the admin writes them. Matching ignores case, whitespace,
/// punctuation, full-width forms, emoji and Latin accents (see
/// [`crate::keywords`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Keywords {
    /// Give consent (default `YES`).
    pub accept: Vec<String>,
    /// Decline a pending request (default `NO`).
    pub reject: Vec<String>,
    /// Revoke consent (default STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
    /// OPTOUT, REVOKE).
    pub stop: Vec<String>,
    /// Opt in again after opting out (default START, UNSTOP). Treated as an
    /// accept keyword in every state but Accepted.
    pub start: Vec<String>,
    /// Ask for help (default HELP, INFO). Changes nothing.
    pub help: Vec<String>,
}

fn words(ws: &[&str]) -> Vec<String> {
    ws.iter().map(|s| s.to_string()).collect()
}

impl Default for Keywords {
    fn default() -> Self {
        Keywords {
            accept: words(&["YES"]),
            reject: words(&["NO"]),
            stop: words(&STANDARD_STOP_WORDS),
            start: words(&["START", "UNSTOP"]),
            help: words(&["HELP", "INFO"]),
        }
    }
}

impl Keywords {
    pub fn set(&self, s: KeywordSet) -> &[String] {
        match s {
            KeywordSet::Accept => &self.accept,
            KeywordSet::Reject => &self.reject,
            KeywordSet::Stop => &self.stop,
            KeywordSet::Start => &self.start,
            KeywordSet::Help => &self.help,
        }
    }
}

/// Message templates sent to the contact. Placeholders: `{company}`,
/// `{agent}`, `{contact}`, `{channel}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Messages {
    /// The opt-in request; must say how to accept and how to decline.
    pub request: String,
    /// Confirmation after accepting.
    pub accepted: String,
    /// Confirmation after rejecting.
    pub rejected: String,
    /// Opt-out confirmation; must say how to opt in again.
    pub opted_out: String,
    /// Reply to HELP/INFO.
    pub help: String,
    /// Auto-reply when the channel is deactivated for the number.
    pub channel_off: String,
}

impl Default for Messages {
    fn default() -> Self {
        Messages {
            request: texts::DEFAULT_REQUEST.into(),
            accepted: texts::DEFAULT_ACCEPTED.into(),
            rejected: texts::DEFAULT_REJECTED.into(),
            opted_out: texts::DEFAULT_OPTED_OUT.into(),
            help: texts::DEFAULT_HELP.into(),
            channel_off: texts::DEFAULT_CHANNEL_OFF.into(),
        }
    }
}

/// Loop protection for rule 6 (any other reply → new request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reprompt {
    /// Automatic re-prompts allowed per agent request before the engine goes
    /// silent (0 disables re-prompting). Default 2, at most 10.
    pub max_auto_reprompts: u32,
}

impl Default for Reprompt {
    fn default() -> Self {
        Reprompt {
            max_auto_reprompts: 2,
        }
    }
}

/// Quiet hours in the contact's local time, "HH:MM" 24-hour. `start` later
/// than `end` spans midnight (the default 21:00–08:00).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuietHours {
    pub start: String,
    pub end: String,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start: "21:00".into(),
            end: "08:00".into(),
        }
    }
}

/// How a flow gets permission to message (DESIGN.md rule 15).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FlowMode {
    /// Ask first: agents send an opt-in request and message once the
    /// contact accepts (rules 1–7). The default.
    #[default]
    Consent,
    /// Tell instead of ask: the first agent message goes out with the
    /// flow's disclosure notice (which says how to opt out); the thread
    /// becomes Notified and messaging is allowed until the contact stops.
    Disclaimer,
}

impl FlowMode {
    /// The serde form (`"consent"`, `"disclaimer"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FlowMode::Consent => "consent",
            FlowMode::Disclaimer => "disclaimer",
        }
    }
}

/// An opt-in flow (per line of business and channel), plain serde data.
/// Missing fields deserialize to the default flow's values, so a partial
/// JSON object (e.g. only `keywords.accept`) is a complete flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flow {
    pub keywords: Keywords,
    pub messages: Messages,
    /// Minimum time between opt-in requests, in minutes (default 1440 = 24 h,
    /// at least 60, at most 43200 = 30 days).
    pub resend_interval_minutes: u32,
    pub reprompt: Reprompt,
    /// `None` disables quiet hours.
    pub quiet_hours: Option<QuietHours>,
    /// IANA zone name used when a contact's own zone is unknown. Informational
    /// for the engine (the caller turns zones into offsets).
    pub default_time_zone: String,
    /// SMS only: the most segments one flow text may take (rule 17),
    /// counted with placeholders filled ([`message_sms_count`]). Default 2,
    /// 1..=10.
    pub max_sms_segments: u32,
    /// Ask for consent (default) or send a disclosure notice (rule 15).
    pub mode: FlowMode,
    /// Disclaimer mode: the notice sent just before the first agent message.
    /// Must say how to opt out (name a stop keyword). Placeholders as in
    /// [`Messages`]. Ignored in consent mode.
    pub disclaimer_notice: String,
    /// Rule 13: send the opt-out confirmation when a user records an
    /// opt-out the contact gave another way (default yes).
    #[serde(default = "yes")]
    pub confirm_manual_opt_out: bool,
    /// Rule 14: the WhatsApp opt-in template (name, language, body
    /// parameters, quick-reply payloads); ignored on SMS.
    #[serde(default)]
    pub whatsapp_template: WhatsAppTemplate,
}

fn yes() -> bool {
    true
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            keywords: Keywords::default(),
            messages: Messages::default(),
            resend_interval_minutes: 24 * 60,
            reprompt: Reprompt::default(),
            quiet_hours: Some(QuietHours::default()),
            default_time_zone: "America/New_York".into(),
            max_sms_segments: DEFAULT_MAX_SMS_SEGMENTS,
            mode: FlowMode::Consent,
            disclaimer_notice: texts::DEFAULT_DISCLAIMER_NOTICE.into(),
            confirm_manual_opt_out: true,
            whatsapp_template: WhatsAppTemplate::default(),
        }
    }
}

impl Flow {
    /// The shipped default flow for `channel`. Both channels share the same
    /// texts (the `{channel}` placeholder names the channel), so this equals
    /// `Flow::default()`; it exists so callers state the channel they mean.
    pub fn default_for(_channel: Channel) -> Flow {
        Flow::default()
    }
}

/// One problem found by [`validate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowProblem {
    /// Dotted path of the field, e.g. `keywords.accept`, `messages.request`,
    /// `resend_interval_minutes`, `quiet_hours.start`.
    pub field: String,
    /// Stable snake_case code, e.g. `keyword_in_two_sets`.
    pub code: String,
    /// What to change, in words.
    pub message: String,
}

/// Where the checks report what they find. A problem is built only when
/// asked for (`add` takes a closure), so a caller that only wants to know
/// whether there is one never formats, or carries, the texts.
pub(crate) trait Findings {
    fn add(&mut self, problem: impl FnOnce() -> FlowProblem);
    fn any(&self) -> bool;
}

/// Every problem, with its words.
impl Findings for Vec<FlowProblem> {
    fn add(&mut self, problem: impl FnOnce() -> FlowProblem) {
        self.push(problem());
    }
    fn any(&self) -> bool {
        !self.is_empty()
    }
}

/// Only whether there is a problem.
struct AnyProblem(bool);

impl Findings for AnyProblem {
    fn add(&mut self, _problem: impl FnOnce() -> FlowProblem) {
        self.0 = true;
    }
    fn any(&self) -> bool {
        self.0
    }
}

fn problem(field: &str, code: &str, message: String) -> FlowProblem {
    FlowProblem {
        field: field.to_string(),
        code: code.to_string(),
        message,
    }
}

/// Longest WhatsApp text, in characters with placeholders as written (the
/// template body limit). SMS texts are limited in segments instead
/// ([`Flow::max_sms_segments`], [`message_sms_count`]).
pub const WHATSAPP_MAX_CHARS: usize = 1024;

/// Default and bounds of [`Flow::max_sms_segments`].
pub const DEFAULT_MAX_SMS_SEGMENTS: u32 = 2;
pub const MAX_SMS_SEGMENTS_LIMIT: u32 = 10;

/// Characters a placeholder is counted as when an SMS text is measured:
/// room for a long company name and long first-and-last names, so a text
/// that passes stays within its segments for nearly every contact.
pub const SMS_PLACEHOLDER_BUDGET: [(&str, usize); 3] =
    [("company", 30), ("agent", 20), ("contact", 20)];

/// A flow text's SMS cost as it will render: `{channel}` as "SMS" and the
/// other placeholders as [`SMS_PLACEHOLDER_BUDGET`] characters of plain
/// GSM-7 letters. (A name outside GSM-7 turns the real message into UCS-2;
/// names are not known when the flow is saved.)
pub fn message_sms_count(text: &str) -> SmsCount {
    let budget = |name: &str| {
        SMS_PLACEHOLDER_BUDGET
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, k)| *k)
    };
    let (company, agent, contact) = (
        "x".repeat(budget("company")),
        "x".repeat(budget("agent")),
        "x".repeat(budget("contact")),
    );
    let filled = Template::parse(text).0.render(&Fill {
        company: &company,
        agent: &agent,
        contact: &contact,
        channel: Channel::Sms.display_name(),
    });
    sms_count(&filled)
}

/// The placeholders a message may use.
pub const PLACEHOLDERS: [&str; 4] = ["company", "agent", "contact", "channel"];

/// A parsed message template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
    literal_len: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(String),
    Company,
    Agent,
    Contact,
    Channel,
}

/// Values for placeholders.
pub(crate) struct Fill<'a> {
    pub company: &'a str,
    pub agent: &'a str,
    pub contact: &'a str,
    pub channel: &'a str,
}

impl Template {
    /// Parses `{name}` placeholders; other braces are literal. Returns the
    /// unknown placeholder names found.
    fn parse(text: &str) -> (Template, Vec<String>) {
        let mut parts = Vec::new();
        let mut unknown = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after.find('}');
            let name = close.map(|c| &after[..c]);
            match name {
                Some(n)
                    if !n.is_empty()
                        && n.len() <= 32
                        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
                {
                    lit.push_str(&rest[..open]);
                    let part = match n {
                        "company" => Some(Part::Company),
                        "agent" => Some(Part::Agent),
                        "contact" => Some(Part::Contact),
                        "channel" => Some(Part::Channel),
                        _ => None,
                    };
                    match part {
                        Some(p) => {
                            if !lit.is_empty() {
                                parts.push(Part::Lit(std::mem::take(&mut lit)));
                            }
                            parts.push(p);
                        }
                        None => {
                            unknown.push(n.to_string());
                            lit.push_str(&rest[open..open + n.len() + 2]);
                        }
                    }
                    rest = &after[n.len() + 1..];
                }
                _ => {
                    lit.push_str(&rest[..open + 1]);
                    rest = after;
                }
            }
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        let literal_len = parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.len(),
                _ => 0,
            })
            .sum();
        (Template { parts, literal_len }, unknown)
    }

    pub(crate) fn render(&self, f: &Fill<'_>) -> String {
        let mut out = String::with_capacity(
            self.literal_len + f.company.len() + f.agent.len() + f.contact.len() + 16,
        );
        for (i, p) in self.parts.iter().enumerate() {
            let value = match p {
                Part::Lit(s) => s,
                Part::Company => f.company,
                Part::Agent => f.agent,
                Part::Contact => f.contact,
                Part::Channel => f.channel,
            };
            if value.is_empty() && !matches!(p, Part::Lit(_)) {
                // A missing value takes the space before it along when
                // punctuation, a space or the end follows: "Hi {contact},"
                // reads "Hi," for a contact without a name, never "Hi ,".
                let next = match self.parts.get(i + 1) {
                    Some(Part::Lit(s)) => s.chars().next(),
                    Some(_) => Some('x'),
                    None => None,
                };
                if out.ends_with(' ') && next.is_none_or(|c| c == ' ' || ",.!?:;)".contains(c)) {
                    out.pop();
                }
                continue;
            }
            out.push_str(value);
        }
        out
    }
}

/// A flow that passed [`validate`] for one channel, with keywords
/// pre-normalised and templates pre-parsed (so deciding is cheap). The only
/// constructor is [`validate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidFlow {
    flow: Flow,
    channel: Channel,
    /// (set, normalised keyword, index into the flow's set).
    keywords: Vec<(KeywordSet, String, usize)>,
    pub(crate) request: Template,
    pub(crate) accepted: Template,
    pub(crate) rejected: Template,
    pub(crate) opted_out: Template,
    pub(crate) help: Template,
    pub(crate) channel_off: Template,
    pub(crate) disclaimer: Template,
    /// Quiet hours as minutes after local midnight.
    pub(crate) quiet: Option<(u32, u32)>,
    /// Refusal and banner texts that depend only on the flow, built once
    /// here so deciding allocates as little as possible.
    pub(crate) txt: FlowTexts,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FlowTexts {
    pub rejected: String,
    pub opted_out: String,
    pub consent_pending: String,
    pub expired: String,
    pub quiet: String,
}

impl Serialize for ValidFlow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.flow.serialize(s)
    }
}

impl ValidFlow {
    /// The flow as written by the admin.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }
    /// The channel it was validated for (limits differ per channel).
    pub fn channel(&self) -> Channel {
        self.channel
    }
    /// Whether the flow sends a disclosure notice instead of asking.
    pub fn disclaimer_mode(&self) -> bool {
        self.flow.mode == FlowMode::Disclaimer
    }
    /// The first stop keyword as written (for "reply STOP").
    pub fn stop_word(&self) -> &str {
        self.flow
            .keywords
            .stop
            .first()
            .map(String::as_str)
            .unwrap_or("STOP")
    }
    /// The resend interval in seconds.
    pub fn resend_interval_seconds(&self) -> i64 {
        i64::from(self.flow.resend_interval_minutes) * 60
    }

    /// Classifies an inbound text (see [`crate::keywords`] for the policy).
    pub fn classify<'a>(&'a self, text: &str) -> Intent<'a> {
        let mut buf = String::with_capacity(text.len());
        normalize_into(text, &mut buf);
        match self.classify_normalized(&buf) {
            Intent::Other => self.classify_disguised_revocation(text, &buf),
            exact => exact,
        }
    }

    /// Policy point 4: read a non-keyword message as it looks on a phone
    /// screen, and only ever find a revocation in it.
    fn classify_disguised_revocation<'a>(&'a self, text: &str, exact: &str) -> Intent<'a> {
        // Plain ASCII without separated single letters reads the same.
        if text.is_ascii() && !exact.split(' ').all(|w| w.len() == 1) {
            return Intent::Other;
        }
        let reading = revocation_reading(text);
        if reading == exact || reading.is_empty() {
            return Intent::Other;
        }
        for (set, k, i) in &self.keywords {
            if *set == KeywordSet::Stop && *k == reading {
                let kw = self.flow.keywords.stop.get(*i).map(String::as_str);
                return Intent::Keyword {
                    set: KeywordSet::Stop,
                    keyword: kw.unwrap_or(""),
                };
            }
        }
        match detect_revocation(&reading) {
            Some(phrase) => Intent::Revocation { phrase },
            None => Intent::Other,
        }
    }

    fn classify_normalized(&self, n: &str) -> Intent<'_> {
        for (set, k, i) in &self.keywords {
            if k.len() == n.len() && k == n {
                let kw = self.flow.keywords.set(*set).get(*i).map(String::as_str);
                return Intent::Keyword {
                    set: *set,
                    keyword: kw.unwrap_or(""),
                };
            }
        }
        match detect_revocation(n) {
            Some(phrase) => Intent::Revocation { phrase },
            None => Intent::Other,
        }
    }

    /// First accept keyword as written (for texts like "reply YES").
    pub fn accept_word(&self) -> &str {
        self.flow
            .keywords
            .accept
            .first()
            .map(String::as_str)
            .unwrap_or("YES")
    }

    /// "START or YES": start keywords (first one) then the accept keyword.
    pub fn reopt_words(&self) -> String {
        let mut ws: Vec<&str> = Vec::new();
        if let Some(s) = self.flow.keywords.start.first() {
            ws.push(s);
        }
        ws.push(self.accept_word());
        texts::or_list(&ws)
    }

    /// Quiet hours as written ("21:00", "08:00"), if any.
    pub fn quiet_hours_text(&self) -> Option<(&str, &str)> {
        self.flow
            .quiet_hours
            .as_ref()
            .map(|q| (q.start.trim(), q.end.trim()))
    }
}

/// Parses "HH:MM" (24-hour, 00:00–23:59) into minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let s = s.trim();
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().all(|b| b.is_ascii_digit()) || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn contains_words(haystack_norm: &str, needle_norm: &str) -> bool {
    if needle_norm.is_empty() {
        return false;
    }
    let h: Vec<&str> = haystack_norm.split(' ').collect();
    let n: Vec<&str> = needle_norm.split(' ').collect();
    h.windows(n.len()).any(|w| w == n.as_slice())
}

/// Whether a rendered text shows the gap a missing value left: a space
/// before punctuation, a doubled space, empty brackets, or leading
/// punctuation.
fn reads_broken(text: &str) -> bool {
    let t = text.trim();
    [
        " ,", " .", " !", " ?", " :", " ;", "  ", "()", "( )", "[]", "\"\"",
    ]
    .iter()
    .any(|p| t.contains(p))
        || t.starts_with([',', '.', '!', '?', ':', ';'])
}

/// Checks a flow for `channel` and returns EVERY problem at once, each naming
/// its field and saying what to change. On success the result is the only
/// thing [`crate::step`] and [`crate::agent_actions`] accept.
pub fn validate(flow: &Flow, channel: Channel) -> Result<ValidFlow, Vec<FlowProblem>> {
    let mut problems = Vec::new();
    match check(flow, channel, &mut problems) {
        Some(valid) => Ok(valid),
        None => Err(problems),
    }
}

/// The checks of [`validate`] without the words: the flow when it passes,
/// `None` when it does not. For a flow the server already validated (the
/// agent's app predicts with it), where the problems' texts would be
/// dead weight in the browser bundle (issue 13).
pub fn validate_quietly(flow: &Flow, channel: Channel) -> Option<ValidFlow> {
    check(flow, channel, &mut AnyProblem(false))
}

fn check(flow: &Flow, channel: Channel, problems: &mut impl Findings) -> Option<ValidFlow> {
    // --- keywords
    let mut seen: Vec<(String, KeywordSet, String)> = Vec::new(); // (norm, set, as written)
    let mut normalized = Vec::new();
    for set in KeywordSet::ALL {
        let field = || format!("keywords.{}", set.as_str());
        let list = flow.keywords.set(set);
        if list.is_empty()
            && matches!(
                set,
                KeywordSet::Accept | KeywordSet::Reject | KeywordSet::Stop
            )
        {
            problems.add(|| {
                problem(
                    &field(),
                    "keywords_empty",
                    format!("Add at least one {} keyword.", set.as_str()),
                )
            });
        }
        for (i, word) in list.iter().enumerate() {
            let n = normalize(word);
            if n.is_empty() {
                problems.add(|| {
                    problem(
                        &field(),
                        "keyword_empty",
                        format!(
                            "Keyword {} has no letters or digits; use a word such as YES or STOP.",
                            Quoted(word)
                        ),
                    )
                });
                continue;
            }
            if n.chars().count() > 40 {
                problems.add(|| {
                    problem(
                        &field(),
                        "keyword_too_long",
                        format!(
                            "Keyword {} is longer than 40 characters; shorten it.",
                            Quoted(word)
                        ),
                    )
                });
                continue;
            }
            if let Some((_, other, other_word)) = seen.iter().find(|(s, _, _)| *s == n) {
                if *other == set {
                    // Same word twice in one set: harmless, keep the first.
                    continue;
                }
                problems.add(|| problem(
                    &field(),
                    "keyword_in_two_sets",
                    format!(
                        "{} is in both keywords.{} ({}) and keywords.{}; remove it from one of them.",
                        Quoted(word),
                        other.as_str(),
                        Quoted(other_word),
                        set.as_str()
                    ),
                ));
                continue;
            }
            seen.push((n.clone(), set, word.clone()));
            normalized.push((set, n, i));
        }
    }

    // --- the standard opt-out words are reserved: a contact's STOP must
    // always work, whatever an admin edits (CTIA; carriers act on them too).
    for word in STANDARD_STOP_WORDS {
        let n = normalize(word);
        match seen.iter().find(|(s, _, _)| *s == n) {
            Some((_, KeywordSet::Stop, _)) => {}
            // Already reported as a word in two sets.
            Some(_) if flow.keywords.stop.iter().any(|w| normalize(w) == n) => {}
            Some((_, other, _)) => problems.add(|| problem(
                &format!("keywords.{}", other.as_str()),
                "reserved_stop_word",
                format!(
                    "{word} always opts a contact out; remove it from keywords.{} (it stays a stop keyword).",
                    other.as_str()
                ),
            )),
            None => problems.add(|| problem(
                "keywords.stop",
                "reserved_stop_word_missing",
                format!(
                    "{word} must stay a stop keyword: contacts can always opt out with it. Add it back."
                ),
            )),
        }
    }

    // --- messages
    let max_segments = flow.max_sms_segments;
    if !(1..=MAX_SMS_SEGMENTS_LIMIT).contains(&max_segments) {
        problems.add(|| {
            problem(
                "max_sms_segments",
                "sms_segments_out_of_range",
                format!("Allow between 1 and {MAX_SMS_SEGMENTS_LIMIT} SMS segments per message."),
            )
        });
    }
    let disclaimer = flow.mode == FlowMode::Disclaimer;
    let m = &flow.messages;
    let entries: [(&str, &String, bool); 7] = [
        ("messages.request", &m.request, true),
        ("messages.accepted", &m.accepted, true),
        ("messages.rejected", &m.rejected, true),
        ("messages.opted_out", &m.opted_out, true),
        ("messages.help", &m.help, true),
        ("messages.channel_off", &m.channel_off, true),
        // Only checked when it is sent: in consent mode it is dormant.
        ("disclaimer_notice", &flow.disclaimer_notice, disclaimer),
    ];
    let mut templates = Vec::with_capacity(7);
    for (field, text, checked) in entries {
        let (t, unknown) = Template::parse(text);
        if !checked {
            templates.push(t);
            continue;
        }
        if text.trim().is_empty() {
            problems.add(|| {
                problem(
                    field,
                    "message_empty",
                    "Write the message; it cannot be empty.".to_string(),
                )
            });
        }
        match channel {
            Channel::WhatsApp => {
                let len = text.chars().count();
                if len > WHATSAPP_MAX_CHARS {
                    problems.add(|| problem(
                        field,
                        "message_too_long",
                        format!(
                            "The message has {len} characters; WhatsApp allows at most {WHATSAPP_MAX_CHARS}. Shorten it."
                        ),
                    ));
                }
            }
            Channel::Sms => {
                let n = message_sms_count(text);
                if (1..=MAX_SMS_SEGMENTS_LIMIT).contains(&max_segments) && n.segments > max_segments
                {
                    problems.add(|| {
                        problem(
                            field,
                            "message_too_many_segments",
                            texts::too_many_segments(&n, max_segments),
                        )
                    });
                }
            }
        }
        let bare = t.render(&Fill {
            company: "Acme",
            agent: "",
            contact: "",
            channel: channel.display_name(),
        });
        if !text.trim().is_empty() && reads_broken(&bare) {
            problems.add(|| problem(
                field,
                "placeholder_leaves_gap",
                format!(
                    "Without a contact or agent name this message reads {}; reword it so it reads well without them.",
                    Quoted(&bare)
                ),
            ));
        }
        for u in unknown {
            problems.add(|| problem(
                field,
                "unknown_placeholder",
                format!(
                    "Unknown placeholder {{{u}}}; use only {{company}}, {{agent}}, {{contact}} or {{channel}}."
                ),
            ));
        }
        templates.push(t);
    }
    let req_norm = normalize(&m.request);
    let says = |set: KeywordSet, text_norm: &str| {
        normalized
            .iter()
            .any(|(s, k, _)| *s == set && contains_words(text_norm, k))
    };
    if !m.request.trim().is_empty() {
        if !says(KeywordSet::Reject, &req_norm) {
            problems.add(|| problem(
                "messages.request",
                "request_missing_decline",
                "The request must say how to decline: include a reject keyword (e.g. \"Reply NO to decline\").".to_string(),
            ));
        }
        if !says(KeywordSet::Accept, &req_norm) {
            problems.add(|| problem(
                "messages.request",
                "request_missing_accept",
                "The request must say how to accept: include an accept keyword (e.g. \"Reply YES to accept\").".to_string(),
            ));
        }
    }
    if disclaimer
        && !flow.disclaimer_notice.trim().is_empty()
        && !says(KeywordSet::Stop, &normalize(&flow.disclaimer_notice))
    {
        problems.add(|| problem(
            "disclaimer_notice",
            "notice_missing_opt_out",
            format!(
                "The notice must say how to opt out: include a stop keyword (e.g. \"Reply {} to opt out\").",
                flow.keywords.stop.first().map_or("STOP", String::as_str)
            ),
        ));
    }
    let out_norm = normalize(&m.opted_out);
    if !m.opted_out.trim().is_empty()
        && !says(KeywordSet::Start, &out_norm)
        && !says(KeywordSet::Accept, &out_norm)
    {
        problems.add(|| problem(
            "messages.opted_out",
            "opt_out_missing_reopt_in",
            "The opt-out confirmation must say how to opt in again: include a start or accept keyword (e.g. \"reply START or YES\").".to_string(),
        ));
    }

    // --- timing
    if flow.resend_interval_minutes < 60 {
        problems.add(|| {
            problem(
                "resend_interval_minutes",
                "interval_too_short",
                format!(
                    "The resend interval is {} minutes; set it to at least 60 minutes (1 hour).",
                    flow.resend_interval_minutes
                ),
            )
        });
    } else if flow.resend_interval_minutes > 30 * 24 * 60 {
        problems.add(|| {
            problem(
                "resend_interval_minutes",
                "interval_too_long",
                "Set the resend interval to at most 43200 minutes (30 days).".to_string(),
            )
        });
    }
    if flow.reprompt.max_auto_reprompts > 10 {
        problems.add(|| problem(
            "reprompt.max_auto_reprompts",
            "reprompt_limit_too_high",
            "Allow at most 10 automatic re-prompts, so an auto-responder cannot cause a long exchange.".to_string(),
        ));
    }
    let mut quiet = None;
    if let Some(q) = &flow.quiet_hours {
        let s = parse_hhmm(&q.start);
        let e = parse_hhmm(&q.end);
        if s.is_none() {
            problems.add(|| {
                problem(
                    "quiet_hours.start",
                    "quiet_hours_malformed",
                    format!(
                        "{} is not a time; write it as HH:MM, e.g. 21:00.",
                        Quoted(&q.start)
                    ),
                )
            });
        }
        if e.is_none() {
            problems.add(|| {
                problem(
                    "quiet_hours.end",
                    "quiet_hours_malformed",
                    format!(
                        "{} is not a time; write it as HH:MM, e.g. 08:00.",
                        Quoted(&q.end)
                    ),
                )
            });
        }
        if let (Some(s), Some(e)) = (s, e) {
            if s == e {
                problems.add(|| problem(
                    "quiet_hours",
                    "quiet_hours_empty",
                    "Quiet hours start and end at the same time; change one, or turn quiet hours off.".to_string(),
                ));
            }
            quiet = Some((s, e));
        }
    }
    let tz = flow.default_time_zone.trim();
    if tz.is_empty()
        || tz.len() > 64
        || !tz
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'))
        || !(tz.contains('/') || tz == "UTC")
    {
        problems.add(|| {
            problem(
                "default_time_zone",
                "time_zone_invalid",
                format!(
                    "{} is not an IANA time-zone name; use one such as America/New_York or UTC.",
                    Quoted(&flow.default_time_zone)
                ),
            )
        });
    }

    template_problems(&flow.whatsapp_template, channel, problems);

    if problems.any() {
        return None;
    }
    let mut t = templates.into_iter();
    let mut next = || t.next().unwrap_or_else(|| Template::parse("").0);
    let mut v = ValidFlow {
        flow: flow.clone(),
        channel,
        keywords: normalized,
        request: next(),
        accepted: next(),
        rejected: next(),
        opted_out: next(),
        help: next(),
        channel_off: next(),
        disclaimer: next(),
        quiet,
        txt: FlowTexts::default(),
    };
    v.txt = FlowTexts {
        rejected: texts::rejected(v.accept_word()),
        opted_out: texts::opted_out(&v.reopt_words()),
        consent_pending: texts::consent_pending(v.accept_word()),
        expired: texts::request_expired(flow.resend_interval_minutes),
        quiet: match quiet {
            Some((s, e)) => texts::quiet_hours(
                &crate::time::hhmm(s),
                &crate::time::hhmm(e),
                &crate::time::hhmm(e),
            ),
            None => String::new(),
        },
    };
    Some(v)
}
