//! Time arithmetic that never panics, and quiet hours.
//!
//! The engine never reads a clock and embeds no time-zone database: the
//! caller passes `now` and the contact's UTC offset *at `now`*. See the crate
//! README ("Quiet hours and daylight saving") for the consequence.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Deserializer};

/// `t + secs`, saturating at chrono's limits instead of panicking.
pub fn add_secs(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    match TimeDelta::try_seconds(secs).and_then(|d| t.checked_add_signed(d)) {
        Some(v) => v,
        None if secs >= 0 => DateTime::<Utc>::MAX_UTC,
        None => DateTime::<Utc>::MIN_UTC,
    }
}

/// Seconds from `a` to `b` (negative when `b` is earlier).
pub fn secs_between(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    b.timestamp().saturating_sub(a.timestamp())
}

/// Reads an optional time in RFC 3339, the form chrono's `Serialize` writes,
/// with chrono's dedicated RFC 3339 parser. chrono's own `Deserialize` goes
/// through its general `FromStr`, which links chrono's whole format parser
/// (RFC 2822, strftime items: about 9 KB) into the wasm app for no input
/// the server sends. For `#[serde(default, deserialize_with = …)]` fields.
pub(crate) fn optional_rfc3339<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            serde::de::Error::custom(format!("{e}: expected an RFC 3339 time, got \"{text}\""))
        })
}

/// Offsets beyond ±26 h do not exist; clamp so arithmetic stays sane.
pub fn clamp_offset(offset_seconds: i32) -> i64 {
    i64::from(offset_seconds.clamp(-26 * 3600, 26 * 3600))
}

/// If `now` falls inside quiet hours `(start, end)` (minutes after local
/// midnight, end exclusive, start > end spans midnight) for a contact whose
/// UTC offset at `now` is `offset_seconds`, returns the instant quiet hours
/// end (the next local `end`).
pub fn quiet_until(
    quiet: (u32, u32),
    now: DateTime<Utc>,
    offset_seconds: i32,
) -> Option<DateTime<Utc>> {
    let (start, end) = quiet;
    let local = now.timestamp().saturating_add(clamp_offset(offset_seconds));
    let sec_of_day = local.rem_euclid(86_400);
    let minute = (sec_of_day / 60) as u32;
    let inside = if start < end {
        minute >= start && minute < end
    } else if start > end {
        minute >= start || minute < end
    } else {
        false
    };
    if !inside {
        return None;
    }
    let delta = (i64::from(end) * 60 - sec_of_day).rem_euclid(86_400);
    Some(add_secs(now, delta))
}

/// When quiet hours end for a contact who may be at any of `offsets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuietEnd {
    /// It is not quiet in any of the zones now.
    NotQuiet,
    /// The first instant at which it is quiet in none of them.
    At(DateTime<Utc>),
    /// The zones' quiet hours together cover the whole day.
    Never,
}

/// Quiet hours over several possible offsets (the most restrictive reading):
/// keeps moving to the end of whichever zone is still quiet until none is.
pub fn quiet_until_in_all(quiet: (u32, u32), now: DateTime<Utc>, offsets: &[i32]) -> QuietEnd {
    let mut t = now;
    // Each zone can push `t` forward at most once per lap before the union
    // of windows is exhausted; more laps than zones means they cover the day.
    for _ in 0..=offsets.len() {
        let before = t;
        for &o in offsets {
            if let Some(until) = quiet_until(quiet, t, o) {
                t = until;
            }
        }
        if t == before {
            return if t == now {
                QuietEnd::NotQuiet
            } else {
                QuietEnd::At(t)
            };
        }
        if secs_between(now, t) >= 86_400 {
            return QuietEnd::Never;
        }
    }
    QuietEnd::Never
}

/// "08:00" from minutes after midnight.
pub fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", (minutes / 60) % 24, minutes % 60)
}
