//! Contacts (the clients), per organization, with their time zone.

use rusqlite::{params, Connection, OptionalExtension};

use super::StorageResult;

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
) -> StorageResult<ContactRow> {
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

pub fn contact_id_by_e164(c: &Connection, org: i64, e164: &str) -> StorageResult<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT id FROM contacts WHERE org_id = ?1 AND e164 = ?2")?
            .query_row(params![org, e164], |r| r.get(0))
            .optional()?,
    )
}
