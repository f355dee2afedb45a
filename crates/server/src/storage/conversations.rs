//! Conversations: one per (business number, contact, channel). Each row
//! carries the engine's [`Thread`] for its key (every message rewrites the
//! row anyway, so consent costs no extra page) and the consent state's name
//! beside it for filtering, so no query reads the engine's serde layout.
//! Also the WhatsApp holder per (line of business, contact).

use super::sql::{params, Conn, OptionalExtension, Param, Row};
use optline_engine::{Channel, StateName, Thread};

use super::messages::message_row_at;
use super::{text_enum, ContactRow, MessageRow, ProviderKind, StorageResult};

pub fn conversation_get_or_create(
    c: &Conn,
    org: i64,
    number: i64,
    contact: i64,
    channel: Channel,
    now: &str,
) -> StorageResult<(i64, bool)> {
    let channel = channel.as_str();
    if let Some(id) = c
        .prepare_cached(
            "SELECT id FROM conversations WHERE number_id = ?1 AND contact_id = ?2 AND channel = ?3",
        )?
        .query_row(params![number, contact, channel], |r| r.get(0))
        .optional()?
    {
        return Ok((id, false));
    }
    // Another server process may create it at the same moment (PostgreSQL).
    let id = c
        .insert(
            "INSERT INTO conversations(org_id, number_id, contact_id, channel, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (number_id, contact_id, channel) DO NOTHING",
            params![org, number, contact, channel, now],
        )
        .optional()?;
    match id {
        Some(id) => Ok((id, true)),
        None => c
            .prepare_cached(
                "SELECT id FROM conversations WHERE number_id = ?1 AND contact_id = ?2 AND channel = ?3",
            )?
            .query_row(params![number, contact, channel], |r| Ok((r.get(0)?, false))),
    }
}

pub fn conversation_mark_read(c: &Conn, id: i64) -> StorageResult<()> {
    c.execute("UPDATE conversations SET unread = 0 WHERE id = ?1", [id])?;
    Ok(())
}

/// Stores the engine's thread of a conversation and its state's name, and
/// raises its consent version; returns the new version. Writes are
/// serialized, so versions of one conversation only grow and each names one
/// stored thread (the browser keeps the newest view by it).
pub fn thread_put(c: &Conn, conversation: i64, thread: &Thread) -> StorageResult<i64> {
    let json = serde_json::to_string(thread)
        .map_err(|e| super::StorageError::Unreadable(e.to_string()))?;
    c.prepare_cached(
        "UPDATE conversations SET thread = ?2, consent_state = ?3,
                 consent_version = consent_version + 1
             WHERE id = ?1 RETURNING consent_version",
    )?
    .query_row(
        params![conversation, json, thread.consent.name().as_str()],
        |r| r.get(0),
    )
}

/// A stored thread: the engine's value, or why it could not be read (then
/// the consent layer refuses to act rather than guess a state).
pub type StoredThread = Result<Thread, String>;

fn stored_thread(json: Option<String>) -> StoredThread {
    match json {
        None => Ok(Thread::default()),
        Some(s) => serde_json::from_str(&s).map_err(|e| e.to_string()),
    }
}

/// A conversation with everything the inbox shows and the engine needs.
#[derive(Debug, Clone)]
pub struct ConvRow {
    pub id: i64,
    pub org_id: i64,
    pub number_id: i64,
    pub number_e164: String,
    pub number_user_id: Option<i64>,
    pub lob_id: i64,
    pub channel: Channel,
    pub sms_enabled: bool,
    pub whatsapp_enabled: bool,
    pub contact: ContactRow,
    pub unread: i64,
    pub last_inbound_at: Option<String>,
    pub updated_at: String,
    pub thread: StoredThread,
    /// Raised by every [`thread_put`]: orders views of the consent state.
    pub consent_version: i64,
    pub holder: Option<i64>,
    pub last_message: Option<MessageRow>,
    pub org_name: String,
    pub agent_name: Option<String>,
    /// The number's provider (whether it carries this channel: see
    /// [`ProviderKind::carries`]).
    pub provider: ProviderKind,
}

impl ConvRow {
    /// Whether an admin has this conversation's channel switched on.
    pub fn channel_enabled(&self) -> bool {
        match self.channel {
            Channel::Sms => self.sms_enabled,
            Channel::WhatsApp => self.whatsapp_enabled,
        }
    }

    /// Who carries this conversation's messages.
    pub fn carrier(&self) -> ProviderKind {
        self.provider.for_channel(self.channel)
    }
}

