//! Integrations: telling the customer's own systems what happened, and
//! proving it.
//!
//! - [`events`]: the events (`consent.changed`, `message.received`,
//!   `message.status`, `ownership.changed`) written to the webhook outbox in
//!   the transaction of the change they report;
//! - [`worker`]: delivers them (Standard Webhooks signatures, retries with
//!   backoff for 3 days, per-contact order, resumes after a restart);
//! - [`signing`]: secrets and signatures; [`destination`]: which URLs a
//!   webhook may reach (no private networks);
//! - [`proof`]: a contact's whole consent history as one document.

pub mod destination;
pub mod events;
pub mod proof;
pub mod signing;
pub mod worker;

pub use worker::Config;

use crate::storage::Conn;

use crate::secrets;
use crate::storage::{self, StorageResult};

/// Seals endpoint secrets stored plain or with the previous key with the
/// current key (at start, like the provider settings); returns how many.
pub fn reseal_secrets(c: &Conn) -> StorageResult<usize> {
    let reseal = |stored: &str| -> Option<String> {
        if !secrets::needs_reseal(stored) {
            return Some(stored.to_string());
        }
        secrets::open(stored).map(|plain| secrets::seal(&plain))
    };
    let mut n = 0;
    for (id, secret, previous) in storage::webhook_secrets_all(c)? {
        let needs = secrets::needs_reseal(&secret)
            || previous.as_deref().is_some_and(secrets::needs_reseal);
        if !needs {
            continue;
        }
        let (Some(s), p) = (reseal(&secret), previous.as_deref().map(reseal)) else {
            tracing::warn!(
                endpoint = id,
                "webhook secret sealed with an unknown key; left as it is"
            );
            continue;
        };
        // A previous secret that cannot be opened is dropped (it only
        // served the rotation grace).
        storage::webhook_secrets_put(c, id, &s, p.flatten().as_deref())?;
        n += 1;
    }
    Ok(n)
}
