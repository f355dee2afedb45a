//! Every user-facing string of the engine, in one place, so the UI, the
//! server and the tests reference the same words.
//!
//! Constants are exact texts from the product brief (DESIGN.md, "The rules").
//! Functions build texts that depend on the flow (keywords, intervals) or on
//! time; their sentence shape is fixed and documented on each function.
//!
//! Default flow message templates (what the contact receives) are also here,
//! as `DEFAULT_*` constants with `{company}`, `{agent}`, `{contact}` and
//! `{channel}` placeholders.

use crate::model::Channel;
use crate::segments::{SmsCount, SmsEncoding};

// ----- Exact texts quoted by the brief -------------------------------------

/// Rule 3, shown once a pending request is older than the default (24 h)
/// resend interval. For other intervals see [`request_expired`].
pub const REQUEST_EXPIRED_24H: &str = "The contact hasn't responded to the opt-in request for more than 24 hours. You can try sending the request again.";

/// Rule 8, for any request or message by a user who does not hold the contact
/// on WhatsApp within the line of business.
pub const OWNED_BY_OTHER_USER: &str = "Looks like this contact is already messaging with another user in your line of business. Contact your administrator.";

/// Rule 9: the fixed tail of the "channel deactivated" auto-reply. The brief
/// quotes it for WhatsApp; the default flow's template renders it with the
/// channel's name, so on WhatsApp it reads exactly like this.
pub const CHANNEL_OFF_TAIL_WHATSAPP: &str =
    "We're not currently using this number to accept WhatsApp messages.";

// ----- Default flow templates (sent to the contact) ------------------------

/// Default opt-in request (rule 2): says how to accept and how to decline.
pub const DEFAULT_REQUEST: &str = "Hi {contact}, this is {agent} from {company}. May we message you here on {channel}? Reply YES to accept or NO to decline. Reply STOP at any time to opt out.";
/// Default confirmation after an accept keyword (rule 4).
pub const DEFAULT_ACCEPTED: &str = "Thanks! You're now opted in to {channel} messages from {company}. Reply STOP at any time to opt out.";
/// Default confirmation after a reject keyword (rule 5).
pub const DEFAULT_REJECTED: &str =
    "Understood. {company} won't message you here. If you change your mind, reply YES.";
/// Default opt-out confirmation (rule 7), with re-opt-in instructions.
pub const DEFAULT_OPTED_OUT: &str = "You've been unsubscribed from {company} messages on {channel} and won't receive more. To opt in again, reply START or YES.";
/// Default HELP/INFO reply (rule 7).
pub const DEFAULT_HELP: &str = "{company}: {agent} uses this number to message you on {channel}. Reply YES to opt in, NO to decline, STOP to opt out. Message and data rates may apply.";
/// Default "channel deactivated" auto-reply (rule 9).
pub const DEFAULT_CHANNEL_OFF: &str =
    "Thanks for contacting {company}. We're not currently using this number to accept {channel} messages.";

/// Default disclosure notice (rule 15, disclaimer mode): says who writes and
/// how to opt out. Sent as its own message just before the first agent
/// message.
pub const DEFAULT_DISCLAIMER_NOTICE: &str = "{company} uses this number to message you on {channel}. Message and data rates may apply. Reply STOP to opt out, HELP for help.";

// ----- Refusals, notices and banners (shown to the agent) ------------------

/// Rule 1, state NotRequested.
pub const CONSENT_REQUIRED: &str =
    "This contact hasn't opted in yet. Send an opt-in request before messaging them.";

/// Rule 1, state Pending (request not yet expired).
pub fn consent_pending(accept_keyword: &str) -> String {
    format!(
        "Waiting for the contact to accept the opt-in request. You can message them once they reply {accept_keyword}."
    )
}

/// Rule 3 in general form. With the default 24-hour interval this is exactly
/// [`REQUEST_EXPIRED_24H`]; otherwise the same sentence names the configured
/// interval ("for more than 2 hours", "for more than 90 minutes").
pub fn request_expired(interval_minutes: u32) -> String {
    if interval_minutes == 24 * 60 {
        return REQUEST_EXPIRED_24H.to_string();
    }
    format!(
        "The contact hasn't responded to the opt-in request for more than {}. You can try sending the request again.",
        interval_words(interval_minutes)
    )
}

