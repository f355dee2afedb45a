//! One module per screen.

pub mod admin;
pub mod contact_phone;
pub mod home;
pub mod inbox;
pub mod login;
pub mod not_found;
pub mod thread;
pub mod workspace;
