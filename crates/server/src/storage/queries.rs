//! Domain queries. Every function takes a connection (the writer's, inside
//! its transaction, or a pooled reader). Nothing outside `storage` writes SQL.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{ApiError, ApiResult};

fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

// ------------------------------------------------------------ organizations

pub fn org_count(c: &Connection) -> ApiResult<i64> {
    Ok(c.query_row("SELECT COUNT(*) FROM organizations", [], |r| r.get(0))?)
}

pub fn org_insert(c: &Connection, name: &str, now: &str) -> ApiResult<i64> {
    c.execute(
        "INSERT INTO organizations(name, created_at) VALUES (?1, ?2)",
        params![name, now],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn org_name(c: &Connection, org: i64) -> ApiResult<String> {
    Ok(
        c.prepare_cached("SELECT name FROM organizations WHERE id = ?1")?
            .query_row([org], |r| r.get(0))?,
    )
}

pub fn lob_insert(c: &Connection, org: i64, name: &str) -> ApiResult<i64> {
    c.execute(
        "INSERT INTO lines_of_business(org_id, name) VALUES (?1, ?2)",
        params![org, name],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn lobs_in_org(c: &Connection, org: i64) -> ApiResult<Vec<(i64, String)>> {
    let mut st =
        c.prepare_cached("SELECT id, name FROM lines_of_business WHERE org_id = ?1 ORDER BY id")?;
    let rows = st.query_map([org], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn lob_in_org(c: &Connection, org: i64, lob: i64) -> ApiResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM lines_of_business WHERE id = ?1 AND org_id = ?2")?
            .exists(params![lob, org])?,
    )
}

// ------------------------------------------------------------------- users

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub lob_id: Option<i64>,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub active: bool,
}

const USER_COLS: &str = "id, org_id, lob_id, email, name, role, password_hash, active";

fn user_row(r: &Row) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        lob_id: r.get(2)?,
        email: r.get(3)?,
        name: r.get(4)?,
        role: r.get(5)?,
        password_hash: r.get(6)?,
        active: r.get(7)?,
    })
}

pub struct NewUser<'a> {
    pub org_id: i64,
    pub lob_id: Option<i64>,
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

pub fn user_insert(c: &Connection, u: &NewUser, now: &str) -> ApiResult<i64> {
    match c.execute(
        "INSERT INTO users(org_id, lob_id, email, name, role, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            u.org_id,
            u.lob_id,
            u.email,
            u.name,
            u.role,
            u.password_hash,
            now
        ],
    ) {
        Ok(_) => Ok(c.last_insert_rowid()),
        Err(e) if unique_violation(&e) => Err(ApiError::conflict(
            "email_taken",
            "A user with this e-mail already exists. Use another e-mail.",
        )
        .field("email")),
        Err(e) => Err(e.into()),
    }
}

pub fn user_by_email(c: &Connection, email: &str) -> ApiResult<Option<UserRow>> {
    Ok(
        c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE email = ?1"))?
            .query_row([email], user_row)
            .optional()?,
    )
}

pub fn user_by_id(c: &Connection, id: i64) -> ApiResult<Option<UserRow>> {
    Ok(
        c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
            .query_row([id], user_row)
            .optional()?,
    )
}

