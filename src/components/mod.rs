//! Reusable pieces of the interface.

pub mod composer;
pub mod consent_badge;
pub mod consent_banner;
pub mod contact_time_zone;
pub mod dialogs_ahead;
pub mod manual_record;
pub mod new_conversation;
pub mod select;
pub mod server_status;
pub mod sms_counter;
pub mod user_menu;
