//! Login protection: limits on failed logins per account (e-mail) and per
//! client address, and who the client is.
//!
//! Failures are counted by `governor`'s keyed GCRA limiters: a burst of
//! failures is allowed, then one more per replenish period. A failure past
//! that budget locks the key; each further lockout in a row doubles (up to a
//! cap), so a guessing script slows down geometrically while a person who
//! mistyped twice never notices. A locked key is answered 429 with
//! `Retry-After` before any password work, and those answers do not count
//! as failures — so hammering one account locks only that account, never
//! the address the real users of other accounts share with the attacker.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How many failures a key may have, how fast that budget refills, and how
/// long the first lockout lasts.
struct Policy {
    burst: u32,
    refill: Duration,
    first_lockout: Duration,
}

/// An account: a handful of tries, then minutes.
const ACCOUNT: Policy = Policy {
    burst: 5,
    refill: Duration::from_secs(60),
    first_lockout: Duration::from_secs(60),
};
/// An address: room for an office of people who mistype, not for a script
/// trying many accounts.
const CLIENT: Policy = Policy {
    burst: 20,
    refill: Duration::from_secs(10),
    first_lockout: Duration::from_secs(60),
};
/// The longest lockout, however often a key is locked in a row.
const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// A key whose last lockout ended this long ago starts over.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

struct Lockout {
    until: Instant,
    /// Lockouts in a row (the next one lasts `first_lockout * 2^strikes`).
    strikes: u32,
}

/// Failure budgets and lockouts of one kind of key.
struct Keyed<K: Hash + Eq + Clone> {
    policy: Policy,
    failures: DefaultKeyedRateLimiter<K>,
    lockouts: Mutex<HashMap<K, Lockout>>,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(policy: Policy) -> Self {
        let burst = NonZeroU32::new(policy.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(policy.refill)
            .unwrap_or_else(|| Quota::per_minute(burst))
            .allow_burst(burst);
        Keyed {
            policy,
            failures: governor::RateLimiter::keyed(quota),
            lockouts: Mutex::new(HashMap::new()),
        }
    }

    /// How long `key` is still locked, if it is.
    fn locked_for(&self, key: &K, now: Instant) -> Option<Duration> {
        let m = self.lockouts.lock().unwrap_or_else(|e| e.into_inner());
        m.get(key)
            .and_then(|l| l.until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// Counts a failure; past the budget, locks the key (doubling).
    fn failed(&self, key: &K, now: Instant) {
        let Err(not_until) = self.failures.check_key(key) else {
            return;
        };
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let mut m = self.lockouts.lock().unwrap_or_else(|e| e.into_inner());
        let l = m.entry(key.clone()).or_insert(Lockout {
            until: now,
            strikes: 0,
        });
        let doubled = self
            .policy
            .first_lockout
            .saturating_mul(1u32 << l.strikes.min(16));
        l.until = now + doubled.max(wait).min(MAX_LOCKOUT);
        l.strikes = l.strikes.saturating_add(1);
    }

    fn forget(&self, key: &K) {
        let mut m = self.lockouts.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(key);
    }

    /// Drops state nobody needs any more (keys quiet for a while).
    fn prune(&self, now: Instant) {
        self.failures.retain_recent();
        let mut m = self.lockouts.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, l| l.until + FORGET_AFTER > now);
    }
}

/// The login limits of one server.
pub struct LoginGuard {
    accounts: Keyed<String>,
    clients: Keyed<IpAddr>,
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard {
            accounts: Keyed::new(ACCOUNT),
            clients: Keyed::new(CLIENT),
        }
    }
}

impl LoginGuard {
    /// 429 with `Retry-After` when the account or the address is locked.
    pub fn check(&self, email: &str, client: Option<IpAddr>) -> ApiResult<()> {
        let now = Instant::now();
        if let Some(d) = self.accounts.locked_for(&email.to_string(), now) {
            return Err(too_many(
                d,
                "Too many failed logins for this account. Wait and try again, or ask your admin to set a new password.",
            ));
        }
        if let Some(d) = client.and_then(|ip| self.clients.locked_for(&ip, now)) {
            return Err(too_many(
                d,
                "Too many failed logins from your network. Wait and try again.",
            ));
        }
        Ok(())
    }

    /// Counts a wrong e-mail or password against both keys.
    pub fn failed(&self, email: &str, client: Option<IpAddr>) {
        let now = Instant::now();
        self.accounts.failed(&email.to_string(), now);
        if let Some(ip) = client {
            self.clients.failed(&ip, now);
        }
    }

    /// A correct password clears the account's lockout history.
    pub fn succeeded(&self, email: &str) {
        self.accounts.forget(&email.to_string());
    }

    /// Drops state of keys quiet for an hour (called by the session pruner).
    pub fn prune(&self) {
        let now = Instant::now();
        self.accounts.prune(now);
        self.clients.prune(now);
    }
}

fn too_many(wait: Duration, message: &str) -> ApiError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("{message} (retry in {secs} s)"),
    )
    .retry_after(secs)
}

/// The client's address: the socket peer, or — only behind a proxy, i.e.
/// with `--public-url` — the last address in `X-Forwarded-For` (the one
/// the proxy itself appended; earlier entries are whatever the client sent).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        if state.config.providers.public_url.is_none() {
            return Ok(ClientAddr(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            // An unreadable last entry is not replaced by an earlier one
            // (those are the client's to choose): fall back to the peer.
            .and_then(|s| s.trim().parse::<IpAddr>().ok());
        Ok(ClientAddr(forwarded.or(peer)))
    }
}