pub fn users_in_org(c: &Connection, org: i64) -> ApiResult<Vec<UserRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {USER_COLS} FROM users WHERE org_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([org], user_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn admin_ids(c: &Connection, org: i64) -> ApiResult<Vec<i64>> {
    let mut st = c.prepare_cached(
        "SELECT id FROM users WHERE org_id = ?1 AND role = 'admin' AND active = 1",
    )?;
    let rows = st.query_map([org], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn user_update(
    c: &Connection,
    id: i64,
    name: Option<&str>,
    password_hash: Option<&str>,
    active: Option<bool>,
    lob_id: Option<i64>,
) -> ApiResult<()> {
    c.execute(
        "UPDATE users SET name = COALESCE(?2, name), password_hash = COALESCE(?3, password_hash),
                active = COALESCE(?4, active), lob_id = COALESCE(?5, lob_id) WHERE id = ?1",
        params![id, name, password_hash, active, lob_id],
    )?;
    if active == Some(false) {
        c.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    }
    Ok(())
}

// ---------------------------------------------------------------- sessions

pub fn session_insert(
    c: &Connection,
    token_hash: &str,
    user: i64,
    now: &str,
    expires: &str,
) -> ApiResult<()> {
    c.prepare_cached(
        "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![token_hash, user, now, expires])?;
    Ok(())
}

/// The active user of a non-expired session.
pub fn session_user(c: &Connection, token_hash: &str, now: &str) -> ApiResult<Option<UserRow>> {
    Ok(c.prepare_cached(
        "SELECT u.id, u.org_id, u.lob_id, u.email, u.name, u.role, u.password_hash, u.active
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.active = 1",
    )?
    .query_row(params![token_hash, now], user_row)
    .optional()?)
}

pub fn session_delete(c: &Connection, token_hash: &str) -> ApiResult<()> {
    c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

// ----------------------------------------------------------------- numbers

#[derive(Debug, Clone)]
pub struct NumberRow {
    pub id: i64,
    pub org_id: i64,
    pub lob_id: i64,
    pub user_id: Option<i64>,
    pub e164: String,
    pub sms_enabled: bool,
    pub whatsapp_enabled: bool,
    pub provider: String,
    /// The provider's settings as JSON (secrets included: never send it out).
    pub provider_config: Option<String>,
}

const NUMBER_COLS: &str =
    "id, org_id, lob_id, user_id, e164, sms_enabled, whatsapp_enabled, provider, provider_config";

fn number_row(r: &Row) -> rusqlite::Result<NumberRow> {
    Ok(NumberRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        lob_id: r.get(2)?,
        user_id: r.get(3)?,
        e164: r.get(4)?,
        sms_enabled: r.get(5)?,
        whatsapp_enabled: r.get(6)?,
        provider: r.get(7)?,
        provider_config: r.get(8)?,
    })
}

pub fn number_insert(
    c: &Connection,
    org: i64,
    lob: i64,
    user: Option<i64>,
    e164: &str,
) -> ApiResult<i64> {
    match c.execute(
        "INSERT INTO numbers(org_id, lob_id, user_id, e164) VALUES (?1, ?2, ?3, ?4)",
        params![org, lob, user, e164],
    ) {
        Ok(_) => Ok(c.last_insert_rowid()),
        Err(e) if unique_violation(&e) => Err(ApiError::conflict(
            "number_taken",
            "This business number is already in use. Choose another number.",
        )
        .field("phone")),
        Err(e) => Err(e.into()),
    }
}

pub fn number_by_user(c: &Connection, user: i64) -> ApiResult<Option<NumberRow>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE user_id = ?1 ORDER BY id LIMIT 1"
    ))?
    .query_row([user], number_row)
    .optional()?)
}

pub fn number_by_id(c: &Connection, id: i64) -> ApiResult<Option<NumberRow>> {
    Ok(
        c.prepare_cached(&format!("SELECT {NUMBER_COLS} FROM numbers WHERE id = ?1"))?
            .query_row([id], number_row)
            .optional()?,
    )
}

pub fn number_by_e164(c: &Connection, e164: &str) -> ApiResult<Option<NumberRow>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE e164 = ?1"
    ))?
    .query_row([e164], number_row)
    .optional()?)
}

