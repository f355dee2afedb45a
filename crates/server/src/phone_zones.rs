//! The time zones a contact may be in, and their UTC offsets for quiet hours.
//!
//! A contact's zones are set once, when the contact is first stored, from the
//! number's prefix in libphonenumber's time-zone data (`data/`). A prefix can
//! span several zones (most of North America shares `+1`); quiet hours then
//! hold while it is night in *any* of them, so the stored value is the whole
//! list. Later changes are an admin action, audited (see
//! `consent::contacts`), never a side effect of starting a conversation.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::field_error::FieldError;

/// Longest-prefix table: E.164 digits prefix → zones chrono-tz knows.
struct PrefixTable {
    zones: HashMap<&'static str, Vec<&'static str>>,
    longest: usize,
}

fn table() -> &'static PrefixTable {
    static T: OnceLock<PrefixTable> = OnceLock::new();
    T.get_or_init(|| parse(include_str!("../data/phone_time_zones.txt")))
}

fn parse(data: &'static str) -> PrefixTable {
    let mut zones = HashMap::new();
    let mut longest = 0;
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let Some((prefix, list)) = line.split_once('|') else {
            continue;
        };
        let known: Vec<&'static str> = list
            .split('&')
            .filter(|z| z.parse::<chrono_tz::Tz>().is_ok())
            .collect();
        if !known.is_empty() {
            longest = longest.max(prefix.len());
            zones.insert(prefix, known);
        }
    }
    PrefixTable { zones, longest }
}

/// The zones the number `e164` may be in (longest matching prefix), empty
/// when the data knows nothing for it.
pub fn zones_of_number(e164: &str) -> Vec<&'static str> {
    let digits = e164.trim_start_matches('+');
    let t = table();
    (1..=digits.len().min(t.longest))
        .rev()
        .find_map(|n| t.zones.get(&digits[..n]))
        .cloned()
        .unwrap_or_default()
}

/// The stored zones of a contact seen for the first time: those of the
/// number's prefix, else the flow's default zone.
pub fn zones_for_new_contact(e164: &str, flow: &optline_engine::Flow) -> String {
    let zones = zones_of_number(e164);
    if zones.is_empty() {
        flow.default_time_zone.clone()
    } else {
        stored(&zones)
    }
}

/// The stored form of a contact's zones: IANA names separated by spaces.
pub fn stored(zones: &[&str]) -> String {
    zones.join(" ")
}

/// The zones in a stored value (see [`stored`]).
pub fn zones(stored: &str) -> impl Iterator<Item = &str> {
    stored.split_whitespace()
}

/// Each stored zone's UTC offset (seconds) at `now`, in order; unknown zone
/// names count as UTC.
pub fn utc_offsets(stored: &str, now: chrono::DateTime<chrono::Utc>) -> Vec<i32> {
    let offsets: Vec<i32> = zones(stored).map(|z| utc_offset(z, now)).collect();
    if offsets.is_empty() {
        vec![0]
    } else {
        offsets
    }
}

fn utc_offset(tz: &str, now: chrono::DateTime<chrono::Utc>) -> i32 {
    use chrono::Offset;
    match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => now.with_timezone(&zone).offset().fix().local_minus_utc(),
        Err(_) => 0,
    }
}

/// Validates an IANA zone name, returning its canonical spelling.
pub fn check_time_zone(tz: &str, field: &str) -> Result<String, FieldError> {
    match tz.trim().parse::<chrono_tz::Tz>() {
        Ok(z) => Ok(z.name().to_string()),
        Err(_) => Err(FieldError::new(
            "invalid_time_zone",
            field,
            format!("`{field}` must be an IANA time zone such as America/New_York."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_names_the_area_codes_zone() {
        assert_eq!(zones_of_number("+14155552671"), ["America/Los_Angeles"]);
        assert_eq!(zones_of_number("+12025550120"), ["America/New_York"]);
        assert_eq!(zones_of_number("+33612345678"), ["Europe/Paris"]);
    }

    #[test]
    fn a_prefix_spanning_zones_keeps_them_all() {
        let idaho = zones_of_number("+12083001234");
        assert!(idaho.contains(&"America/Boise"), "{idaho:?}");
        assert!(idaho.contains(&"America/Los_Angeles"), "{idaho:?}");
        assert_eq!(
            zones_of_number("+61861234567"),
            ["Australia/Adelaide", "Australia/Perth"]
        );
    }

    #[test]
    fn every_zone_in_the_data_is_known_to_the_tz_library() {
        let t = table();
        assert!(t.zones.len() > 3000, "{}", t.zones.len());
        assert!(t.longest >= 7);
    }

    #[test]
    fn stored_form_round_trips_and_offsets_follow_the_zones() {
        let s = stored(&["America/Boise", "America/Los_Angeles"]);
        assert_eq!(
            zones(&s).collect::<Vec<_>>(),
            ["America/Boise", "America/Los_Angeles"]
        );
        let jan = chrono::DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(utc_offsets(&s, jan), [-7 * 3600, -8 * 3600]);
        assert_eq!(utc_offsets("", jan), [0]);
    }

    #[test]
    fn checks_zone_names() {
        assert!(check_time_zone("Europe/Paris", "tz").is_ok());
        assert_eq!(check_time_zone("Mars/Base", "tz").unwrap_err().field, "tz");
    }
}