/// Rule 3 before the interval has passed: the time left.
pub fn resend_too_soon(left: &str) -> String {
    format!("An opt-in request is already waiting for the contact's reply. You can send it again in {left}.")
}

/// Rule 5: rejected contacts cannot be asked again.
pub fn rejected(accept_keyword: &str) -> String {
    format!(
        "The contact rejected the opt-in request, so you can't send more requests. They can still opt in by replying {accept_keyword}."
    )
}

/// Rule 7: opted-out contacts cannot be messaged or asked.
pub fn opted_out(reopt_keywords: &str) -> String {
    format!(
        "The contact opted out, so you can't message them or send opt-in requests. They can opt in again by replying {reopt_keywords}."
    )
}

/// A request while consent is already given.
pub const ALREADY_ACCEPTED: &str = "The contact has already accepted. You can message them.";

/// Rule 9, agent side.
pub fn channel_disabled(channel: Channel) -> String {
    format!(
        "{} is turned off for this number. Contact your administrator.",
        channel.display_name()
    )
}

/// Rule 10: outside the WhatsApp 24-hour window.
pub const WHATSAPP_WINDOW_CLOSED: &str = "More than 24 hours have passed since the contact's last message. WhatsApp only allows approved templates, such as the opt-in request, until the contact writes again.";

/// Rule 11: quiet hours. `start`/`end` are "HH:MM" in the contact's time,
/// `next` the next allowed local time ("08:00").
pub fn quiet_hours(start: &str, end: &str, next: &str) -> String {
    format!(
        "It's quiet hours for this contact ({start}–{end} their time). You can send the opt-in request from {next} their time."
    )
}

/// Rule 11 when the contact's number spans several time zones: quiet in at
/// least one of them; `left` is how long until it is quiet in none.
pub fn quiet_hours_in_some_zone(start: &str, end: &str, left: &str) -> String {
    format!(
        "It's quiet hours ({start}–{end}) in at least one of the time zones this contact's number could be in. You can send the opt-in request in {left}."
    )
}

/// Rule 11 when the possible zones' quiet hours together cover the whole day.
pub fn quiet_hours_all_day(start: &str, end: &str) -> String {
    format!(
        "This contact's number could be in time zones whose quiet hours ({start}–{end}) together cover the whole day. Ask your administrator to set the contact's time zone."
    )
}

/// Audit evidence of an admin's time-zone change (zones separated by spaces).
pub fn time_zone_changed(old: &str, new: &str, note: Option<&str>) -> String {
    let list = |z: &str| z.split_whitespace().collect::<Vec<_>>().join(", ");
    let mut s = format!("Time zone changed from {} to {}", list(old), list(new));
    if let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) {
        s.push_str(": ");
        s.push_str(n);
    }
    s
}

/// Sending an empty message.
pub const EMPTY_MESSAGE: &str = "Type a message first.";

/// Notice: the contact accepted.
pub const NOTICE_ACCEPTED: &str = "The contact accepted. You can message them now.";
/// Notice: the contact rejected (rule 5).
pub const NOTICE_REJECTED: &str =
    "The contact rejected the opt-in request. You can't send more requests.";
/// Notice: the contact opted out (rule 7).
pub const NOTICE_OPTED_OUT: &str =
    "The contact opted out. You can't message them or send opt-in requests.";
/// Notice: an automatic re-prompt went out (rule 6).
pub const NOTICE_REPROMPTED: &str =
    "The contact replied without accepting, so the opt-in request was sent again automatically.";
/// Notice: loop protection stopped automatic re-prompts (rule 6).
pub const NOTICE_REPROMPTS_EXHAUSTED: &str = "The contact replied again without accepting. No more automatic requests will be sent; you can resend it yourself once the resend interval has passed.";
/// Notice: the contact asked for help (rule 7).
pub const NOTICE_HELP_SENT: &str = "The contact asked for help and received the help message.";
/// Notice: an inbound message hit a deactivated channel (rule 9).
pub const NOTICE_CHANNEL_OFF: &str =
    "A message arrived on a deactivated channel. The contact was told this number isn't in use for it.";