pub fn numbers_in_org(c: &Connection, org: i64) -> ApiResult<Vec<NumberRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE org_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([org], number_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every number with its organization, line of business and agent names.
/// (number, organization, line of business, agent name)
pub type DirectoryRow = (String, String, String, Option<String>);

pub fn sim_directory(c: &Connection) -> ApiResult<Vec<DirectoryRow>> {
    let mut st = c.prepare_cached(
        "SELECT n.e164, o.name, l.name, u.name FROM numbers n
         JOIN organizations o ON o.id = n.org_id
         JOIN lines_of_business l ON l.id = n.lob_id
         LEFT JOIN users u ON u.id = n.user_id ORDER BY n.id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn number_update(
    c: &Connection,
    id: i64,
    sms: Option<bool>,
    whatsapp: Option<bool>,
    user: Option<i64>,
) -> ApiResult<()> {
    c.execute(
        "UPDATE numbers SET sms_enabled = COALESCE(?2, sms_enabled),
            whatsapp_enabled = COALESCE(?3, whatsapp_enabled), user_id = COALESCE(?4, user_id)
         WHERE id = ?1",
        params![id, sms, whatsapp, user],
    )?;
    Ok(())
}

// ---------------------------------------------------------------- contacts

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub id: i64,
    pub e164: String,
    pub name: Option<String>,
    pub tz: String,
}

/// Finds or creates the contact `e164` in `org`. A given name / zone
/// overwrites the stored one.
pub fn contact_upsert(
    c: &Connection,
    org: i64,
    e164: &str,
    name: Option<&str>,
    tz: &str,
    tz_explicit: bool,
) -> ApiResult<ContactRow> {
    let existing = c
        .prepare_cached("SELECT id, e164, name, tz FROM contacts WHERE org_id = ?1 AND e164 = ?2")?
        .query_row(params![org, e164], |r| {
            Ok(ContactRow {
                id: r.get(0)?,
                e164: r.get(1)?,
                name: r.get(2)?,
                tz: r.get(3)?,
            })
        })
        .optional()?;
    match existing {
        Some(mut row) => {
            if name.is_some() || tz_explicit {
                c.execute(
                    "UPDATE contacts SET name = COALESCE(?2, name), tz = ?3 WHERE id = ?1",
                    params![row.id, name, if tz_explicit { tz } else { &row.tz }],
                )?;
                if let Some(n) = name {
                    row.name = Some(n.to_string());
                }
                if tz_explicit {
                    row.tz = tz.to_string();
                }
            }
            Ok(row)
        }
        None => {
            c.prepare_cached(
                "INSERT INTO contacts(org_id, e164, name, tz) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![org, e164, name, tz])?;
            Ok(ContactRow {
                id: c.last_insert_rowid(),
                e164: e164.to_string(),
                name: name.map(str::to_string),
                tz: tz.to_string(),
            })
        }
    }
}

pub fn contact_id_by_e164(c: &Connection, org: i64, e164: &str) -> ApiResult<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT id FROM contacts WHERE org_id = ?1 AND e164 = ?2")?
            .query_row(params![org, e164], |r| r.get(0))
            .optional()?,
    )
}

// ---------------------------------------------------------- consent / owner

/// Stores the engine thread (JSON) of a conversation, i.e. of its
/// (business number, contact, channel). It lives in the conversation's row,
/// which every message rewrites anyway: one page written, not two.
pub fn thread_put(c: &Connection, conversation: i64, state: &str) -> ApiResult<()> {
    c.prepare_cached("UPDATE conversations SET thread = ?2 WHERE id = ?1")?
        .execute(params![conversation, state])?;
    Ok(())
}

pub fn holder_get(c: &Connection, lob: i64, contact: i64) -> ApiResult<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT user_id FROM ownership WHERE lob_id = ?1 AND contact_id = ?2")?
            .query_row(params![lob, contact], |r| r.get(0))
            .optional()?,
    )
}

