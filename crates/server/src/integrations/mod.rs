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
