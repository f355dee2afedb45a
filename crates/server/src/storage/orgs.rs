//! Organizations and their lines of business.

use super::sql::{params, Conn, OptionalExtension, NO_PARAMS};

use super::StorageResult;

pub fn org_count(c: &Conn) -> StorageResult<i64> {
    c.query_row("SELECT COUNT(*) FROM organizations", NO_PARAMS, |r| {
        r.get(0)
    })
}

pub fn org_insert(c: &Conn, name: &str, now: &str) -> StorageResult<i64> {
    c.insert(
        "INSERT INTO organizations(name, created_at) VALUES (?1, ?2)",
        params![name, now],
    )
}

pub fn org_name(c: &Conn, org: i64) -> StorageResult<String> {
    c.prepare_cached("SELECT name FROM organizations WHERE id = ?1")?
        .query_row([org], |r| r.get(0))
}

pub fn lob_insert(c: &Conn, org: i64, name: &str) -> StorageResult<i64> {
    c.insert(
        "INSERT INTO lines_of_business(org_id, name) VALUES (?1, ?2)",
        params![org, name],
    )
}

pub fn lobs_in_org(c: &Conn, org: i64) -> StorageResult<Vec<(i64, String)>> {
    let mut st =
        c.prepare_cached("SELECT id, name FROM lines_of_business WHERE org_id = ?1 ORDER BY id")?;
    let rows = st.query_map([org], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect::<Result<_, _>>()
}

pub fn lob_in_org(c: &Conn, org: i64, lob: i64) -> StorageResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM lines_of_business WHERE id = ?1 AND org_id = ?2")?
            .query_row(params![lob, org], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}
