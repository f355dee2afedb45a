//! Login sessions: a hash of the cookie token, the user, expiry, and when
//! the session was last used (for the idle timeout).

use super::sql::{params, Conn, OptionalExtension};

use super::users::user_row;
use super::{StorageResult, UserRow};

pub fn session_insert(
    c: &Conn,
    token_hash: &str,
    user: i64,
    now: &str,
    expires: &str,
) -> StorageResult<()> {
    c.prepare_cached(
        "INSERT INTO sessions(token_hash, user_id, created_at, expires_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?3)",
    )?
    .execute(params![token_hash, user, now, expires])?;
    Ok(())
}

/// The active user of a session that has neither expired nor been idle
/// since `idle_since`, with the session's `last_seen_at`.
pub fn session_user(
    c: &Conn,
    token_hash: &str,
    now: &str,
    idle_since: &str,
) -> StorageResult<Option<(UserRow, String)>> {
    c.prepare_cached(
        "SELECT u.id, u.org_id, u.lob_id, u.email, u.name, u.role, u.password_hash, u.active,
                s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3
               AND u.active = 1",
    )?
    .query_row(params![token_hash, now, idle_since], |r| {
        Ok((user_row(r)?, r.get(8)?))
    })
    .optional()
}

/// Marks the session used now (the caller rate-limits this).
pub fn session_touch(c: &Conn, token_hash: &str, now: &str) -> StorageResult<()> {
    c.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1")?
        .execute(params![token_hash, now])?;
    Ok(())
}

pub fn session_delete(c: &Conn, token_hash: &str) -> StorageResult<()> {
    c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

/// Ends every session of `user` except `keep` (the caller's own, when a
/// user changes their own password); returns the ended token hashes so
/// their live streams can be closed.
pub fn sessions_delete_user(c: &Conn, user: i64, keep: Option<&str>) -> StorageResult<Vec<String>> {
    let mut st = c.prepare_cached(
        "DELETE FROM sessions WHERE user_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR token_hash <> ?2) RETURNING token_hash",
    )?;
    let rows = st.query_map(params![user, keep], |r| r.get(0))?;
    rows.collect::<Result<_, _>>()
}

/// Deletes sessions that expired or went idle; returns their token hashes.
pub fn sessions_prune(c: &Conn, now: &str, idle_since: &str) -> StorageResult<Vec<String>> {
    let mut st = c.prepare_cached(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2 RETURNING token_hash",
    )?;
    let rows = st.query_map(params![now, idle_since], |r| r.get(0))?;
    rows.collect::<Result<_, _>>()
}
