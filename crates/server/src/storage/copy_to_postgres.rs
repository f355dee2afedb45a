//! Moving an installation from SQLite to PostgreSQL
//! (`optline-server migrate-to-postgres`): copies every table of an SQLite
//! file into an empty PostgreSQL database, ids and audit as they are, and
//! proves the copy by counting. It owns only the one-off move; the two
//! schemas themselves belong to `migrations` and `postgres_schema`.
//!
//! The copy is all or nothing: one PostgreSQL transaction holds every
//! table, so a failure (or a count that differs) leaves the target as it
//! was. The source is read in one SQLite read transaction, a consistent
//! snapshot even if a server still writes to it. Rows travel with
//! `COPY … FROM STDIN` (text format): for the audit, the biggest table,
//! it is the fastest way in short of writing PostgreSQL's files directly.
//!
//! The insight rollups are copied as they are, so the audit and messages
//! triggers that would build them again are switched off for the copy
//! (only those two: the foreign-key checks stay on and vouch for the
//! data). Each identity sequence is then moved past the copied ids, so
//! the next conversation, message or audit row gets a fresh id.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::{migrations, postgres_schema, Location};

/// Why a copy did not happen. `Refused` is the operator's to fix (a
/// missing file, a target with data): nothing was written. `Failed` is a
/// copy that went wrong midway and was rolled back.
#[derive(Debug)]
pub enum CopyError {
    Refused(String),
    Failed(String),
}

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CopyError::Refused(m) | CopyError::Failed(m) => f.write_str(m),
        }
    }
}

/// One copied table.
#[derive(Debug, Clone)]
pub struct TableCopied {
    pub table: &'static str,
    pub rows: u64,
    pub secs: f64,
}

/// Rows copied between two progress reports of a big table.
pub const PROGRESS_EVERY: u64 = 100_000;

/// Bytes of rows gathered before they are sent (one protocol message).
const SEND_CHUNK: usize = 256 * 1024;

/// The insight triggers that would rebuild rollups the copy brings along.
const INSIGHT_TRIGGERS: &[(&str, &str)] = &[
    ("audit", "insight_audit"),
    ("messages", "insight_failed_insert"),
];

