//! Messages and their delivery: inserts, pages, provider ids, statuses
//! (also those that arrive before their message is known) and send outcomes.

use super::sql::{params, Conn, OptionalExtension, Row, NO_PARAMS};
use optline_api::{DeliveryStatus, Direction, MessageKind};
use optline_engine::Channel;

use super::{text_enum, ProviderKind, StorageResult};

#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: Direction,
    pub kind: MessageKind,
    pub body: String,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    pub provider_message_id: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: String,
    /// Must go out as the provider's approved template (the engine said so).
    pub template: bool,
    /// Inbound from an address the phone library rejected (kept raw).
    pub sender_unverified: bool,
}

const MSG_COLS: &str = "id, conversation_id, direction, kind, body, status, error, provider_message_id, user_id, created_at, template, sender_unverified";

/// Reads a message from the columns of [`MSG_COLS`] starting at `at`.
pub(crate) fn message_row_at(r: &Row, at: usize) -> StorageResult<MessageRow> {
    Ok(MessageRow {
        id: r.get(at)?,
        conversation_id: r.get(at + 1)?,
        direction: text_enum(r, at + 2, Direction::parse)?,
        kind: text_enum(r, at + 3, MessageKind::parse)?,
        body: r.get(at + 4)?,
        status: text_enum(r, at + 5, DeliveryStatus::parse)?,
        error: r.get(at + 6)?,
        provider_message_id: r.get(at + 7)?,
        user_id: r.get(at + 8)?,
        created_at: r.get(at + 9)?,
        template: r.get(at + 10)?,
        sender_unverified: r.get(at + 11)?,
    })
}

fn message_row(r: &Row) -> StorageResult<MessageRow> {
    message_row_at(r, 0)
}

pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub direction: Direction,
    pub kind: MessageKind,
    pub body: &'a str,
    pub status: DeliveryStatus,
    pub provider: ProviderKind,
    pub provider_message_id: Option<&'a str>,
    pub user_id: Option<i64>,
    pub template: bool,
}

/// Inserts a message and updates its conversation (last message, unread,
/// last inbound time).
pub fn message_insert(c: &Conn, m: &NewMessage, now: &str) -> StorageResult<MessageRow> {
    // A queued send belongs to this process from the start (see
    // `outbound_start`).
    let claimed_by = (m.status == DeliveryStatus::Queued).then(super::process_id);
    let id = c.insert(
        "INSERT INTO messages(conversation_id, direction, kind, body, status, provider,
            provider_message_id, user_id, created_at, template, claimed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            m.conversation_id,
            m.direction.as_str(),
            m.kind.as_str(),
            m.body,
            m.status.as_str(),
            m.provider.as_str(),
            m.provider_message_id,
            m.user_id,
            now,
            m.template,
            claimed_by
        ],
    )?;
    let inbound = m.direction == Direction::Inbound;
    c.prepare_cached(
        "UPDATE conversations SET last_message_id = ?2, updated_at = ?3,
            unread = unread + ?4, last_inbound_at = CASE WHEN ?4 = 1 THEN ?3 ELSE last_inbound_at END
         WHERE id = ?1",
    )?
    .execute(params![m.conversation_id, id, now, inbound as i64])?;
    Ok(MessageRow {
        id,
        conversation_id: m.conversation_id,
        direction: m.direction,
        kind: m.kind,
        body: m.body.to_string(),
        status: m.status,
        error: None,
        provider_message_id: m.provider_message_id.map(str::to_string),
        user_id: m.user_id,
        created_at: now.to_string(),
        template: m.template,
        sender_unverified: false,
    })
}

/// The message already stored for (provider, provider id), if any.
pub fn message_by_provider_id(
    c: &Conn,
    provider: ProviderKind,
    pmid: &str,
) -> StorageResult<Option<i64>> {
    c.prepare_cached("SELECT id FROM messages WHERE provider = ?1 AND provider_message_id = ?2")?
        .query_row(params![provider.as_str(), pmid], |r| r.get(0))
        .optional()
}

/// One message by id.
pub fn message_by_id(c: &Conn, id: i64) -> StorageResult<Option<MessageRow>> {
    c.prepare_cached(&format!("SELECT {MSG_COLS} FROM messages WHERE id = ?1"))?
        .query_row([id], message_row)
        .optional()
}

/// Messages of a conversation before id `before` (newest `limit`), oldest first.
pub fn messages_page(
    c: &Conn,
    conv: i64,
    before: Option<i64>,
    limit: i64,
) -> StorageResult<(Vec<MessageRow>, bool)> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {MSG_COLS} FROM messages WHERE conversation_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR id < ?2)
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = st.query_map(params![conv, before, limit + 1], message_row)?;
    let mut v: Vec<MessageRow> = rows.collect::<Result<_, _>>()?;
    let more = v.len() as i64 > limit;
    v.truncate(limit.max(0) as usize);
    v.reverse();
    Ok((v, more))
}