pub fn holder_set(
    c: &Connection,
    lob: i64,
    contact: i64,
    user: Option<i64>,
    now: &str,
) -> ApiResult<()> {
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
    c: &Connection,
    org: i64,
    lob: Option<i64>,
) -> ApiResult<Vec<(i64, String, i64, String)>> {
    let mut st = c.prepare_cached(
        "SELECT o.lob_id, ct.e164, o.user_id, o.since FROM ownership o
         JOIN contacts ct ON ct.id = o.contact_id
         JOIN lines_of_business l ON l.id = o.lob_id
         WHERE l.org_id = ?1 AND (?2 IS NULL OR o.lob_id = ?2) ORDER BY o.since DESC",
    )?;
    let rows = st.query_map(params![org, lob], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Conversations (ids) of a contact in a line of business on WhatsApp.
pub fn whatsapp_conversations_in_lob(
    c: &Connection,
    lob: i64,
    contact: i64,
) -> ApiResult<Vec<(i64, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT c.id, n.user_id FROM conversations c JOIN numbers n ON n.id = c.number_id
         WHERE n.lob_id = ?1 AND c.contact_id = ?2 AND c.channel = 'whatsapp'",
    )?;
    let rows = st.query_map(params![lob, contact], |r| {
        Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ----------------------------------------------------------- conversations

/// Identity of a conversation (enough to run the engine on it).
#[derive(Debug, Clone)]
pub struct ConvCore {
    pub id: i64,
    pub org_id: i64,
    pub number_id: i64,
    pub contact_id: i64,
    pub channel: String,
}

pub fn conversation_get_or_create(
    c: &Connection,
    org: i64,
    number: i64,
    contact: i64,
    channel: &str,
    now: &str,
) -> ApiResult<(i64, bool)> {
    if let Some(id) = c
        .prepare_cached(
            "SELECT id FROM conversations WHERE number_id = ?1 AND contact_id = ?2 AND channel = ?3",
        )?
        .query_row(params![number, contact, channel], |r| r.get(0))
        .optional()?
    {
        return Ok((id, false));
    }
    c.prepare_cached(
        "INSERT INTO conversations(org_id, number_id, contact_id, channel, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![org, number, contact, channel, now])?;
    Ok((c.last_insert_rowid(), true))
}

pub fn conversation_core(c: &Connection, id: i64) -> ApiResult<Option<ConvCore>> {
    Ok(c.prepare_cached(
        "SELECT id, org_id, number_id, contact_id, channel FROM conversations WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(ConvCore {
            id: r.get(0)?,
            org_id: r.get(1)?,
            number_id: r.get(2)?,
            contact_id: r.get(3)?,
            channel: r.get(4)?,
        })
    })
    .optional()?)
}

pub fn conversation_mark_read(c: &Connection, id: i64) -> ApiResult<()> {
    c.execute("UPDATE conversations SET unread = 0 WHERE id = ?1", [id])?;
    Ok(())
}

/// A conversation with everything the inbox shows.
#[derive(Debug, Clone)]
pub struct ConvRow {
    pub id: i64,
    pub org_id: i64,
    pub number_id: i64,
    pub number_e164: String,
    pub number_user_id: Option<i64>,
    pub lob_id: i64,
    pub channel: String,
    pub sms_enabled: bool,
    pub whatsapp_enabled: bool,
    pub contact: ContactRow,
    pub unread: i64,
    pub last_inbound_at: Option<String>,
    pub updated_at: String,
    pub thread: Option<String>,
    pub holder: Option<i64>,
    pub last_message: Option<MessageRow>,
    pub org_name: String,
    pub agent_name: Option<String>,
    /// The number's provider (`simulator`, `whatsapp`, `twilio`).
    pub provider: String,
}

const CONV_SELECT: &str = "SELECT c.id, c.org_id, c.number_id, n.e164, n.user_id, n.lob_id, c.channel,
    n.sms_enabled, n.whatsapp_enabled, ct.id, ct.e164, ct.name, ct.tz, c.unread, c.last_inbound_at,
    c.updated_at, c.thread, o.user_id,
    m.id, m.conversation_id, m.direction, m.kind, m.body, m.status, m.error, m.provider_message_id,
    m.user_id, m.created_at, org.name, au.name, n.provider
    FROM conversations c
    JOIN organizations org ON org.id = c.org_id
    JOIN numbers n ON n.id = c.number_id
    JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN ownership o ON c.channel = 'whatsapp' AND o.lob_id = n.lob_id AND o.contact_id = c.contact_id
    LEFT JOIN messages m ON m.id = c.last_message_id
    LEFT JOIN users au ON au.id = n.user_id";

fn conv_row(r: &Row) -> rusqlite::Result<ConvRow> {
    let mid: Option<i64> = r.get(18)?;
    let last_message = match mid {
        Some(id) => Some(MessageRow {
            id,
            conversation_id: r.get(19)?,
            direction: r.get(20)?,
            kind: r.get(21)?,
            body: r.get(22)?,
            status: r.get(23)?,
            error: r.get(24)?,
            provider_message_id: r.get(25)?,
            user_id: r.get(26)?,
            created_at: r.get(27)?,
        }),
        None => None,
    };
    Ok(ConvRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        number_id: r.get(2)?,
        number_e164: r.get(3)?,
        number_user_id: r.get(4)?,
        lob_id: r.get(5)?,
        channel: r.get(6)?,
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
        thread: r.get(16)?,
        holder: r.get(17)?,
        last_message,
        org_name: r.get(28)?,
        agent_name: r.get(29)?,
        provider: r.get(30)?,
    })
}

pub fn conversation_row(c: &Connection, id: i64) -> ApiResult<Option<ConvRow>> {
    Ok(c.prepare_cached(&format!("{CONV_SELECT} WHERE c.id = ?1"))?
        .query_row([id], conv_row)
        .optional()?)
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
    pub state: Option<String>,
    pub channel: Option<String>,
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
    c: &Connection,
    scope: Scope,
    f: &ConvFilter,
) -> ApiResult<(Vec<ConvRow>, u64)> {
    let (scope_sql, scope_id) = match scope {
        Scope::User(u) => ("n.user_id = ?1", u),
        Scope::Org(o) => ("c.org_id = ?1", o),
    };
    let filter = "(?2 IS NULL OR ct.name LIKE ?2 ESCAPE '\\' OR ct.e164 LIKE ?2 ESCAPE '\\'
            OR c.id IN (SELECT conversation_id FROM messages WHERE body LIKE ?2 ESCAPE '\\'))
        AND (?3 IS NULL OR COALESCE(json_extract(c.thread, '$.consent.state'), 'not_requested') = ?3)
        AND (?4 IS NULL OR c.channel = ?4)";
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
        .query_row(params![scope_id, q, f.state, f.channel], |r| r.get(0))?;
    let (after_t, after_id) = match &f.after {
        Some((t, id)) => (Some(t.as_str()), Some(*id)),
        None => (None, None),
    };
    let mut st = c.prepare_cached(&format!(
        "{CONV_SELECT} WHERE {scope_sql} AND {filter}
         AND (?5 IS NULL OR c.updated_at < ?5 OR (c.updated_at = ?5 AND c.id < ?6))
         ORDER BY c.updated_at DESC, c.id DESC LIMIT ?7"
    ))?;
    let rows = st.query_map(
        params![scope_id, q, f.state, f.channel, after_t, after_id, f.limit],
        conv_row,
    )?;
    Ok((rows.collect::<Result<_, _>>()?, total.max(0) as u64))
}

