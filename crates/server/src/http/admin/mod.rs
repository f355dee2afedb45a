//! `/admin/…`: what administrators manage — users, business numbers (channel
//! switches, providers), flows, WhatsApp contact ownership, contacts' time
//! zones, the consent audit and its insights. Every handler takes an [`AdminUser`](super::auth::AdminUser) and
//! works inside the admin's organization.

pub mod audit;
pub mod contacts;
pub mod flows;
pub mod insights;
pub mod integrations;
pub mod numbers;
pub mod ownership;
pub mod proof;
pub mod users;
