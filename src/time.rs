//! Dates and times through the browser's `Intl` (no formatting crate: the
//! bundle budget is tight, and the browser knows the user's locale and every
//! time zone).

use chrono::{DateTime, Utc};
use wasm_bindgen::JsValue;

pub fn parse(rfc3339: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn date(t: DateTime<Utc>) -> js_sys::Date {
    js_sys::Date::new(&JsValue::from_f64(t.timestamp_millis() as f64))
}

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o.into()
}

thread_local! {
    // One formatter per format, made once: `toLocale…String` builds a new
    // `Intl.DateTimeFormat` on every call, which made each inbox row cost
    // about a third of a millisecond.
    static CLOCK: js_sys::Function = formatter(&[("hour", "2-digit"), ("minute", "2-digit")]);
    static DAY: js_sys::Function = formatter(&[
        ("weekday", "long"),
        ("year", "numeric"),
        ("month", "long"),
        ("day", "numeric"),
    ]);
    static SHORT_DATE: js_sys::Function = formatter(&[("month", "short"), ("day", "numeric")]);
}

/// The `format` function of a formatter in the user's locale and zone.
fn formatter(pairs: &[(&str, &str)]) -> js_sys::Function {
    let options: js_sys::Object = options(pairs).into();
    js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options).format()
}

fn format(with: &'static std::thread::LocalKey<js_sys::Function>, t: DateTime<Utc>) -> String {
    with.with(|f| f.call1(&JsValue::UNDEFINED, &date(t)))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// "14:05" (in the user's locale and zone).
pub fn clock(t: DateTime<Utc>) -> String {
    format(&CLOCK, t)
}

/// "Tuesday, 3 March 2026" — the day separator in a thread.
pub fn day(t: DateTime<Utc>) -> String {
    format(&DAY, t)
}

/// The calendar day of `t` in the user's zone.
fn local_day(t: DateTime<Utc>) -> (u32, u32, u32) {
    let d = date(t);
    (d.get_full_year(), d.get_month(), d.get_date())
}

/// Inbox time: the clock today, else a short date.
pub fn short(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if local_day(t) == local_day(now) {
        clock(t)
    } else {
        format(&SHORT_DATE, t)
    }
}

/// The time now in another zone, e.g. the contact's ("09:12").
pub fn clock_in_zone(t: DateTime<Utc>, zone: &str) -> String {
    date(t)
        .to_locale_time_string_with_options(
            "default",
            &options(&[
                ("hour", "2-digit"),
                ("minute", "2-digit"),
                ("timeZone", zone),
            ]),
        )
        .into()
}

/// The browser's wall clock.
pub fn browser_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// An RFC 3339 instant in the reader's locale and time zone; the input as
/// written when the browser cannot read it.
pub fn local(rfc3339: &str) -> String {
    let d = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return rfc3339.to_string();
    }
    d.to_locale_string("en-US", &JsValue::UNDEFINED).into()
}

/// Same as [`local`] for a chrono instant.
pub fn local_utc(t: DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    d.to_locale_string("en-US", &JsValue::UNDEFINED).into()
}

/// The browser's UTC offset at `t`, in seconds east of UTC (what the engine
/// wants for quiet hours).
pub fn browser_offset_seconds(t: DateTime<Utc>) -> i32 {
    let d = js_sys::Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    // getTimezoneOffset is minutes *behind* UTC.
    -(d.get_timezone_offset() as i32) * 60
}

/// A local calendar date from `<input type="date">` ("2026-01-31") as the
/// UTC instant of that local midnight, plus `days` (0 or more); `None` when empty.
pub fn local_midnight_utc(date: &str, days: i64) -> Option<String> {
    if date.trim().is_empty() {
        return None;
    }
    // "YYYY-MM-DDT00:00" without a zone is read as local time by Date.
    let d = js_sys::Date::new(&JsValue::from_str(&format!("{}T00:00", date.trim())));
    if d.get_time().is_nan() {
        return None;
    }
    // Calendar arithmetic in local time, so a daylight-saving day still ends
    // at the next local midnight.
    d.set_date(d.get_date() + days as u32);
    let z = DateTime::<Utc>::from_timestamp_millis(d.get_time() as i64)?;
    Some(z.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}