/// Copies the SQLite file `from` into the PostgreSQL database at `to`
/// (which must hold no Optline rows); answers what was copied, in order.
/// `progress(table, rows_so_far, rows_in_table)` is called every
/// [`PROGRESS_EVERY`] rows. Blocking: never call it on an async runtime
/// thread.
pub fn copy_sqlite_to_postgres(
    from: &Path,
    to: &str,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<Vec<TableCopied>, CopyError> {
    let url = match Location::parse(to) {
        Location::Postgres(url) => url,
        Location::Sqlite(_) => {
            return Err(CopyError::Refused(format!(
                "--to must be a PostgreSQL URL (postgres://user@host/database), not {to:?}"
            )))
        }
    };
    let source = open_source(from)?;
    check_source_tables(&source)?;
    let mut client = postgres_schema::connect(&url).map_err(CopyError::Refused)?;
    postgres_schema::migrate(&mut client).map_err(CopyError::Failed)?;
    check_versions(&mut client)?;

    // A snapshot of the source for the whole copy (counts included).
    source.execute_batch("BEGIN").map_err(sqlite_failed)?;
    let mut tx = client.transaction().map_err(pg_failed("begin"))?;
    lock_target(&mut tx)?;
    refuse_rows(&mut tx, &url)?;
    set_insight_triggers(&mut tx, false)?;
    let mut copied = Vec::new();
    for &table in postgres_schema::TABLES {
        let started = Instant::now();
        let total = count_sqlite(&source, table)?;
        let rows = copy_table(&source, &mut tx, table, total, &mut progress)?;
        copied.push(TableCopied {
            table,
            rows,
            secs: started.elapsed().as_secs_f64(),
        });
    }
    set_insight_triggers(&mut tx, true)?;
    reset_sequences(&mut tx)?;
    verify_counts(&source, &mut tx)?;
    tx.commit().map_err(pg_failed("commit"))?;
    let _ = source.execute_batch("COMMIT");
    Ok(copied)
}

/// The source file, brought to the latest SQLite version (so both sides
/// have the same columns). Never created: a mistyped path is an error.
fn open_source(from: &Path) -> Result<Connection, CopyError> {
    if !from.is_file() {
        return Err(CopyError::Refused(format!(
            "no database file at {}: --from names the SQLite file the server used (its --db)",
            from.display()
        )));
    }
    let refused = |e: rusqlite::Error| {
        CopyError::Refused(format!(
            "cannot read {} as an Optline SQLite database: {e}",
            from.display()
        ))
    };
    let mut c =
        Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(refused)?;
    c.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(refused)?;
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(refused)?;
    if version > migrations::latest_version() {
        return Err(CopyError::Refused(format!(
            "{} is at schema version {version}, newer than this optline-server ({}): \
             copy it with the newer version",
            from.display(),
            migrations::latest_version()
        )));
    }
    migrations::migrate(&mut c).map_err(refused)?;
    Ok(c)
}

/// Every table of the source must be one the copy knows: an unknown one
/// would be left behind silently.
fn check_source_tables(source: &Connection) -> Result<(), CopyError> {
    let tables: Vec<String> = source
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(sqlite_failed)?;
    let unknown: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|t| {
            !postgres_schema::TABLES.contains(t) && !postgres_schema::PROCESS_TABLES.contains(t)
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(CopyError::Refused(format!(
        "the SQLite database has table(s) this optline-server does not know how to copy: {}",
        unknown.join(", ")
    )))
}

/// Both schemas must be at the same version, or columns would not line up.
fn check_versions(client: &mut postgres::Client) -> Result<(), CopyError> {
    let target = postgres_schema::version(client).map_err(CopyError::Failed)?;
    let source = migrations::latest_version();
    if target == source {
        return Ok(());
    }
    Err(CopyError::Refused(format!(
        "the PostgreSQL database is at schema version {target}, the SQLite one at {source}: \
         run the same optline-server version on both"
    )))
}

/// No other session may add rows until the copy commits (a server started
/// on the target meanwhile waits for it).
fn lock_target(tx: &mut postgres::Transaction<'_>) -> Result<(), CopyError> {
    let tables = postgres_schema::TABLES.join(", ");
    tx.batch_execute(&format!("LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE"))
        .map_err(pg_failed("lock the target tables"))
}

/// The target must hold no Optline rows (its schema may exist).
fn refuse_rows(tx: &mut postgres::Transaction<'_>, url: &str) -> Result<(), CopyError> {
    for table in postgres_schema::TABLES {
        let any: bool = tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
            .map_err(pg_failed(table))?
            .get(0);
        if any {
            return Err(CopyError::Refused(format!(
                "the PostgreSQL database {} is not empty (table {table} has rows): \
                 copy into a new database (CREATE DATABASE …) so nothing is overwritten",
                postgres_schema::redact(url)
            )));
        }
    }
    Ok(())
}

/// Switches the insight triggers off for the copy and on again after it
/// (inside the transaction: a rollback switches them back too).
fn set_insight_triggers(tx: &mut postgres::Transaction<'_>, on: bool) -> Result<(), CopyError> {
    let verb = if on { "ENABLE" } else { "DISABLE" };
    for (table, trigger) in INSIGHT_TRIGGERS {
        tx.batch_execute(&format!("ALTER TABLE {table} {verb} TRIGGER {trigger}"))
            .map_err(pg_failed(trigger))?;
    }
    Ok(())
}

/// The table's column names as the SQLite file has them (later
/// migrations' columns included), quoted.
fn columns(source: &Connection, table: &str) -> Result<Vec<String>, CopyError> {
    source
        .prepare(&format!("PRAGMA table_info({table})"))
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(1))?
                .map(|c| c.map(|c| format!("\"{}\"", c.replace('"', "\"\""))))
                .collect()
        })
        .map_err(sqlite_failed)
}

fn count_sqlite(source: &Connection, table: &str) -> Result<u64, CopyError> {
    source
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
        .map_err(sqlite_failed)
}

/// Streams one table's rows into `COPY … FROM STDIN`; the rows copied.
fn copy_table(
    source: &Connection,
    tx: &mut postgres::Transaction<'_>,
    table: &str,
    total: u64,
    progress: &mut impl FnMut(&str, u64, u64),
) -> Result<u64, CopyError> {
    let cols = columns(source, table)?.join(", ");
    let failed = |e: String| CopyError::Failed(format!("copying table {table}: {e}"));
    let mut writer = tx
        .copy_in(&format!("COPY {table} ({cols}) FROM STDIN"))
        .map_err(|e| failed(pg_text(&e)))?;
    let mut stmt = source
        .prepare(&format!("SELECT {cols} FROM {table}"))
        .map_err(sqlite_failed)?;
    let width = stmt.column_count();
    let mut rows = stmt.query([]).map_err(sqlite_failed)?;
    let mut buf = Vec::with_capacity(SEND_CHUNK + 4096);
    let mut n = 0u64;
    while let Some(row) = rows.next().map_err(sqlite_failed)? {
        for i in 0..width {
            if i > 0 {
                buf.push(b'\t');
            }
            encode(row.get_ref(i).map_err(sqlite_failed)?, &mut buf);
        }
        buf.push(b'\n');
        n += 1;
        if buf.len() >= SEND_CHUNK {
            writer.write_all(&buf).map_err(|e| failed(e.to_string()))?;
            buf.clear();
        }
        if n.is_multiple_of(PROGRESS_EVERY) {
            progress(table, n, total);
        }
    }
    writer.write_all(&buf).map_err(|e| failed(e.to_string()))?;
    let written = writer.finish().map_err(|e| failed(pg_text(&e)))?;
    if written != n {
        return Err(failed(format!(
            "read {n} rows but PostgreSQL took {written}"
        )));
    }
    Ok(n)
}

