//! What an opt-in request sent as a WhatsApp template carries (rule 14):
//! the engine's [`engine::TemplateSend`] — the flow's template name and
//! language, its body parameters in the flow's order and the quick-reply
//! payloads — on the conversation's facts at send time.

use crate::storage::Conn;
use chrono::{DateTime, Utc};
use optline_engine as engine;

use super::facts::context;
use super::FlowCache;
use crate::storage::{ConvRow, StorageResult};

/// The template send for a request in `row`'s conversation.
pub fn template_send(
    c: &Conn,
    flows: &FlowCache,
    row: &ConvRow,
    now: DateTime<Utc>,
) -> StorageResult<engine::TemplateSend> {
    let flow = flows.get(c, row.lob_id, row.channel)?;
    Ok(engine::template_send(&flow, &context(row, now)))
}
