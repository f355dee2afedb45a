//! SMS length as carriers count it (DESIGN.md rule 17): in segments.
//!
//! A text that uses only the GSM 03.38 alphabet travels as GSM-7: 160
//! septets in a single message, 153 per segment once it is split (the
//! concatenation header eats 7). Characters of the extension table
//! (`{ } [ ] ~ \ | ^ €` and form feed) cost two septets (an escape and the
//! character) and an escape pair is never split across two segments. One
//! character outside both tables switches the whole text to UCS-2: 70 UTF-16
//! code units single, 67 per segment concatenated; a character outside the
//! Basic Multilingual Plane (most emoji) is a surrogate pair, costs 2 and is
//! never split either.
//!
//! This module owns the counting only; [`crate::validate`] limits flow texts
//! with it and the app's composer shows it as the agent types (through the
//! wasm build of this same code).

use serde::{Deserialize, Serialize};

/// The GSM 03.38 basic character set (one septet each). The escape
/// code itself (0x1B) is not a character a text can contain.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table (escape + character: two septets each).
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// GSM-7: septets in a single message / per segment of a split one.
pub const GSM7_SINGLE: u32 = 160;
pub const GSM7_CONCAT: u32 = 153;
/// UCS-2: UTF-16 code units in a single message / per segment.
pub const UCS2_SINGLE: u32 = 70;
pub const UCS2_CONCAT: u32 = 67;

/// How a text is encoded on the air.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SmsEncoding {
    /// The GSM 03.38 7-bit alphabet (with its extension table).
    Gsm7,
    /// Anything else: UTF-16 ("Unicode" to people).
    Ucs2,
}

/// A text's SMS cost, for validation and the composer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmsCount {
    pub encoding: SmsEncoding,
    /// Segments the carrier sends (0 for an empty text).
    pub segments: u32,
    /// Units the text uses: septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: u32,
    /// Units still free in the last segment before another one is needed.
    pub units_left: u32,
}

/// The cost of one character in GSM-7 septets, `None` if GSM-7 cannot
/// carry it.
fn gsm7_cost(c: char) -> Option<u32> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether every character of `text` travels in GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| gsm7_cost(c).is_some())
}

/// Counts `text` as a carrier would split it.
pub fn sms_count(text: &str) -> SmsCount {
    if is_gsm7(text) {
        pack(
            text.chars().map(|c| gsm7_cost(c).unwrap_or(1)),
            SmsEncoding::Gsm7,
            GSM7_SINGLE,
            GSM7_CONCAT,
        )
    } else {
        pack(
            text.chars().map(|c| c.len_utf16() as u32),
            SmsEncoding::Ucs2,
            UCS2_SINGLE,
            UCS2_CONCAT,
        )
    }
}

/// Packs characters of the given costs into segments: one segment when the
/// total fits `single`, else segments of `concat` units where a character
/// (an escape pair, a surrogate pair) that does not fit whole starts the
/// next segment.
fn pack(
    costs: impl Iterator<Item = u32> + Clone,
    encoding: SmsEncoding,
    single: u32,
    concat: u32,
) -> SmsCount {
    let units: u32 = costs.clone().fold(0u32, |a, c| a.saturating_add(c));
    if units == 0 {
        return SmsCount {
            encoding,
            segments: 0,
            units,
            units_left: single,
        };
    }
    if units <= single {
        return SmsCount {
            encoding,
            segments: 1,
            units,
            units_left: single - units,
        };
    }
    let (mut segments, mut used) = (1u32, 0u32);
    for c in costs {
        if used + c > concat {
            segments = segments.saturating_add(1);
            used = 0;
        }
        used += c;
    }
    SmsCount {
        encoding,
        segments,
        units,
        units_left: concat - used,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> (SmsEncoding, u32, u32, u32) {
        let c = sms_count(text);
        (c.encoding, c.segments, c.units, c.units_left)
    }

    #[test]
    fn empty_text_is_no_segment() {
        assert_eq!(n(""), (SmsEncoding::Gsm7, 0, 0, 160));
    }

    #[test]
    fn gsm7_boundaries_160_161_306_307() {
        use SmsEncoding::Gsm7;
        assert_eq!(n(&"a".repeat(160)), (Gsm7, 1, 160, 0));
        assert_eq!(n(&"a".repeat(161)), (Gsm7, 2, 161, 145));
        assert_eq!(n(&"a".repeat(306)), (Gsm7, 2, 306, 0));
        assert_eq!(n(&"a".repeat(307)), (Gsm7, 3, 307, 152));
        assert_eq!(n(&"a".repeat(459)), (Gsm7, 3, 459, 0));
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        for c in ['{', '}', '[', ']', '~', '\\', '|', '^', '€'] {
            let c = sms_count(&c.to_string());
            assert_eq!((c.encoding, c.units), (SmsEncoding::Gsm7, 2), "{c:?}");
        }
        // 159 + one escape pair = 161 septets: two segments.
        assert_eq!(n(&format!("{}€", "a".repeat(158))).1, 1);
        assert_eq!(n(&format!("{}€", "a".repeat(159))).1, 2);
    }

    #[test]
    fn an_escape_pair_never_splits() {
        // 152 septets then "{": 154 would straddle the 153 boundary, so the
        // pair starts segment two (152 + 1 wasted), leaving 151 there.
        let text = format!("{}{{{}", "a".repeat(152), "a".repeat(10));
        let c = sms_count(&text);
        assert_eq!(c.units, 164);
        assert_eq!(c.segments, 2);
        assert_eq!(c.units_left, 153 - 12);
        // 305 plain septets + one pair = 307 units, but the pair cannot
        // use the last free septet of segment two: three segments.
        let text = format!("{}€", "a".repeat(305));
        assert_eq!(n(&text).1, 3);
    }

    #[test]
    fn accented_gsm_letters_stay_gsm7() {
        assert_eq!(n("¿Qué? Ñoño, Ça va, Øystein! 5 £").0, SmsEncoding::Gsm7);
        // Not every accent is in the table: "í" and "ú" need UCS-2.
        assert_eq!(n("Sí").0, SmsEncoding::Ucs2);
    }

    #[test]
    fn ucs2_boundaries_70_71_134_135() {
        use SmsEncoding::Ucs2;
        let t = |k: usize| format!("ł{}", "a".repeat(k - 1));
        assert_eq!(n(&t(70)), (Ucs2, 1, 70, 0));
        assert_eq!(n(&t(71)), (Ucs2, 2, 71, 63));
        assert_eq!(n(&t(134)), (Ucs2, 2, 134, 0));
        assert_eq!(n(&t(135)), (Ucs2, 3, 135, 66));
    }

    #[test]
    fn an_emoji_is_two_units_and_never_splits() {
        assert_eq!(n("😀"), (SmsEncoding::Ucs2, 1, 2, 68));
        assert_eq!(n(&format!("{}😀", "a".repeat(68))).1, 1);
        assert_eq!(n(&format!("{}😀", "a".repeat(69))).1, 2);
        // 66 units then an emoji: the pair moves whole to segment two.
        let c = sms_count(&format!("{}😀{}", "a".repeat(66), "a".repeat(5)));
        assert_eq!((c.segments, c.units, c.units_left), (2, 73, 67 - 7));
    }
}