/// A message as a simulated phone sees it: the message, the business
/// number and the channel.
pub type PhoneMessage = (MessageRow, String, Channel);

/// Everything a simulated phone sent or received, oldest first.
pub fn sim_phone_messages(c: &Conn, e164: &str, limit: i64) -> StorageResult<Vec<PhoneMessage>> {
    let mut st = c.prepare_cached(
        "SELECT m.id, m.conversation_id, m.direction, m.kind, m.body, m.status, m.error,
                m.provider_message_id, m.user_id, m.created_at, m.template, m.sender_unverified,
                n.e164, c.channel
         FROM contacts ct JOIN conversations c ON c.contact_id = ct.id
         JOIN numbers n ON n.id = c.number_id
         JOIN messages m ON m.conversation_id = c.id
         WHERE ct.e164 = ?1 AND n.provider = 'simulator' ORDER BY m.id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![e164, limit], |r| {
        Ok((
            message_row(r)?,
            r.get(12)?,
            text_enum(r, 13, Channel::parse)?,
        ))
    })?;
    let mut v: Vec<_> = rows.collect::<Result<_, _>>()?;
    v.reverse();
    Ok(v)
}

/// Count of messages stored (for tests and the load generator).
pub fn message_count(c: &Conn) -> StorageResult<i64> {
    c.query_row("SELECT COUNT(*) FROM messages", NO_PARAMS, |r| r.get(0))
}

/// Moves messages still at `from` to `to` (never backwards).
pub fn messages_set_status(
    c: &Conn,
    ids: &[i64],
    from: DeliveryStatus,
    to: DeliveryStatus,
) -> StorageResult<()> {
    let mut st =
        c.prepare_cached("UPDATE messages SET status = ?3 WHERE id = ?1 AND status = ?2")?;
    for id in ids {
        st.execute(params![id, from.as_str(), to.as_str()])?;
    }
    Ok(())
}

/// Marks every message still `sent` as `delivered` (the demo seed's simulator).
pub fn messages_deliver_all_sent(c: &Conn) -> StorageResult<()> {
    c.execute(
        "UPDATE messages SET status = 'delivered' WHERE status = 'sent'",
        NO_PARAMS,
    )?;
    Ok(())
}

/// A delivery status applied to a stored message.
#[derive(Debug, Clone)]
pub struct AppliedStatus {
    pub message_id: i64,
    pub conversation_id: i64,
    pub status: DeliveryStatus,
    pub error: Option<String>,
}

/// A provider's delivery report, as the webhook of one number gave it.
#[derive(Debug, Clone, Copy)]
pub struct StatusKey<'a> {
    /// The number whose secret signed the webhook: only its messages move.
    pub number_id: i64,
    pub provider: ProviderKind,
    pub pmid: &'a str,
    /// Optline's own message id, echoed by the provider (WhatsApp's
    /// `biz_opaque_callback_data`, the query of Twilio's status callback):
    /// how a message whose send answer was lost (`unknown`, no provider id
    /// yet) learns its provider id.
    pub reference: Option<i64>,
}