const CONV_SELECT: &str = "SELECT c.id, c.org_id, c.number_id, n.e164, n.user_id, n.lob_id, c.channel,
    n.sms_enabled, n.whatsapp_enabled, ct.id, ct.e164, ct.name, ct.tz, c.unread, c.last_inbound_at,
    c.updated_at, c.thread, o.user_id, org.name, au.name, n.provider,
    m.id, m.conversation_id, m.direction, m.kind, m.body, m.status, m.error, m.provider_message_id,
    m.user_id, m.created_at, m.template, m.sender_unverified, c.consent_version
    FROM conversations c
    JOIN organizations org ON org.id = c.org_id
    JOIN numbers n ON n.id = c.number_id
    JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN ownership o ON c.channel = 'whatsapp' AND o.lob_id = n.lob_id AND o.contact_id = c.contact_id
    LEFT JOIN messages m ON m.id = c.last_message_id
    LEFT JOIN users au ON au.id = n.user_id";

fn conv_row(r: &Row) -> StorageResult<ConvRow> {
    let last_message = match r.get::<Option<i64>>(21)? {
        Some(_) => Some(message_row_at(r, 21)?),
        None => None,
    };
    Ok(ConvRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        number_id: r.get(2)?,
        number_e164: r.get(3)?,
        number_user_id: r.get(4)?,
        lob_id: r.get(5)?,
        channel: text_enum(r, 6, Channel::parse)?,
        sms_enabled: r.get(7)?,
        whatsapp_enabled: r.get(8)?,
        contact: ContactRow {
            id: r.get(9)?,
            e164: r.get(10)?,
            name: r.get(11)?,
            tz: r.get(12)?,
        },
        unread: r.get(13)?,
        last_inbound_at: r.get(14)?,
        updated_at: r.get(15)?,
        thread: stored_thread(r.get(16)?),
        consent_version: r.get(33)?,
        holder: r.get(17)?,
        org_name: r.get(18)?,
        agent_name: r.get(19)?,
        provider: text_enum(r, 20, ProviderKind::parse)?,
        last_message,
    })
}

/// The conversation `id`. Read by a write job on PostgreSQL, the
/// conversation and its contact are locked first and stay locked until the
/// commit: another server process cannot change the thread read here (no
/// lost update) nor claim the contact's WhatsApp line meanwhile. The row is
/// read after the lock, so it shows what the process that held it committed
/// (a holder, say), not what was there when the wait began.
pub fn conversation_row(c: &Conn, id: i64) -> StorageResult<Option<ConvRow>> {
    lock_conversations(c, "c.id = ?1", params![id])?;
    c.prepare_cached(&format!("{CONV_SELECT} WHERE c.id = ?1"))?
        .query_row([id], conv_row)
        .optional()
}

/// The conversation of (number, contact phone, channel), if it exists: the
/// inbound path's one query for a known contact (locked as
/// [`conversation_row`] is).
pub fn conversation_row_by_key(
    c: &Conn,
    org: i64,
    number: i64,
    contact_e164: &str,
    channel: Channel,
) -> StorageResult<Option<ConvRow>> {
    let key = "ct.org_id = ?1 AND ct.e164 = ?2 AND c.number_id = ?3 AND c.channel = ?4";
    lock_conversations(c, key, params![org, contact_e164, number, channel.as_str()])?;
    c.prepare_cached(&format!("{CONV_SELECT} WHERE {key}"))?
        .query_row(
            params![org, contact_e164, number, channel.as_str()],
            conv_row,
        )
        .optional()
}

/// Locks the conversations matching `filter` and their contacts when `c`
/// is the writer's PostgreSQL connection (see [`conversation_row`]).
fn lock_conversations(c: &Conn, filter: &str, params: &[&dyn Param]) -> StorageResult<()> {
    let lock = c.lock_clause("c, ct");
    if lock.is_empty() {
        return Ok(());
    }
    c.prepare_cached(&format!(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
         WHERE {filter}{lock}"
    ))?
    .query_map(params, |_| Ok(()))?
    .collect()
}

/// Who may see what.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// An agent: the conversations of their numbers.
    User(i64),
    /// An admin: the whole organization.
    Org(i64),
}

pub struct ConvFilter {
    pub q: Option<String>,
    pub state: Option<StateName>,
    pub channel: Option<Channel>,
    /// Keyset cursor: (updated_at, id) of the last row of the previous page.
    pub after: Option<(String, i64)>,
    pub limit: i64,
}

