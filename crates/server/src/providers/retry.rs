//! The retry policy for sends: transient failures (429, 5xx, timeouts,
//! connection errors) are retried with exponential backoff and jitter, up to
//! a cap on attempts and on the delay; anything else is final at once.

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
    /// Per-request timeout (a timeout is transient).
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
    /// Worth another try (429, 5xx, timeout, connection error).
    Transient(String),
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

/// Classifies an HTTP status.
pub fn transient_status(status: u16) -> bool {
    status == 429 || status >= 500
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
        assert!(transient_status(429) && transient_status(503) && !transient_status(400));
    }
}