// ---------------------------------------------------------------- messages

#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: String,
    pub kind: String,
    pub body: String,
    pub status: String,
    pub error: Option<String>,
    pub provider_message_id: Option<String>,
    pub user_id: Option<i64>,
    pub created_at: String,
}

const MSG_COLS: &str = "id, conversation_id, direction, kind, body, status, error, provider_message_id, user_id, created_at";

fn message_row(r: &Row) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        direction: r.get(2)?,
        kind: r.get(3)?,
        body: r.get(4)?,
        status: r.get(5)?,
        error: r.get(6)?,
        provider_message_id: r.get(7)?,
        user_id: r.get(8)?,
        created_at: r.get(9)?,
    })
}

pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub direction: &'a str,
    pub kind: &'a str,
    pub body: &'a str,
    pub status: &'a str,
    pub provider: &'a str,
    pub provider_message_id: Option<&'a str>,
    pub user_id: Option<i64>,
}

/// Inserts a message and updates its conversation (last message, unread,
/// last inbound time).
pub fn message_insert(c: &Connection, m: &NewMessage, now: &str) -> ApiResult<MessageRow> {
    c.prepare_cached(
        "INSERT INTO messages(conversation_id, direction, kind, body, status, provider,
            provider_message_id, user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        m.conversation_id,
        m.direction,
        m.kind,
        m.body,
        m.status,
        m.provider,
        m.provider_message_id,
        m.user_id,
        now
    ])?;
    let id = c.last_insert_rowid();
    let inbound = m.direction == "inbound";
    c.prepare_cached(
        "UPDATE conversations SET last_message_id = ?2, updated_at = ?3,
            unread = unread + ?4, last_inbound_at = CASE WHEN ?4 = 1 THEN ?3 ELSE last_inbound_at END
         WHERE id = ?1",
    )?
    .execute(params![m.conversation_id, id, now, inbound as i64])?;
    Ok(MessageRow {
        id,
        conversation_id: m.conversation_id,
        direction: m.direction.to_string(),
        kind: m.kind.to_string(),
        body: m.body.to_string(),
        status: m.status.to_string(),
        error: None,
        provider_message_id: m.provider_message_id.map(str::to_string),
        user_id: m.user_id,
        created_at: now.to_string(),
    })
}