/// Banner, NotRequested.
pub const BANNER_NOT_REQUESTED: &str =
    "This contact hasn't opted in yet. Send an opt-in request to start messaging.";

/// Banner, Pending with time left.
pub fn banner_pending(left: &str) -> String {
    format!("Opt-in request sent. Waiting for the contact to reply. You can resend it in {left}.")
}

/// Banner, Accepted.
pub const BANNER_ACCEPTED: &str = "The contact accepted messages.";

/// Banner suffix, WhatsApp window open.
pub fn banner_window_open(left: &str) -> String {
    format!("The WhatsApp 24-hour window closes in {left}.")
}

/// Banner suffix, WhatsApp window closed.
pub const BANNER_WINDOW_CLOSED: &str =
    "The WhatsApp 24-hour window is closed: only approved templates can be sent.";

/// Disclaimer mode: a request is never needed (the notice goes with the
/// first message).
pub const REQUEST_NOT_NEEDED: &str = "This flow doesn't ask for consent: your first message goes out with the disclosure notice. Just write your message.";

/// Banner, NotRequested in disclaimer mode.
pub const BANNER_DISCLAIMER_READY: &str = "No opt-in needed: this flow sends a disclosure notice with your first message. You can message this contact.";

/// Banner, Notified (the notice went out): messaging is allowed until the
/// contact opts out with `stop_word`.
pub fn banner_notified(stop_word: &str) -> String {
    format!(
        "The contact received the disclosure notice with your first message. You can message them; they can opt out any time by replying {stop_word}."
    )
}

// ----- SMS segments (rule 17) ----------------------------------------------

/// The composer's count: "1 SMS segment", "2 SMS segments", and
/// "2 SMS segments (Unicode)" when a character needs UCS-2.
pub fn sms_segments(c: &SmsCount) -> String {
    let n = c.segments;
    let unit = if n == 1 { "segment" } else { "segments" };
    match c.encoding {
        SmsEncoding::Gsm7 => format!("{n} SMS {unit}"),
        SmsEncoding::Ucs2 => format!("{n} SMS {unit} (Unicode)"),
    }
}

/// How many more characters fit before the next segment.
pub fn sms_units_left(c: &SmsCount) -> String {
    let unit = match c.encoding {
        SmsEncoding::Gsm7 => "characters",
        SmsEncoding::Ucs2 => "Unicode units",
    };
    format!("{} {unit} left in this segment", c.units_left)
}

/// Validation: an SMS flow text over the flow's segment limit.
pub fn too_many_segments(c: &SmsCount, max: u32) -> String {
    let hint = match c.encoding {
        SmsEncoding::Ucs2 => " Characters outside the GSM alphabet (emoji, some accents) make every segment hold 70 characters instead of 160.",
        SmsEncoding::Gsm7 => "",
    };
    format!(
        "With names filled in, this message takes {}; this flow allows at most {max}. Shorten it or raise the segment limit.{hint}",
        sms_segments(c)
    )
}

// ----- Small helpers --------------------------------------------------------

/// "24 hours", "1 hour", "90 minutes", "1 minute".
pub fn interval_words(minutes: u32) -> String {
    let (h, rest) = (minutes / 60, minutes % 60);
    if rest == 0 {
        if h == 1 {
            "1 hour".to_string()
        } else {
            format!("{h} hours")
        }
    } else if minutes == 1 {
        "1 minute".to_string()
    } else {
        format!("{minutes} minutes")
    }
}

