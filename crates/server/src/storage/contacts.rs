//! Contacts (the clients), per organization, with their time zone.

use super::sql::{params, Conn, OptionalExtension, Row};

use super::StorageResult;

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub id: i64,
    pub e164: String,
    pub name: Option<String>,
    pub tz: String,
}

/// Finds or creates the contact `e164` in `org`. A given name overwrites the
/// stored one; `tz` (zones separated by spaces) is used only when the
/// contact is created — an existing contact's zone changes only through
/// [`contact_set_time_zone`].
pub fn contact_upsert(
    c: &Conn,
    org: i64,
    e164: &str,
    name: Option<&str>,
    tz: &str,
) -> StorageResult<ContactRow> {
    match contact_by_e164(c, org, e164)? {
        Some(mut row) => {
            if let Some(n) = name {
                c.execute(
                    "UPDATE contacts SET name = ?2 WHERE id = ?1",
                    params![row.id, n],
                )?;
                row.name = Some(n.to_string());
            }
            Ok(row)
        }
        None => {
            // Another server process may create the same contact at the
            // same moment (PostgreSQL): then its row is the one.
            let id = c
                .insert(
                    "INSERT INTO contacts(org_id, e164, name, tz) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (org_id, e164) DO NOTHING",
                    params![org, e164, name, tz],
                )
                .optional()?;
            match id {
                Some(id) => Ok(ContactRow {
                    id,
                    e164: e164.to_string(),
                    name: name.map(str::to_string),
                    tz: tz.to_string(),
                }),
                None => contact_by_e164(c, org, e164)?.ok_or(super::StorageError::NoRow),
            }
        }
    }
}

/// The contact `e164` of `org`, if stored.
pub fn contact_by_e164(c: &Conn, org: i64, e164: &str) -> StorageResult<Option<ContactRow>> {
    c.prepare_cached("SELECT id, e164, name, tz FROM contacts WHERE org_id = ?1 AND e164 = ?2")?
        .query_row(params![org, e164], contact_row)
        .optional()
}

/// The contact `id` of `org`, if stored (another organization's is `None`).
pub fn contact_by_id(c: &Conn, org: i64, id: i64) -> StorageResult<Option<ContactRow>> {
    c.prepare_cached("SELECT id, e164, name, tz FROM contacts WHERE org_id = ?1 AND id = ?2")?
        .query_row(params![org, id], contact_row)
        .optional()
}

fn contact_row(r: &Row) -> StorageResult<ContactRow> {
    Ok(ContactRow {
        id: r.get(0)?,
        e164: r.get(1)?,
        name: r.get(2)?,
        tz: r.get(3)?,
    })
}

/// Replaces a contact's zones (an admin's decision; the caller audits it).
pub fn contact_set_time_zone(c: &Conn, id: i64, tz: &str) -> StorageResult<()> {
    c.prepare_cached("UPDATE contacts SET tz = ?2 WHERE id = ?1")?
        .execute(params![id, tz])?;
    Ok(())
}

pub fn contact_id_by_e164(c: &Conn, org: i64, e164: &str) -> StorageResult<Option<i64>> {
    c.prepare_cached("SELECT id FROM contacts WHERE org_id = ?1 AND e164 = ?2")?
        .query_row(params![org, e164], |r| r.get(0))
        .optional()
}