/// The message already stored for (provider, provider id), if any.
pub fn message_by_provider_id(
    c: &Connection,
    provider: &str,
    pmid: &str,
) -> ApiResult<Option<i64>> {
    Ok(c.prepare_cached(
        "SELECT id FROM messages WHERE provider = ?1 AND provider_message_id = ?2",
    )?
    .query_row(params![provider, pmid], |r| r.get(0))
    .optional()?)
}

/// Messages of a conversation before id `before` (newest `limit`), oldest first.
pub fn messages_page(
    c: &Connection,
    conv: i64,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<(Vec<MessageRow>, bool)> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {MSG_COLS} FROM messages WHERE conversation_id = ?1 AND (?2 IS NULL OR id < ?2)
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = st.query_map(params![conv, before, limit + 1], message_row)?;
    let mut v: Vec<MessageRow> = rows.collect::<Result<_, _>>()?;
    let more = v.len() as i64 > limit;
    v.truncate(limit.max(0) as usize);
    v.reverse();
    Ok((v, more))
}

/// Everything a simulated phone sent or received, oldest first.
pub fn sim_phone_messages(
    c: &Connection,
    e164: &str,
    limit: i64,
) -> ApiResult<Vec<(MessageRow, String, String)>> {
    let mut st = c.prepare_cached(
        "SELECT m.id, m.conversation_id, m.direction, m.kind, m.body, m.status, m.error,
                m.provider_message_id, m.user_id, m.created_at, n.e164, c.channel
         FROM contacts ct JOIN conversations c ON c.contact_id = ct.id
         JOIN numbers n ON n.id = c.number_id
         JOIN messages m ON m.conversation_id = c.id
         WHERE ct.e164 = ?1 AND n.provider = 'simulator' ORDER BY m.id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![e164, limit], |r| {
        Ok((message_row(r)?, r.get(10)?, r.get(11)?))
    })?;
    let mut v: Vec<_> = rows.collect::<Result<_, _>>()?;
    v.reverse();
    Ok(v)
}

// ------------------------------------------------------------------- flows

pub fn flow_get(c: &Connection, lob: i64, channel: &str) -> ApiResult<Option<(String, String)>> {
    Ok(
        c.prepare_cached("SELECT flow, updated_at FROM flows WHERE lob_id = ?1 AND channel = ?2")?
            .query_row(params![lob, channel], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
    )
}

pub fn flow_put(
    c: &Connection,
    lob: i64,
    channel: &str,
    flow: &str,
    now: &str,
    by: i64,
) -> ApiResult<()> {
    c.execute(
        "INSERT INTO flows(lob_id, channel, flow, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(lob_id, channel) DO UPDATE SET flow = ?3, updated_at = ?4, updated_by = ?5",
        params![lob, channel, flow, now, by],
    )?;
    Ok(())
}

// ------------------------------------------------------------------- audit

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub org_id: i64,
    pub at: String,
    pub number: String,
    pub contact: String,
    pub channel: String,
    pub actor: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub evidence: String,
    pub request_text: Option<String>,
    pub provider_message_id: Option<String>,
}

pub fn audit_insert(c: &Connection, a: &AuditRow) -> ApiResult<()> {
    c.prepare_cached(
        "INSERT INTO audit(org_id, at, number, contact, channel, actor, action, from_state,
            to_state, evidence, request_text, provider_message_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        a.org_id,
        a.at,
        a.number,
        a.contact,
        a.channel,
        a.actor,
        a.action,
        a.from_state,
        a.to_state,
        a.evidence,
        a.request_text,
        a.provider_message_id
    ])?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub contact: Option<String>,
    pub number: Option<String>,
    pub channel: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// Audit records of `org` in id order (oldest first), after `after_id`.
