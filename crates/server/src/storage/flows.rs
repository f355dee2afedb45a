//! Saved opt-in flows per (line of business, channel), stored as the
//! engine's JSON.

use super::sql::{params, Conn, OptionalExtension};
use optline_engine::{Channel, Flow};

use super::{StorageError, StorageResult};

/// A saved flow. `flow` is `None` when the stored JSON no longer reads as a
/// flow (then the default is in force; it is never guessed).
pub struct SavedFlow {
    pub flow: Option<Flow>,
    pub updated_at: String,
}

pub fn flow_get(c: &Conn, lob: i64, channel: Channel) -> StorageResult<Option<SavedFlow>> {
    c.prepare_cached("SELECT flow, updated_at FROM flows WHERE lob_id = ?1 AND channel = ?2")?
        .query_row(params![lob, channel.as_str()], |r| {
            let json: String = r.get(0)?;
            Ok(SavedFlow {
                flow: serde_json::from_str(&json).ok(),
                updated_at: r.get(1)?,
            })
        })
        .optional()
}

pub fn flow_put(
    c: &Conn,
    lob: i64,
    channel: Channel,
    flow: &Flow,
    now: &str,
    by: i64,
) -> StorageResult<()> {
    let json = serde_json::to_string(flow).map_err(|e| StorageError::Unreadable(e.to_string()))?;
    c.execute(
        "INSERT INTO flows(lob_id, channel, flow, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(lob_id, channel) DO UPDATE SET flow = ?3, updated_at = ?4, updated_by = ?5",
        params![lob, channel.as_str(), json, now, by],
    )?;
    Ok(())
}
