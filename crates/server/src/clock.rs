//! The server's clock. With `--test-clock` tests can move it forward.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

#[derive(Default)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        optline_engine::time::add_secs(Utc::now(), self.offset_seconds.load(Ordering::Relaxed))
    }
    pub fn advance(&self, seconds: i64) -> i64 {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed) + seconds
    }
    pub fn offset(&self) -> i64 {
        self.offset_seconds.load(Ordering::Relaxed)
    }
}

/// RFC 3339 with milliseconds and `Z`: sorts lexicographically.
pub fn fmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
