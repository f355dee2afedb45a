//! Times for people, formatted by the browser (`Intl` through `Date`), so
//! the bundle carries no date-formatting code of its own.

use chrono::{DateTime, Utc};
use web_sys::js_sys::Date;
use web_sys::wasm_bindgen::JsValue;

/// An RFC 3339 instant in the reader's locale and time zone; the input as
/// written when the browser cannot read it.
pub fn local(rfc3339: &str) -> String {
    let d = Date::new(&JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return rfc3339.to_string();
    }
    d.to_locale_string("en-US", &JsValue::UNDEFINED).into()
}

/// Same as [`local`] for a chrono instant.
pub fn local_utc(t: DateTime<Utc>) -> String {
    let d = Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    d.to_locale_string("en-US", &JsValue::UNDEFINED).into()
}

/// The browser's current time.
pub fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(Date::now() as i64).unwrap_or_default()
}

/// The browser's UTC offset at `t`, in seconds east of UTC (what the engine
/// wants for quiet hours).
pub fn browser_offset_seconds(t: DateTime<Utc>) -> i32 {
    let d = Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
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
    let d = Date::new(&JsValue::from_str(&format!("{}T00:00", date.trim())));
    if d.get_time().is_nan() {
        return None;
    }
    // Calendar arithmetic in local time, so a daylight-saving day still ends
    // at the next local midnight.
    d.set_date(d.get_date() + days as u32);
    let z = DateTime::<Utc>::from_timestamp_millis(d.get_time() as i64)?;
    Some(z.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}
