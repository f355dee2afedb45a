//! How long a flow text is, in the unit its channel is limited in: SMS
//! segments counted the engine's way (`flow::message_sms_count`, placeholders
//! filled with their budget) or WhatsApp characters. The words are the
//! engine's; the limit check itself is `validate`'s, shown as a problem.

use optline_engine::flow::{message_sms_count, SMS_PLACEHOLDER_BUDGET, WHATSAPP_MAX_CHARS};
use optline_engine::{texts, Channel};

/// The count line under a message box.
pub fn length_hint(text: &str, channel: Channel, max_segments: u32) -> String {
    match channel {
        Channel::Sms => {
            let c = message_sms_count(text);
            format!(
                "{} with names filled in (at most {max_segments})",
                texts::sms_segments(&c)
            )
        }
        Channel::WhatsApp => format!("{} / {WHATSAPP_MAX_CHARS} characters", text.chars().count()),
    }
}

/// The sentence under "Placeholders: …" saying how texts are limited.
pub fn limit_sentence(channel: Channel, max_segments: u32) -> String {
    match channel {
        Channel::Sms => {
            let budget = |n: &str| {
                SMS_PLACEHOLDER_BUDGET
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map_or(0, |(_, b)| *b)
            };
            format!(
                "On SMS each message may take up to {max_segments} segment{} (160 characters, or 70 once an emoji or other non-GSM character appears), counting {{company}} as {} characters, {{agent}} as {} and {{contact}} as {}.",
                if max_segments == 1 { "" } else { "s" },
                budget("company"),
                budget("agent"),
                budget("contact"),
            )
        }
        Channel::WhatsApp => {
            format!("Each message may have up to {WHATSAPP_MAX_CHARS} characters on WhatsApp.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_counts_segments_with_names_filled_in() {
        assert_eq!(
            length_hint("Hi {contact}", Channel::Sms, 2),
            "1 SMS segment with names filled in (at most 2)"
        );
        assert_eq!(
            length_hint(&format!("{{company}} {}", "a".repeat(140)), Channel::Sms, 2),
            "2 SMS segments with names filled in (at most 2)"
        );
        assert_eq!(
            length_hint("😀", Channel::Sms, 1),
            "1 SMS segment (Unicode) with names filled in (at most 1)"
        );
    }

    #[test]
    fn whatsapp_counts_characters() {
        assert_eq!(
            length_hint("héllo", Channel::WhatsApp, 2),
            "5 / 1024 characters"
        );
    }
}
