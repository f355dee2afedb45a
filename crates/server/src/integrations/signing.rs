//! Standard Webhooks signing (<https://www.standardwebhooks.com>): secrets
//! are `whsec_` + base64 of random bytes; a delivery is signed with
//! HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` and the
//! signature sent as `v1,<base64>`. During a rotation both the new and the
//! old secret sign, space-separated, so a receiver holding either accepts.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2_010::Sha256;

const PREFIX: &str = "whsec_";

/// A fresh signing secret (24 random bytes, as the reference libraries make).
pub fn new_secret() -> Option<String> {
    let mut key = [0u8; 24];
    getrandom::fill(&mut key).ok()?;
    Some(format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    ))
}

/// The key bytes of a `whsec_` secret.
fn key_bytes(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.strip_prefix(PREFIX).unwrap_or(secret);
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// `v1,<base64 HMAC-SHA256 of id.timestamp.body>` with one secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = key_bytes(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header value: one signature per valid secret,
/// space-separated (the current secret first).
pub fn signature_header(secrets: &[String], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| sign(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new event id for the `webhook-id` header.
pub fn new_event_id() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    format!("msg_{}", hex::encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_the_specifications_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let got = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_whsec_base64_and_differ() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(a.starts_with("whsec_"));
        assert_eq!(key_bytes(&a).unwrap().len(), 24);
        assert_ne!(a, b);
    }

    #[test]
    fn rotation_sends_both_signatures() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        let h = signature_header(&[a.clone(), b.clone()], "msg_1", 5, "{}");
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(
            parts,
            [
                sign(&a, "msg_1", 5, "{}").unwrap(),
                sign(&b, "msg_1", 5, "{}").unwrap()
            ]
        );
    }
}