/// Compact duration for "time left" texts, rounded up to the minute:
/// "23 h 59 min", "3 h", "45 min", "2 d 4 h".
pub fn duration_short(seconds: i64) -> String {
    let mins = if seconds <= 0 {
        1
    } else {
        seconds.saturating_add(59) / 60
    };
    // Days only from 48 h on: "24 h" and "36 h" read better than "1 d 12 h".
    let d = if mins >= 48 * 60 { mins / (24 * 60) } else { 0 };
    let h = if d > 0 { (mins / 60) % 24 } else { mins / 60 };
    let m = mins % 60;
    if d > 0 {
        if h > 0 {
            format!("{d} d {h} h")
        } else {
            format!("{d} d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else {
        format!("{m} min")
    }
}

/// "YES", "START or YES", "START, UNSTOP or YES" (keywords as configured).
pub fn or_list(words: &[&str]) -> String {
    match words.len() {
        0 => String::new(),
        1 => words[0].to_string(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

// ----- Manual records (rule 13) ---------------------------------------------

/// A note (what the contact said, when, how) is required to record an opt-out.
pub const NOTE_REQUIRED: &str =
    "Write a note saying how the contact opted out, e.g. \"Asked on a phone call to stop texting\".";
/// The note is over [`crate::manual::NOTE_MAX_CHARS`].
pub fn note_too_long(max: usize) -> String {
    format!("The note is longer than {max} characters. Shorten it.")
}
/// A reference to the evidence is required to record an opt-in.
pub const REFERENCE_REQUIRED: &str =
    "Enter the reference of the evidence, e.g. the signed form's number or the web form's submission id.";
/// The reference is over [`crate::manual::REFERENCE_MAX_CHARS`].
pub fn reference_too_long(max: usize) -> String {
    format!("The reference is longer than {max} characters. Shorten it.")
}
/// The exact text the contact agreed to is required to record an opt-in.
pub const AGREED_TEXT_REQUIRED: &str = "Enter the exact text the contact agreed to.";
/// The agreed text is over [`crate::manual::AGREED_TEXT_MAX_CHARS`].
pub fn agreed_text_too_long(max: usize) -> String {
    format!("The agreed text is longer than {max} characters. Shorten it.")
}
/// Rule 13: agents never record opt-ins.
pub const OPT_IN_ADMIN_ONLY: &str = "Only an admin can record an opt-in collected elsewhere.";
/// Only people signed in to Optline record anything by hand.
pub const MANUAL_RECORD_USERS_ONLY: &str = "Only an agent or an admin can record an opt-out.";
/// Recording an opt-out for a contact who already opted out.
pub const ALREADY_OPTED_OUT: &str = "The contact has already opted out.";
/// Notice: a user recorded an opt-out.
pub const NOTICE_MANUAL_OPT_OUT: &str =
    "Opt-out recorded. You can't message this contact or send opt-in requests.";
/// Notice: an admin recorded an opt-in.
pub const NOTICE_MANUAL_OPT_IN: &str = "Opt-in recorded. The contact can be messaged now.";

// ----- WhatsApp templates (rule 14) -------------------------------------------

/// A template body parameter must not be empty (the Cloud API refuses the
/// send); these stand in for a missing contact or agent name.
pub const TEMPLATE_FALLBACK_CONTACT: &str = "there";
/// See [`TEMPLATE_FALLBACK_CONTACT`].
pub const TEMPLATE_FALLBACK_AGENT: &str = "our team";
/// See [`TEMPLATE_FALLBACK_CONTACT`].
pub const TEMPLATE_FALLBACK_COMPANY: &str = "us";

/// `value` in double quotes, quotes, backslashes and control characters
/// escaped (`"a\"b"`), for texts that quote what an admin typed. It reads
/// like `{:?}` on a string, but through `Display` and without core's tables
/// of printable characters: the browser bundle is built with Debug
/// formatting compiled out (`-Zfmt-debug=none`, scripts/wasm-toolchain.sh),
/// and these texts must read the same there.
pub struct Quoted<'a>(pub &'a str);

impl std::fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod quoted_tests {
    use super::Quoted;

    #[test]
    fn quotes_like_debug_does() {
        for s in [
            "YES",
            "",
            "a \"b\"",
            "tab\there",
            "new\nline",
            "café ✓",
            "back\\slash",
            "bell\u{7}",
        ] {
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"));
        }
    }
}
