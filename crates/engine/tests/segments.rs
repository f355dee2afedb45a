//! Properties of SMS segment counting (rule 17).
#![cfg(not(target_arch = "wasm32"))]

use optline_engine::{sms_count, SmsEncoding};
use proptest::prelude::*;

/// Texts mixing plain GSM letters, extension characters, non-GSM letters
/// and emoji, so every boundary case is reached.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(vec!['a', 'Z', ' ', '.', 'é', 'Ñ', '@']),
            2 => prop::sample::select(vec!['{', '€', '[', '~', '|']),
            1 => prop::sample::select(vec!['ł', 'ç', 'ж', '中']),
            1 => prop::sample::select(vec!['😀', '👍', '🎉']),
        ],
        0..500,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    /// Typing one more character never makes a text cheaper.
    #[test]
    fn segments_are_monotonic_in_length(t in text(), c in prop::sample::select(vec!['a', '€', 'ł', '😀'])) {
        let before = sms_count(&t);
        let after = sms_count(&format!("{t}{c}"));
        prop_assert!(after.segments >= before.segments, "{before:?} -> {after:?}");
        // Units are only comparable within one encoding ("{" is 2 septets,
        // "{ł" 2 UTF-16 units).
        if after.encoding == before.encoding {
            prop_assert!(after.units > before.units);
        }
    }

    /// The segments hold every unit and each one is needed: per-segment
    /// capacity times segments bounds the units from above, and one fewer
    /// segment could not hold them.
    #[test]
    fn segments_fit_their_units(t in text()) {
        let c = sms_count(&t);
        let (single, concat) = match c.encoding {
            SmsEncoding::Gsm7 => (160, 153),
            SmsEncoding::Ucs2 => (70, 67),
        };
        match c.segments {
            0 => prop_assert_eq!(c.units, 0),
            1 => prop_assert!(c.units <= single),
            n => {
                prop_assert!(c.units > single);
                prop_assert!(c.units <= n * concat);
                prop_assert!(c.units > (n - 1) * (concat - 1));
            }
        }
        prop_assert_eq!(c.encoding == SmsEncoding::Gsm7, optline_engine::is_gsm7(&t));
    }
}
