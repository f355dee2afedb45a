//! Provider secrets at rest. With `OPTLINE_SECRET_KEY` set (32 random bytes,
//! base64), a number's provider settings are stored sealed with
//! ChaCha20-Poly1305 (`sealed:v1:<base64 nonce ‖ ciphertext>`), so a copy of
//! the database file alone does not reveal access tokens or app secrets.
//! `OPTLINE_SECRET_KEY_PREVIOUS` still opens values sealed with the old key
//! during a rotation; at start every stored value is re-sealed with the
//! current key. Without a key values are stored as plain JSON (as before).

use std::sync::OnceLock;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

const PREFIX: &str = "sealed:v1:";

struct Keys {
    current: Option<ChaCha20Poly1305>,
    previous: Option<ChaCha20Poly1305>,
}

static KEYS: OnceLock<Keys> = OnceLock::new();

fn cipher(b64: &str, var: &str) -> Result<ChaCha20Poly1305, String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| format!("{var} is not base64 (make one with `openssl rand -base64 32`)"))?;
    if raw.len() != 32 {
        return Err(format!(
            "{var} must be 32 bytes, base64-encoded (it has {}); make one with `openssl rand -base64 32`",
            raw.len()
        ));
    }
    Ok(ChaCha20Poly1305::new(Key::from_slice(&raw)))
}

/// Reads the keys from the environment once, at start. An unusable key is
/// an error (the server must not silently store secrets in the clear).
pub fn init_from_env() -> Result<bool, String> {
    let get = |var: &str| -> Result<Option<ChaCha20Poly1305>, String> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => cipher(&v, var).map(Some),
            _ => Ok(None),
        }
    };
    let keys = Keys {
        current: get("OPTLINE_SECRET_KEY")?,
        previous: get("OPTLINE_SECRET_KEY_PREVIOUS")?,
    };
    let on = keys.current.is_some();
    let _ = KEYS.set(keys);
    Ok(on)
}

fn keys() -> &'static Keys {
    KEYS.get_or_init(|| Keys {
        current: None,
        previous: None,
    })
}

/// The stored form of `plain`: sealed with the current key, or `plain`.
pub fn seal(plain: &str) -> String {
    let Some(k) = &keys().current else {
        return plain.to_string();
    };
    let mut nonce = [0u8; 12];
    if getrandom::fill(&mut nonce).is_err() {
        // Never store in the clear by accident: an empty value fails to
        // open and the admin sees the settings as not configured.
        return String::new();
    }
    match k.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()) {
        Ok(ct) => {
            let mut blob = nonce.to_vec();
            blob.extend_from_slice(&ct);
            format!(
                "{PREFIX}{}",
                base64::engine::general_purpose::STANDARD.encode(blob)
            )
        }
        Err(_) => String::new(),
    }
}

/// The plain value of a stored one (`None` when it is sealed with a key
/// this server does not have, or damaged).
pub fn open(stored: &str) -> Option<String> {
    let Some(b64) = stored.strip_prefix(PREFIX) else {
        return Some(stored.to_string());
    };
    let blob = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    if blob.len() < 12 {
        return None;
    }
    let (nonce, ct) = blob.split_at(12);
    let k = keys();
    [&k.current, &k.previous]
        .into_iter()
        .flatten()
        .find_map(|c| c.decrypt(Nonce::from_slice(nonce), ct).ok())
        .and_then(|p| String::from_utf8(p).ok())
}

/// Whether `stored` should be sealed again (not sealed, or sealed with the
/// previous key) now that a current key is set.
pub fn needs_reseal(stored: &str) -> bool {
    let Some(current) = &keys().current else {
        return false;
    };
    let Some(b64) = stored.strip_prefix(PREFIX) else {
        return true;
    };
    let Ok(blob) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return false;
    };
    blob.len() >= 12
        && current
            .decrypt(Nonce::from_slice(&blob[..12]), &blob[12..])
            .is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_key() {
        let k = cipher(
            &base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
            "K",
        )
        .unwrap();
        let _ = KEYS.set(Keys {
            current: Some(k),
            previous: None,
        });
        let s = seal(r#"{"access_token":"EAAG-secret"}"#);
        assert!(s.starts_with(PREFIX));
        assert!(!s.contains("EAAG"));
        assert_eq!(
            open(&s).as_deref(),
            Some(r#"{"access_token":"EAAG-secret"}"#)
        );
        assert!(!needs_reseal(&s));
        assert!(needs_reseal("{\"plain\":1}"));
        // Tampering is detected.
        let mut t = s.clone();
        t.replace_range(t.len() - 4.., "AAAA");
        assert_eq!(open(&t), None);
        assert!(cipher("short", "K").is_err());
    }
}
