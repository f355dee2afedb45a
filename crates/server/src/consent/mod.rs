//! The consent layer: the one place that runs the engine.
//!
//! Every consent decision goes the same way, inside the writer's
//! transaction: load the facts ([`facts`]) → `optline_engine::step` → store
//! what the step says, as it says it ([`effects`]: thread, holder, outbound
//! messages with their template flag, audit records) → return the
//! [`Effects`] the outbox carries out after the commit (live events,
//! provider sends, simulator delivery). Nothing here decides consent itself
//! and nothing here speaks HTTP.
//!
//! One entry per origin of change: [`agent`] (an agent's send or request),
//! [`inbound`] (a contact's message, a carrier's opt-out, a provider's
//! report that the contact opted out), [`admin`] (channel switches,
//! reassignment), [`manual`] (opt-outs and opt-ins recorded by hand).

pub mod admin;
pub mod agent;
mod effects;
mod error;
mod facts;
pub mod flows;
pub mod inbound;
pub mod manual;
pub mod template;

pub use effects::{Effects, ProviderSend, SimulatedDelivery};
pub use error::{ConsentError, ConsentResult};
pub use flows::FlowCache;

use crate::storage::Conn;

use crate::storage::{self, StorageResult, UserRow};

/// Users who hear about a conversation: its number's user and the org's admins.
pub fn recipients(c: &Conn, org: i64, number_user: Option<i64>) -> StorageResult<Vec<i64>> {
    let mut v = storage::admin_ids(c, org)?;
    if let Some(u) = number_user {
        if !v.contains(&u) {
            v.push(u);
        }
    }
    Ok(v)
}

/// Loads a conversation visible to `user` (admins: their organization;
/// agents: their own number's), else not found — also across tenants.
pub fn visible_conversation(c: &Conn, user: &UserRow, id: i64) -> ConsentResult<storage::ConvRow> {
    let row = storage::conversation_row(c, id)?.ok_or(ConsentError::NotFound("conversation"))?;
    let ok = match user.role {
        optline_api::Role::Admin => row.org_id == user.org_id,
        optline_api::Role::Agent => {
            row.org_id == user.org_id && row.number_user_id == Some(user.id)
        }
    };
    if ok {
        Ok(row)
    } else {
        Err(ConsentError::NotFound("conversation"))
    }
}