pub fn audit_query(c: &Connection, org: i64, f: &AuditFilter) -> ApiResult<Vec<AuditRow>> {
    let mut st = c.prepare_cached(
        "SELECT id, org_id, at, number, contact, channel, actor, action, from_state, to_state,
                evidence, request_text, provider_message_id FROM audit
         WHERE org_id = ?1 AND (?2 IS NULL OR contact = ?2) AND (?3 IS NULL OR number = ?3)
           AND (?4 IS NULL OR channel = ?4) AND (?5 IS NULL OR action = ?5)
           AND (?6 IS NULL OR at >= ?6) AND (?7 IS NULL OR at < ?7) AND (?8 IS NULL OR id > ?8)
         ORDER BY id LIMIT ?9",
    )?;
    let rows = st.query_map(
        params![org, f.contact, f.number, f.channel, f.action, f.from, f.to, f.after_id, f.limit],
        |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                org_id: r.get(1)?,
                at: r.get(2)?,
                number: r.get(3)?,
                contact: r.get(4)?,
                channel: r.get(5)?,
                actor: r.get(6)?,
                action: r.get(7)?,
                from_state: r.get(8)?,
                to_state: r.get(9)?,
                evidence: r.get(10)?,
                request_text: r.get(11)?,
                provider_message_id: r.get(12)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Count of messages stored (for tests and the load generator).
pub fn message_count(c: &Connection) -> ApiResult<i64> {
    Ok(c.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?)
}

/// The last opt-in request text sent on (number, contact, channel), from the audit.
pub fn audit_last_request(
    c: &Connection,
    org: i64,
    number: &str,
    contact: &str,
    channel: &str,
) -> ApiResult<Option<String>> {
    Ok(c.prepare_cached(
        "SELECT request_text FROM audit WHERE org_id = ?1 AND number = ?2 AND contact = ?3
             AND channel = ?4 AND request_text IS NOT NULL ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![org, number, contact, channel], |r| r.get(0))
    .optional()?)
}

/// Sets the delivery status of messages still at `from` (never goes backwards).
pub fn messages_set_status(c: &Connection, ids: &[i64], from: &str, to: &str) -> ApiResult<()> {
    let mut st =
        c.prepare_cached("UPDATE messages SET status = ?3 WHERE id = ?1 AND status = ?2")?;
    for id in ids {
        st.execute(params![id, from, to])?;
    }
    Ok(())
}

/// Marks every message still `sent` as `delivered` (the demo seed's simulator).
pub fn messages_deliver_all_sent(c: &Connection) -> ApiResult<()> {
    c.execute(
        "UPDATE messages SET status = 'delivered' WHERE status = 'sent'",
        [],
    )?;
    Ok(())
}

// --------------------------------------------------------------- providers

/// Sets a number's provider, its webhook key and its settings (JSON).
pub fn number_set_provider(
    c: &Connection,
    id: i64,
    provider: &str,
    key: Option<&str>,
    config: Option<&str>,
) -> ApiResult<()> {
    match c.execute(
        "UPDATE numbers SET provider = ?2, provider_key = ?3, provider_config = ?4 WHERE id = ?1",
        params![id, provider, key, config],
    ) {
        Ok(_) => Ok(()),
        Err(e) if unique_violation(&e) => Err(ApiError::conflict(
            "provider_key_taken",
            "Another business number already uses this phone_number_id. Each WhatsApp phone number can belong to one business number only.",
        )
        .field("provider.phone_number_id")),
        Err(e) => Err(e.into()),
    }
}

/// The number a provider's webhook names by its key (WhatsApp phone_number_id).
pub fn number_by_provider_key(
    c: &Connection,
    provider: &str,
    key: &str,
) -> ApiResult<Option<NumberRow>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE provider = ?1 AND provider_key = ?2"
    ))?
    .query_row(params![provider, key], number_row)
    .optional()?)
}