/// One value in COPY's text format: `\N` for NULL; backslash, tab,
/// newline and carriage return escaped; bytes as bytea hex.
fn encode(v: ValueRef<'_>, out: &mut Vec<u8>) {
    match v {
        ValueRef::Null => out.extend_from_slice(b"\\N"),
        ValueRef::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        ValueRef::Real(f) if f.is_nan() => out.extend_from_slice(b"NaN"),
        ValueRef::Real(f) if f.is_infinite() => {
            out.extend_from_slice(if f > 0.0 { b"Infinity" } else { b"-Infinity" })
        }
        // Rust's shortest round-trip form: the same double arrives.
        ValueRef::Real(f) => {
            let _ = write!(out, "{f:?}");
        }
        ValueRef::Text(t) => escape(t, out),
        ValueRef::Blob(b) => {
            out.extend_from_slice(b"\\\\x");
            out.extend_from_slice(hex::encode(b).as_bytes());
        }
    }
}

fn escape(text: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// Moves every identity sequence past the largest copied id.
fn reset_sequences(tx: &mut postgres::Transaction<'_>) -> Result<(), CopyError> {
    for table in postgres_schema::ID_TABLES {
        tx.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             COALESCE(MAX(id), 0) + 1, false) FROM {table}"
        ))
        .map_err(pg_failed(table))?;
    }
    Ok(())
}

/// Every table holds as many rows as the source's: otherwise the
/// transaction is dropped (rolled back).
fn verify_counts(source: &Connection, tx: &mut postgres::Transaction<'_>) -> Result<(), CopyError> {
    for table in postgres_schema::TABLES {
        let want = count_sqlite(source, table)?;
        let got: i64 = tx
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
            .map_err(pg_failed(table))?
            .get(0);
        if got as u64 != want {
            return Err(CopyError::Failed(format!(
                "table {table}: {want} rows in SQLite but {got} in PostgreSQL; nothing was committed"
            )));
        }
    }
    Ok(())
}

fn sqlite_failed(e: rusqlite::Error) -> CopyError {
    CopyError::Failed(format!("reading the SQLite database failed: {e}"))
}

/// PostgreSQL's own message (with its detail), not the driver's summary.
fn pg_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

fn pg_failed(what: &str) -> impl Fn(postgres::Error) -> CopyError + '_ {
    move |e| CopyError::Failed(format!("PostgreSQL failed at {what}: {}", pg_text(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(v: ValueRef<'_>) -> String {
        let mut out = Vec::new();
        encode(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_take_copys_text_form() {
        assert_eq!(encoded(ValueRef::Null), "\\N");
        assert_eq!(encoded(ValueRef::Integer(-42)), "-42");
        assert_eq!(encoded(ValueRef::Real(0.1)), "0.1");
        assert_eq!(encoded(ValueRef::Real(f64::NEG_INFINITY)), "-Infinity");
        assert_eq!(
            encoded(ValueRef::Text(b"a\tb\nc\\d\re")),
            "a\\tb\\nc\\\\d\\re"
        );
        assert_eq!(encoded(ValueRef::Text("¿sí? 😬".as_bytes())), "¿sí? 😬");
        assert_eq!(encoded(ValueRef::Blob(&[0, 255])), "\\\\x00ff");
    }

    #[test]
    fn a_missing_file_is_refused_and_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.sqlite");
        let r = copy_sqlite_to_postgres(&path, "postgres://x@127.0.0.1:1/none", |_, _, _| {});
        assert!(
            matches!(&r, Err(CopyError::Refused(m)) if m.contains("no database file")),
            "{r:?}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "not a database, just some notes ".repeat(100)).unwrap();
        let r = copy_sqlite_to_postgres(&path, "postgres://x@127.0.0.1:1/none", |_, _, _| {});
        assert!(
            matches!(&r, Err(CopyError::Refused(m)) if m.contains("cannot read") && m.contains("notes.txt")),
            "{r:?}"
        );
    }

    #[test]
    fn a_target_that_is_not_postgres_is_refused() {
        let r = copy_sqlite_to_postgres(Path::new("a.sqlite"), "b.sqlite", |_, _, _| {});
        assert!(
            matches!(&r, Err(CopyError::Refused(m)) if m.contains("--to")),
            "{r:?}"
        );
    }

    #[test]
    fn the_copy_knows_every_table_of_the_latest_sqlite_schema() {
        let mut c = Connection::open_in_memory().unwrap();
        migrations::migrate(&mut c).unwrap();
        check_source_tables(&c).unwrap();
        c.execute_batch("CREATE TABLE extra(x)").unwrap();
        let r = check_source_tables(&c);
        assert!(
            matches!(&r, Err(CopyError::Refused(m)) if m.contains("extra")),
            "{r:?}"
        );
    }
}
