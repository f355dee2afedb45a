//! Phone numbers: parsed and normalised to E.164 with a real library.

use crate::field_error::FieldError;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Valid inputs seen recently → (E.164, guessed zone). Parsing with the full
/// metadata is the costliest step of an inbound request; numbers repeat.
type Cache = Mutex<HashMap<String, (String, Option<&'static str>)>>;

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

const CACHE_MAX: usize = 100_000;

/// Normalises `raw` to E.164, or says what is wrong with `field`.
pub fn normalize(raw: &str, field: &str) -> Result<String, FieldError> {
    if let Some((e164, _)) = cache().lock().ok().and_then(|m| m.get(raw).cloned()) {
        return Ok(e164);
    }
    let e164 = normalize_uncached(raw, field)?;
    let tz = guess_uncached(&e164);
    if let Ok(mut m) = cache().lock() {
        if m.len() >= CACHE_MAX {
            m.clear();
        }
        m.insert(raw.to_string(), (e164.clone(), tz));
        if raw != e164 {
            m.insert(e164.clone(), (e164.clone(), tz));
        }
    }
    Ok(e164)
}

fn normalize_uncached(raw: &str, field: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    let bad = || {
        FieldError::new(
            "invalid_phone",
            field,
            format!(
                "`{field}` is not a valid phone number: {:?}. Write it in international form, e.g. +14155550123.",
                truncate(trimmed, 40)
            ),
        )
    };
    if trimmed.is_empty() || trimmed.len() > 40 {
        return Err(bad());
    }
    let parsed = phonenumber::parse(None, trimmed).map_err(|_| bad())?;
    if !parsed.is_valid() {
        return Err(bad());
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// A best-effort IANA zone for a number (its country's main zone), or `None`.
pub fn guess_time_zone(e164: &str) -> Option<&'static str> {
    if let Some((_, tz)) = cache().lock().ok().and_then(|m| m.get(e164).cloned()) {
        return tz;
    }
    guess_uncached(e164)
}

fn guess_uncached(e164: &str) -> Option<&'static str> {
    let n = phonenumber::parse(None, e164).ok()?;
    let id = n.country().id()?;
    use phonenumber::country::Id;
    Some(match id {
        Id::US => "America/New_York",
        Id::CA => "America/Toronto",
        Id::GB => "Europe/London",
        Id::FR => "Europe/Paris",
        Id::DE => "Europe/Berlin",
        Id::ES => "Europe/Madrid",
        Id::IT => "Europe/Rome",
        Id::NL => "Europe/Amsterdam",
        Id::MX => "America/Mexico_City",
        Id::BR => "America/Sao_Paulo",
        Id::AR => "America/Argentina/Buenos_Aires",
        Id::IN => "Asia/Kolkata",
        Id::JP => "Asia/Tokyo",
        Id::AU => "Australia/Sydney",
        Id::ZA => "Africa/Johannesburg",
        _ => return None,
    })
}

/// The UTC offset (seconds) of IANA zone `tz` at `now`; 0 for unknown zones.
pub fn utc_offset(tz: &str, now: chrono::DateTime<chrono::Utc>) -> i32 {
    use chrono::Offset;
    match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => now.with_timezone(&zone).offset().fix().local_minus_utc(),
        Err(_) => 0,
    }
}

/// Validates an IANA zone name.
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

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises() {
        assert_eq!(
            normalize("+1 (415) 555-2671", "phone").unwrap(),
            "+14155552671"
        );
        assert_eq!(normalize("+44 20 7946 0958", "p").unwrap(), "+442079460958");
        let e = normalize("12", "phone").unwrap_err();
        assert_eq!(e.code, "invalid_phone");
        assert_eq!(e.field, "phone");
        assert!(normalize("<script>", "x").is_err());
        assert!(normalize("", "x").is_err());
    }

    #[test]
    fn zones() {
        assert_eq!(guess_time_zone("+14155552671"), Some("America/New_York"));
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(utc_offset("America/New_York", now), -5 * 3600);
        assert_eq!(utc_offset("Nowhere/Land", now), 0);
        assert!(check_time_zone("Europe/Paris", "tz").is_ok());
        assert!(check_time_zone("Mars/Base", "tz").is_err());
    }
}

#[cfg(test)]
mod demo_numbers {
    #[test]
    fn demo_numbers_are_valid() {
        for n in [
            "+14155550101",
            "+14155550102",
            "+14155550103",
            "+12125550141",
            "+12125550145",
            "+12025550199",
        ] {
            assert_eq!(super::normalize(n, "p").unwrap(), n);
        }
    }
}