/// Applies a provider's delivery report to the outbound message it names,
/// among the messages of the number that signed it (another number's
/// message with that provider id is left alone). Unknown message (the send
/// answer not recorded yet): the report is kept in `pending_statuses` and
/// applied when the message gets its provider id.
pub fn status_apply(
    c: &Conn,
    key: StatusKey,
    status: DeliveryStatus,
    error: Option<&str>,
    now: &str,
) -> StorageResult<Option<AppliedStatus>> {
    let row = |r: &Row| {
        Ok((
            r.get::<i64>(0)?,
            r.get::<i64>(1)?,
            text_enum(r, 2, DeliveryStatus::parse)?,
            r.get::<i64>(3)?,
        ))
    };
    let cur = c
        .prepare_cached(
            "SELECT m.id, m.conversation_id, m.status, cv.number_id
             FROM messages m JOIN conversations cv ON cv.id = m.conversation_id
             WHERE m.provider = ?1 AND m.provider_message_id = ?2 AND m.direction = 'outbound'",
        )?
        .query_row(params![key.provider.as_str(), key.pmid], row)
        .optional()?;
    let (id, conv, old) = match cur {
        Some((id, conv, old, number)) if number == key.number_id => (id, conv, old),
        // Another number's message: not this webhook's to move.
        Some(_) => return Ok(None),
        None => {
            // A send whose answer was lost: the provider's echo of our id
            // names the message; it takes the provider id now.
            let by_ref = match key.reference {
                Some(r) => c
                    .prepare_cached(
                        "SELECT m.id, m.conversation_id, m.status, cv.number_id
                         FROM messages m JOIN conversations cv ON cv.id = m.conversation_id
                         WHERE m.id = ?1 AND m.provider = ?2 AND m.direction = 'outbound'
                           AND m.provider_message_id IS NULL AND cv.number_id = ?3",
                    )?
                    .query_row(params![r, key.provider.as_str(), key.number_id], row)
                    .optional()?,
                None => None,
            };
            match by_ref {
                Some((id, conv, old, _)) => {
                    c.prepare_cached("UPDATE messages SET provider_message_id = ?2 WHERE id = ?1")?
                        .execute(params![id, key.pmid])?;
                    (id, conv, old)
                }
                None => {
                    c.prepare_cached(
                        "INSERT INTO pending_statuses(provider, provider_message_id, status, error,
                            received_at, number_id)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![
                        key.provider.as_str(),
                        key.pmid,
                        status.as_str(),
                        error,
                        now,
                        key.number_id
                    ])?;
                    return Ok(None);
                }
            }
        }
    };
    if status.rank() <= old.rank() {
        return Ok(None);
    }
    // A settled `unknown` drops its "not known" note.
    c.prepare_cached(
        "UPDATE messages SET status = ?2,
            error = CASE WHEN ?4 = 'unknown' THEN ?3 ELSE COALESCE(?3, error) END
         WHERE id = ?1",
    )?
    .execute(params![id, status.as_str(), error, old.as_str()])?;
    Ok(Some(AppliedStatus {
        message_id: id,
        conversation_id: conv,
        status,
        error: error.map(str::to_string),
    }))
}

/// Deletes waiting status reports received before `before`: their message
/// never got that provider id (another system's message, or a send whose
/// answer never came), and nothing else would ever remove them.
pub fn pending_statuses_prune(c: &Conn, before: &str) -> StorageResult<usize> {
    c.prepare_cached("DELETE FROM pending_statuses WHERE received_at < ?1")?
        .execute([before])
}

/// Waiting status reports (tests, diagnostics).
pub fn pending_status_count(c: &Conn) -> StorageResult<i64> {
    c.query_row("SELECT COUNT(*) FROM pending_statuses", NO_PARAMS, |r| {
        r.get(0)
    })
}

/// How a send ended, as stored.
#[derive(Debug, Clone, Copy)]
pub enum SendResult<'a> {
    /// The provider's message id.
    Accepted(&'a str),
    /// Refused for good (the reason).
    Failed(&'a str),
    /// The request went out and its answer was lost: not known whether it
    /// was sent (the reason). Never resent; the provider's report settles it.
    Unknown(&'a str),
}

/// What a send left behind by a stopped process says (never resent: the
/// request may have reached the provider).
pub const NOT_RESENT: &str = "Not sent: the server stopped before the provider confirmed it. It is not resent automatically (that could deliver it twice); send it again if needed.";

/// Marks a queued send as started by `me` just before its first request
/// to the provider. False when it is not `me`'s any more, or no longer
/// queued: then `me` must not send it.
pub fn outbound_start(c: &Conn, id: i64, me: &str) -> StorageResult<bool> {
    Ok(c.execute(
        "UPDATE messages SET send_started = 1
         WHERE id = ?1 AND claimed_by = ?2 AND status = 'queued' AND send_started = 0",
        params![id, me],
    )? == 1)
}

/// Records that process `me` is alive (`at`).
pub fn process_heartbeat(c: &Conn, me: &str, at: &str) -> StorageResult<()> {
    c.execute(
        "INSERT INTO server_processes(id, started_at, seen_at) VALUES (?1, ?2, ?2)
         ON CONFLICT (id) DO UPDATE SET seen_at = ?2",
        params![me, at],
    )?;
    Ok(())
}

/// Sends whose process stopped (not seen since `alive_since`, or gone)
/// after a request may have reached the provider: failed, not resent.
/// Returns how many.
pub fn outbound_fail_orphaned(c: &Conn, me: &str, alive_since: &str) -> StorageResult<usize> {
    c.execute(
        "UPDATE messages SET status = 'failed', error = ?3
         WHERE status = 'queued' AND direction = 'outbound' AND send_started = 1
           AND (claimed_by IS NULL OR (claimed_by <> ?1 AND claimed_by NOT IN
               (SELECT id FROM server_processes WHERE seen_at >= ?2)))",
        params![me, alive_since, NOT_RESENT],
    )
}

/// Claims for `me` up to `limit` sends that a stopped process never
/// started; their ids. On PostgreSQL, rows another process is claiming at
/// this moment are skipped, so each send has one sender.
pub fn outbound_claim_orphaned(
    c: &Conn,
    me: &str,
    alive_since: &str,
    limit: i64,
) -> StorageResult<Vec<i64>> {
    let skip = c.skip_locked_clause();
    c.prepare_cached(&format!(
        "UPDATE messages SET claimed_by = ?1 WHERE id IN (
             SELECT id FROM messages
             WHERE status = 'queued' AND direction = 'outbound' AND send_started = 0
               AND (claimed_by IS NULL OR (claimed_by <> ?1 AND claimed_by NOT IN
                   (SELECT id FROM server_processes WHERE seen_at >= ?2)))
             ORDER BY id LIMIT ?3{skip})
         RETURNING id"
    ))?
    .query_map(params![me, alive_since, limit], |r| r.get(0))?
    .collect()
}

/// How many processes other than `me` were seen since `alive_since`.
pub fn processes_alive(c: &Conn, me: &str, alive_since: &str) -> StorageResult<i64> {
    c.query_row(
        "SELECT COUNT(*) FROM server_processes WHERE id <> ?1 AND seen_at >= ?2",
        params![me, alive_since],
        |r| r.get(0),
    )
}

/// Forgets processes not seen since `before` that hold no send.
pub fn processes_prune(c: &Conn, before: &str) -> StorageResult<usize> {
    c.execute(
        "DELETE FROM server_processes WHERE seen_at < ?1 AND NOT EXISTS (
             SELECT 1 FROM messages m WHERE m.status = 'queued' AND m.claimed_by = server_processes.id)",
        [before],
    )
}