fn like_pattern(q: &str) -> String {
    let mut p = String::from("%");
    for ch in q.chars() {
        if ch == '%' || ch == '_' || ch == '\\' {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// A page of conversations (newest activity first) and the total matching.
pub fn conversations_list(
    c: &Conn,
    scope: Scope,
    f: &ConvFilter,
) -> StorageResult<(Vec<ConvRow>, u64)> {
    let (scope_sql, scope_id) = match scope {
        Scope::User(u) => ("n.user_id = ?1", u),
        Scope::Org(o) => ("c.org_id = ?1", o),
    };
    let filter =
        "(CAST(?2 AS TEXT) IS NULL OR ct.name LIKE ?2 ESCAPE '\\' OR ct.e164 LIKE ?2 ESCAPE '\\'
            OR c.id IN (SELECT conversation_id FROM messages WHERE body LIKE ?2 ESCAPE '\\'))
        AND (CAST(?3 AS TEXT) IS NULL OR c.consent_state = ?3)
        AND (CAST(?4 AS TEXT) IS NULL OR c.channel = ?4)";
    let state = f.state.map(StateName::as_str);
    let channel = f.channel.map(Channel::as_str);
    let q =
        f.q.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(like_pattern);
    let total: i64 = c
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM conversations c JOIN numbers n ON n.id = c.number_id
             JOIN contacts ct ON ct.id = c.contact_id
             WHERE {scope_sql} AND {filter}"
        ))?
        .query_row(params![scope_id, q, state, channel], |r| r.get(0))?;
    let (after_t, after_id) = match &f.after {
        Some((t, id)) => (Some(t.as_str()), Some(*id)),
        None => (None, None),
    };
    let mut st = c.prepare_cached(&format!(
        "{CONV_SELECT} WHERE {scope_sql} AND {filter}
         AND (CAST(?5 AS TEXT) IS NULL OR c.updated_at < ?5 OR (c.updated_at = ?5 AND c.id < ?6))
         ORDER BY c.updated_at DESC, c.id DESC LIMIT ?7"
    ))?;
    let rows = st.query_map(
        params![scope_id, q, state, channel, after_t, after_id, f.limit],
        conv_row,
    )?;
    Ok((rows.collect::<Result<_, _>>()?, total.max(0) as u64))
}

// ------------------------------------------------------------ WhatsApp holder

pub fn holder_get(c: &Conn, lob: i64, contact: i64) -> StorageResult<Option<i64>> {
    c.prepare_cached("SELECT user_id FROM ownership WHERE lob_id = ?1 AND contact_id = ?2")?
        .query_row(params![lob, contact], |r| r.get(0))
        .optional()
}

pub fn holder_set(
    c: &Conn,
    lob: i64,
    contact: i64,
    user: Option<i64>,
    now: &str,
) -> StorageResult<()> {
    match user {
        Some(u) => {
            c.prepare_cached(
                "INSERT INTO ownership(lob_id, contact_id, user_id, since) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(lob_id, contact_id) DO UPDATE SET user_id = ?3, since = ?4",
            )?
            .execute(params![lob, contact, u, now])?;
        }
        None => {
            c.prepare_cached("DELETE FROM ownership WHERE lob_id = ?1 AND contact_id = ?2")?
                .execute(params![lob, contact])?;
        }
    }
    Ok(())
}

/// (lob, contact phone, user, since) of every holder in `org` (optionally one lob).
pub fn holders(
    c: &Conn,
    org: i64,
    lob: Option<i64>,
) -> StorageResult<Vec<(i64, String, i64, String)>> {
    let mut st = c.prepare_cached(
        "SELECT o.lob_id, ct.e164, o.user_id, o.since FROM ownership o
         JOIN contacts ct ON ct.id = o.contact_id
         JOIN lines_of_business l ON l.id = o.lob_id
         WHERE l.org_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR o.lob_id = ?2) ORDER BY o.since DESC",
    )?;
    let rows = st.query_map(params![org, lob], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    rows.collect::<Result<_, _>>()
}

/// Conversations of a contact in a line of business on WhatsApp:
/// (conversation id, the number's user).
pub fn whatsapp_conversations_in_lob(
    c: &Conn,
    lob: i64,
    contact: i64,
) -> StorageResult<Vec<(i64, Option<i64>)>> {
    let mut st = c.prepare_cached(
        "SELECT c.id, n.user_id FROM conversations c JOIN numbers n ON n.id = c.number_id
         WHERE n.lob_id = ?1 AND c.contact_id = ?2 AND c.channel = 'whatsapp'",
    )?;
    let rows = st.query_map(params![lob, contact], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect::<Result<_, _>>()
}

/// Ids of every conversation with a contact (any number, any channel).
pub fn conversations_of_contact(c: &Conn, contact: i64) -> StorageResult<Vec<i64>> {
    let mut st =
        c.prepare_cached("SELECT id FROM conversations WHERE contact_id = ?1 ORDER BY id")?;
    let rows = st.query_map(params![contact], |r| r.get(0))?;
    rows.collect::<Result<_, _>>()
}

/// Ids of the conversations of a number on one channel.
pub fn conversations_of_number(c: &Conn, number: i64, channel: Channel) -> StorageResult<Vec<i64>> {
    let mut st = c.prepare_cached(
        "SELECT id FROM conversations WHERE number_id = ?1 AND channel = ?2 ORDER BY id",
    )?;
    let rows = st.query_map(params![number, channel.as_str()], |r| r.get(0))?;
    rows.collect::<Result<_, _>>()
}
