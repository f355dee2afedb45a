//! Users (agents and admins) of an organization.

use super::sql::{params, Conn, OptionalExtension, Row};

use optline_api::Role;

use super::{taken_or, text_enum, StorageResult, Taken};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub lob_id: Option<i64>,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
}

const USER_COLS: &str = "id, org_id, lob_id, email, name, role, password_hash, active";

pub(crate) fn user_row(r: &Row) -> StorageResult<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        lob_id: r.get(2)?,
        email: r.get(3)?,
        name: r.get(4)?,
        role: text_enum(r, 5, Role::parse)?,
        password_hash: r.get(6)?,
        active: r.get(7)?,
    })
}

pub struct NewUser<'a> {
    pub org_id: i64,
    pub lob_id: Option<i64>,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

pub fn user_insert(c: &Conn, u: &NewUser, now: &str) -> StorageResult<i64> {
    match c.insert(
        "INSERT INTO users(org_id, lob_id, email, name, role, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            u.org_id,
            u.lob_id,
            u.email,
            u.name,
            u.role.as_str(),
            u.password_hash,
            now
        ],
    ) {
        Ok(id) => Ok(id),
        Err(e) => Err(taken_or(e, Taken::Email)),
    }
}

pub fn user_by_email(c: &Conn, email: &str) -> StorageResult<Option<UserRow>> {
    c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE email = ?1"))?
        .query_row([email], user_row)
        .optional()
}

pub fn user_by_id(c: &Conn, id: i64) -> StorageResult<Option<UserRow>> {
    c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
        .query_row([id], user_row)
        .optional()
}

pub fn users_in_org(c: &Conn, org: i64) -> StorageResult<Vec<UserRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {USER_COLS} FROM users WHERE org_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([org], user_row)?;
    rows.collect::<Result<_, _>>()
}

pub fn admin_ids(c: &Conn, org: i64) -> StorageResult<Vec<i64>> {
    let mut st = c.prepare_cached(
        "SELECT id FROM users WHERE org_id = ?1 AND role = 'admin' AND active = 1",
    )?;
    let rows = st.query_map([org], |r| r.get(0))?;
    rows.collect::<Result<_, _>>()
}

pub fn user_update(
    c: &Conn,
    id: i64,
    name: Option<&str>,
    password_hash: Option<&str>,
    active: Option<bool>,
    lob_id: Option<i64>,
) -> StorageResult<()> {
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