/// Every number using `provider` (few; for the WhatsApp verification handshake).
pub fn numbers_by_provider(c: &Connection, provider: &str) -> ApiResult<Vec<NumberRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE provider = ?1"
    ))?;
    let rows = st.query_map([provider], number_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Ordering of delivery statuses: a report never moves a message backwards.
pub fn status_rank(s: &str) -> i32 {
    match s {
        "queued" => 0,
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        "failed" => 4,
        _ => -1,
    }
}

/// A status applied to a stored message: (message, conversation, status, error).
pub type AppliedStatus = (i64, i64, String, Option<String>);

/// Applies a provider's delivery report to the outbound message it names.
/// Unknown message (the send answer not recorded yet): the report is kept in
/// `pending_statuses` and applied when the message gets its provider id.
pub fn status_apply(
    c: &Connection,
    provider: &str,
    pmid: &str,
    status: &str,
    error: Option<&str>,
    now: &str,
) -> ApiResult<Option<AppliedStatus>> {
    let cur = c
        .prepare_cached(
            "SELECT id, conversation_id, status FROM messages
             WHERE provider = ?1 AND provider_message_id = ?2 AND direction = 'outbound'",
        )?
        .query_row(params![provider, pmid], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    match cur {
        None => {
            c.prepare_cached(
                "INSERT INTO pending_statuses(provider, provider_message_id, status, error, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![provider, pmid, status, error, now])?;
            Ok(None)
        }
        Some((id, conv, old)) => {
            if status_rank(status) <= status_rank(&old) {
                return Ok(None);
            }
            c.prepare_cached(
                "UPDATE messages SET status = ?2, error = COALESCE(?3, error) WHERE id = ?1",
            )?
            .execute(params![id, status, error])?;
            Ok(Some((
                id,
                conv,
                status.to_string(),
                error.map(str::to_string),
            )))
        }
    }
}

/// What the sender needs to hand an outbound message to its provider.
#[derive(Debug, Clone)]
pub struct OutboundJob {
    pub message_id: i64,
    pub conversation_id: i64,
    pub body: String,
    pub status: String,
    pub channel: String,
    pub contact: String,
    pub number: NumberRow,
    pub last_inbound_at: Option<String>,
}

/// At start no sender is running, so a message still `queued` was handed
/// to no provider or its answer was lost. It is marked failed rather than
/// sent again (which could duplicate it at the provider); the agent sees why.
pub fn outbound_fail_orphaned(c: &Connection) -> ApiResult<usize> {
    Ok(c.execute(
        "UPDATE messages SET status = 'failed', error = ?1
         WHERE status = 'queued' AND direction = 'outbound'",
        ["Not sent: the server stopped before the provider confirmed it. It is not resent automatically (that could deliver it twice); send it again if needed."],
    )?)
}

/// Records a send's outcome: accepted (provider id, `sent`) or failed.
/// Returns the status reports that were waiting for this provider id.
pub fn outbound_finish(
    c: &Connection,
    message_id: i64,
    provider: &str,
    result: Result<&str, &str>,
    attempts: u32,
) -> ApiResult<Vec<(String, Option<String>)>> {
    match result {
        Ok(pmid) => {
            c.prepare_cached(
                "UPDATE messages SET provider_message_id = ?2, attempts = ?3,
                    status = CASE WHEN status = 'queued' THEN 'sent' ELSE status END
                 WHERE id = ?1",
            )?
            .execute(params![message_id, pmid, attempts])?;
            let mut st = c.prepare_cached(
                "SELECT status, error FROM pending_statuses
                 WHERE provider = ?1 AND provider_message_id = ?2 ORDER BY id",
            )?;
            let rows = st.query_map(params![provider, pmid], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let waiting: Vec<(String, Option<String>)> = rows.collect::<Result<_, _>>()?;
            if !waiting.is_empty() {
                c.prepare_cached(
                    "DELETE FROM pending_statuses WHERE provider = ?1 AND provider_message_id = ?2",
                )?
                .execute(params![provider, pmid])?;
            }
            Ok(waiting)
        }
        Err(reason) => {
            c.prepare_cached(
                "UPDATE messages SET status = 'failed', error = ?2, attempts = ?3 WHERE id = ?1",
            )?
            .execute(params![message_id, reason, attempts])?;
            Ok(Vec::new())
        }
    }
}

/// Send attempts of a message (tests, diagnostics).
pub fn message_attempts(c: &Connection, id: i64) -> ApiResult<i64> {
    Ok(
        c.prepare_cached("SELECT attempts FROM messages WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?,
    )
}

/// Inserts an inbound message not handed to the engine (unsupported type).
pub fn message_set_error(c: &Connection, id: i64, error: &str) -> ApiResult<()> {
    c.prepare_cached("UPDATE messages SET error = ?2 WHERE id = ?1")?
        .execute(params![id, error])?;
    Ok(())
}
