//! Phone numbers: parsed and normalised to E.164 with a real library.

use crate::field_error::FieldError;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Valid inputs seen recently → E.164. Parsing with the full metadata is the
/// costliest step of an inbound request; numbers repeat.
type Cache = Mutex<HashMap<String, String>>;

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

const CACHE_MAX: usize = 100_000;

/// Normalises `raw` to E.164, or says what is wrong with `field`.
pub fn normalize(raw: &str, field: &str) -> Result<String, FieldError> {
    if let Some(e164) = cache().lock().ok().and_then(|m| m.get(raw).cloned()) {
        return Ok(e164);
    }
    let e164 = normalize_uncached(raw, field)?;
    if let Ok(mut m) = cache().lock() {
        if m.len() >= CACHE_MAX {
            m.clear();
        }
        m.insert(raw.to_string(), e164.clone());
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
