//! Reusable pieces of the interface.

pub mod server_status;
