//! `/admin/…`: what administrators manage — users, business numbers (channel
//! switches, providers), flows, WhatsApp contact ownership, contacts' time
//! zones and the consent audit. Every handler takes an [`AdminUser`](super::auth::AdminUser) and
//! works inside the admin's organization.

pub mod audit;
pub mod contacts;
pub mod flows;
pub mod integrations;
pub mod numbers;
pub mod ownership;
pub mod proof;
pub mod users;
