//! The retry policy for sends: a message is sent at most once. Only a
//! request that surely did not reach the provider (the connection could not
//! be made) or that the provider refused for its rate limit (429, after its
//! `Retry-After` when given) is tried again, with exponential backoff and
//! jitter, up to a cap on attempts and on the delay. A timeout, a broken
//! connection or a 5xx after the request went out may have been taken: the
//! message is `unknown` and the provider's status report settles it.
//! Anything else is final at once.

use std::time::Duration;

/// Endpoints and send policy (from flags / environment).
#[derive(Debug, Clone)]
pub struct ProvidersConfig {
    /// Public origin of this server as providers reach it (Twilio signs it).
    pub public_url: Option<String>,
    pub whatsapp_base_url: String,
    pub whatsapp_api_version: String,
    pub twilio_base_url: String,
    /// Attempts per message, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles each retry up to `retry_cap_ms`.
    pub retry_base_ms: u64,
    pub retry_cap_ms: u64,
    /// Per-request timeout (a timeout leaves the message `unknown`).
    pub timeout_ms: u64,
}

impl Default for ProvidersConfig {
    fn default() -> Self {
        ProvidersConfig {
            public_url: None,
            whatsapp_base_url: "https://graph.facebook.com".into(),
            whatsapp_api_version: "v21.0".into(),
            twilio_base_url: "https://api.twilio.com".into(),
            max_attempts: 5,
            retry_base_ms: 500,
            retry_cap_ms: 30_000,
            timeout_ms: 10_000,
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Accepted; the provider's message id.
    Accepted(String),
    /// Surely not taken and worth another try (connection refused, DNS,
    /// 429); `after` is the provider's `Retry-After`.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// The request went out but its answer is lost or says nothing (timeout,
    /// broken connection, 5xx): it may have been taken, so it is never
    /// resent.
    Unknown(String),
    /// Final (4xx other than 429, a malformed answer).
    Permanent(String),
    /// Final: the provider refuses because the contact opted out with the
    /// carrier (e.g. Twilio error 21610); the consent layer records it.
    RecipientOptedOut(String),
}

/// Delay before retry number `retry` (1 = the first retry): base·2^(retry-1),
/// capped, plus up to 25 % jitter so a fleet of retries does not synchronise.
pub fn backoff(cfg: &ProvidersConfig, retry: u32) -> Duration {
    let exp = cfg
        .retry_base_ms
        .saturating_mul(1u64 << (retry.saturating_sub(1)).min(20));
    let d = exp.min(cfg.retry_cap_ms);
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    let jitter = d / 4 * u64::from(u16::from_le_bytes(b)) / u64::from(u16::MAX);
    Duration::from_millis(d + jitter)
}

/// The wait before a retry: the provider's `Retry-After` when it gave one
/// (capped, so a bogus value cannot park a message for hours), else the
/// backoff.
pub fn delay(cfg: &ProvidersConfig, retry: u32, after: Option<Duration>) -> Duration {
    match after {
        Some(a) => a.min(Duration::from_millis(cfg.retry_cap_ms)),
        None => backoff(cfg, retry),
    }
}

/// What a non-2xx HTTP status says about retrying: 429 is a refusal (not
/// taken, try later), a 5xx may have been taken, other statuses are final.
pub fn status_outcome(status: u16, reason: String, after: Option<Duration>) -> Outcome {
    if status == 429 {
        Outcome::Retry { reason, after }
    } else if status >= 500 {
        Outcome::Unknown(reason)
    } else {
        Outcome::Permanent(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let cfg = ProvidersConfig {
            retry_base_ms: 100,
            retry_cap_ms: 1000,
            ..Default::default()
        };
        let ms = |r| backoff(&cfg, r).as_millis() as u64;
        assert!((100..=125).contains(&ms(1)));
        assert!((200..=250).contains(&ms(2)));
        assert!((400..=500).contains(&ms(3)));
        assert!((1000..=1250).contains(&ms(10)));
        assert!((1000..=1250).contains(&ms(60)));
    }

    #[test]
    fn only_429_is_retried_and_5xx_is_unknown() {
        let r = || "r".to_string();
        assert!(matches!(
            status_outcome(429, r(), Some(Duration::from_secs(2))),
            Outcome::Retry { after: Some(a), .. } if a == Duration::from_secs(2)
        ));
        assert!(matches!(
            status_outcome(500, r(), None),
            Outcome::Unknown(_)
        ));
        assert!(matches!(
            status_outcome(503, r(), None),
            Outcome::Unknown(_)
        ));
        assert!(matches!(
            status_outcome(400, r(), None),
            Outcome::Permanent(_)
        ));
        let cfg = ProvidersConfig {
            retry_cap_ms: 1000,
            ..Default::default()
        };
        assert_eq!(
            delay(&cfg, 1, Some(Duration::from_secs(3600))),
            Duration::from_millis(1000)
        );
    }
}
