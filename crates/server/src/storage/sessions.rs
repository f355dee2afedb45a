//! Login sessions: a hash of the cookie token, the user, expiry.

use rusqlite::{params, Connection, OptionalExtension};

use super::users::user_row;
use super::{StorageResult, UserRow};

pub fn session_insert(
    c: &Connection,
    token_hash: &str,
    user: i64,
    now: &str,
    expires: &str,
) -> StorageResult<()> {
    c.prepare_cached(
        "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![token_hash, user, now, expires])?;
    Ok(())
}

/// The active user of a non-expired session.
pub fn session_user(c: &Connection, token_hash: &str, now: &str) -> StorageResult<Option<UserRow>> {
    Ok(c.prepare_cached(
        "SELECT u.id, u.org_id, u.lob_id, u.email, u.name, u.role, u.password_hash, u.active
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.active = 1",
    )?
    .query_row(params![token_hash, now], user_row)
    .optional()?)
}

pub fn session_delete(c: &Connection, token_hash: &str) -> StorageResult<()> {
    c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}