/// Records a send's outcome: accepted (provider id, `sent`), failed, or
/// unknown. Returns the status reports of `number_id` that were waiting for
/// this provider id. A status report that already settled the message
/// (through its echoed id) is never overwritten by `unknown`.
pub fn outbound_finish(
    c: &Conn,
    message_id: i64,
    number_id: i64,
    provider: ProviderKind,
    result: SendResult,
    attempts: u32,
) -> StorageResult<Vec<(DeliveryStatus, Option<String>)>> {
    let pmid = match result {
        SendResult::Failed(reason) => {
            c.prepare_cached(
                "UPDATE messages SET status = 'failed', error = ?2, attempts = ?3 WHERE id = ?1",
            )?
            .execute(params![message_id, reason, attempts])?;
            return Ok(Vec::new());
        }
        SendResult::Unknown(reason) => {
            c.prepare_cached(
                "UPDATE messages SET attempts = ?3,
                    error = CASE WHEN status = 'queued' THEN ?2 ELSE error END,
                    status = CASE WHEN status = 'queued' THEN 'unknown' ELSE status END
                 WHERE id = ?1",
            )?
            .execute(params![message_id, reason, attempts])?;
            return Ok(Vec::new());
        }
        SendResult::Accepted(pmid) => pmid,
    };
    c.prepare_cached(
        "UPDATE messages SET provider_message_id = ?2, attempts = ?3,
            status = CASE WHEN status = 'queued' THEN 'sent' ELSE status END
         WHERE id = ?1",
    )?
    .execute(params![message_id, pmid, attempts])?;
    let mut st = c.prepare_cached(
        "SELECT status, error FROM pending_statuses
         WHERE provider = ?1 AND provider_message_id = ?2 AND number_id = ?3 ORDER BY id",
    )?;
    let rows = st.query_map(params![provider.as_str(), pmid, number_id], |r| {
        Ok((text_enum(r, 0, DeliveryStatus::parse)?, r.get(1)?))
    })?;
    let waiting: Vec<(DeliveryStatus, Option<String>)> = rows.collect::<Result<_, _>>()?;
    if !waiting.is_empty() {
        c.prepare_cached(
            "DELETE FROM pending_statuses
             WHERE provider = ?1 AND provider_message_id = ?2 AND number_id = ?3",
        )?
        .execute(params![provider.as_str(), pmid, number_id])?;
    }
    Ok(waiting)
}

/// Send attempts of a message (tests, diagnostics).
pub fn message_attempts(c: &Conn, id: i64) -> StorageResult<i64> {
    c.prepare_cached("SELECT attempts FROM messages WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
}

/// Flags an inbound message whose sender address the phone library did
/// not accept (stored raw, as the provider signed it).
pub fn message_flag_sender_unverified(c: &Conn, id: i64) -> StorageResult<()> {
    c.prepare_cached("UPDATE messages SET sender_unverified = 1 WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Marks an inbound message as not handed to the engine (unsupported type).
pub fn message_set_error(c: &Conn, id: i64, error: &str) -> StorageResult<()> {
    c.prepare_cached("UPDATE messages SET error = ?2 WHERE id = ?1")?
        .execute(params![id, error])?;
    Ok(())
}
