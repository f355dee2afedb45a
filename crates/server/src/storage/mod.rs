//! All SQL lives here: this module owns the connections and the writers;
//! its children own one table group each and return typed rows (enums, not
//! strings) and [`StorageError`]. The database is an SQLite file or a
//! PostgreSQL database ([`Location`]); [`sql::Conn`] gives both one SQL
//! interface, so the layers above do not know which.
//!
//! Writes go through dedicated writer threads, each owning a writing
//! connection and practising *group commit*: it takes every write job
//! waiting in the queue, runs each inside its own SAVEPOINT of one
//! transaction, commits once, and only then answers each job. A job that
//! fails is rolled back to its savepoint and does not disturb the others; a
//! job that another transaction made fail (a deadlock victim, a lost
//! connection) runs again in the next batch, and the batch commits there so
//! the other transaction stops waiting for its locks. SQLite has one
//! writer, so its writes are serialised (which makes races such as two
//! agents claiming one WhatsApp contact atomic); on PostgreSQL, where
//! several writers and several server processes write at once, the rows a
//! job changes are locked as it reads them (see `conversations::conversation_row`). A busy
//! server commits thousands of requests per fsync. Reads use a small pool of
//! read connections (SQLite's WAL lets them run beside the writer).

pub mod audit;
pub mod contacts;
pub mod conversations;
pub mod copy_to_postgres;
mod error;
pub mod flows;
pub mod insights;
pub mod messages;
pub mod migrations;
pub mod numbers;
pub mod orgs;
pub mod postgres_schema;
pub mod sessions;
pub mod sql;
pub mod users;
pub mod webhooks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

pub use audit::*;
pub use contacts::*;
pub use conversations::*;
pub(crate) use error::{taken_or, text_enum, unique_violation};
pub use error::{StorageError, StorageResult, Taken};
pub use flows::*;
pub use insights::*;
pub use messages::*;
pub use numbers::*;
pub use orgs::*;
pub use sessions::*;
pub use sql::{Backend, Conn};
pub use users::*;
pub use webhooks::*;

type Completion = Box<dyn FnOnce(bool) + Send>;
type Job = Box<dyn FnMut(Option<&Conn>) -> Attempt + Send>;

/// How one run of a job ended.
enum Attempt {
    /// Whether it succeeded, and what to do once the batch is (or is not)
    /// committed.
    Done(bool, Completion),
    /// Another server process's concurrent transaction made it fail
    /// (PostgreSQL chose it as a deadlock's victim): its savepoint is rolled
    /// back and it runs again in the next batch, after this batch's locks
    /// are released.
    Retry,
}

/// Runs of one job before a transient failure is answered as an error.
const MAX_TRIES: u32 = 5;

/// This server process's name among the processes sharing a database:
/// random, new at every start (a restarted process is a new one).
pub fn process_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).expect("the system's random source");
        hex::encode(b)
    })
}

/// Maximum number of jobs committed together.
const MAX_BATCH: usize = 512;
/// Jobs waiting for the writer before new writes are turned away (503):
/// a bounded queue keeps memory and latency bounded under overload.
pub const DEFAULT_QUEUE: usize = 20_000;
/// Writer connections per process on PostgreSQL. Each runs its own group
/// commit; rows are locked as they are changed, so they can run side by
/// side, and more of them keep more transactions in flight while each
/// waits for the network (measured in the server README).
pub const DEFAULT_POSTGRES_WRITERS: usize = 4;
/// Read connections kept for reuse.
const READERS_KEPT: usize = 8;

/// Where the data lives: an SQLite file (the default), or a PostgreSQL
/// database that several server processes may share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is
    /// an SQLite file path.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_string())
        } else {
            Location::Sqlite(PathBuf::from(s))
        }
    }

    /// For messages: the file, or the database without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => postgres_schema::redact(url),
        }
    }
}

#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

struct DbInner {
    writer: Mutex<mpsc::SyncSender<Job>>,
    readers: Mutex<Vec<Conn>>,
    location: Location,
    /// Whether the last batch committed (health answers 503 otherwise).
    writes_ok: Arc<AtomicBool>,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_prepared_statement_cache_capacity(256);
    // Stable plans: never re-prepare a cached statement because of a bound value.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

impl Db {
    /// Opens (creating it and its parent folders if needed) and migrates.
    pub fn open(path: &Path) -> Result<Db, String> {
        Db::open_at(&Location::Sqlite(path.to_path_buf()), DEFAULT_QUEUE)
    }

    /// Like [`Db::open`] with at most `queue` writes waiting.
    pub fn open_with_queue(path: &Path, queue: usize) -> Result<Db, String> {
        Db::open_at(&Location::Sqlite(path.to_path_buf()), queue)
    }

    /// Opens either backend and migrates it.
    pub fn open_at(location: &Location, queue: usize) -> Result<Db, String> {
        Db::open_with_writers(location, queue, DEFAULT_POSTGRES_WRITERS)
    }

    /// Like [`Db::open_at`] with `writers` writer connections on
    /// PostgreSQL (SQLite always has one).
    pub fn open_with_writers(
        location: &Location,
        queue: usize,
        writers: usize,
    ) -> Result<Db, String> {
        let writers = match location {
            Location::Sqlite(_) => 1,
            Location::Postgres(_) => writers.clamp(1, 64),
        };
        let (tx, rx) = mpsc::sync_channel::<Job>(queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let writes_ok = Arc::new(AtomicBool::new(true));
        // Each writer thread opens its own connection: the blocking
        // PostgreSQL client must never start inside the async runtime.
        // The first one migrates; the others start once it has.
        for n in 0..writers {
            let (opened_tx, opened_rx) = mpsc::sync_channel::<Result<(), String>>(1);
            let (at, rx, ok) = (location.clone(), rx.clone(), writes_ok.clone());
            std::thread::Builder::new()
                .name(format!("optline-db-writer-{n}"))
                .spawn(move || {
                    let conn = match open_writer(&at) {
                        Ok(c) => c,
                        Err(e) => {
                            let _ = opened_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = opened_tx.send(Ok(()));
                    let _exit = ExitIfWriterDies;
                    writer_loop(conn, &at, &rx, &ok)
                })
                .map_err(|e| e.to_string())?;
            opened_rx
                .recv()
                .map_err(|_| "the database writer stopped while opening".to_string())??;
        }
        Ok(Db {
            inner: Arc::new(DbInner {
                writer: Mutex::new(tx),
                readers: Mutex::new(Vec::new()),
                location: location.clone(),
                writes_ok,
            }),
        })
    }

    /// Which backend this database is.
    pub fn backend(&self) -> Backend {
        match self.inner.location {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }

    /// Where the data lives.
    pub fn location(&self) -> &Location {
        &self.inner.location
    }

    /// Whether writes are succeeding (the last batch committed).
    pub fn writes_ok(&self) -> bool {
        self.inner.writes_ok.load(Ordering::Relaxed)
    }

    /// Runs `f` in the writer's transaction (its own savepoint); answers
    /// after the commit. `f`'s error rolls back its savepoint only.
    pub async fn write<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnMut(&Conn) -> Result<R, E> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<R, E>>();
        let mut tx = Some(tx);
        let mut f = f;
        let mut tries = 0;
        let job: Job = Box::new(move |conn| {
            let r = match conn {
                Some(conn) => f(conn),
                None => Err(StorageError::Writer("could not start a transaction").into()),
            };
            tries += 1;
            if r.is_err() && tries < MAX_TRIES && conn.is_some_and(Conn::take_transient_failure) {
                return Attempt::Retry;
            }
            let ok = r.is_ok();
            let tx = tx.take();
            Attempt::Done(
                ok,
                Box::new(move |committed| {
                    let r = match r {
                        Ok(_) if !committed => Err(StorageError::Writer("could not commit").into()),
                        r => r,
                    };
                    if let Some(tx) = tx {
                        let _ = tx.send(r);
                    }
                }),
            )
        });
        self.inner
            .writer
            .lock()
            .map_err(|_| StorageError::Writer("poisoned"))?
            .try_send(job)
            .map_err(|e| match e {
                mpsc::TrySendError::Full(_) => StorageError::Busy,
                mpsc::TrySendError::Disconnected(_) => StorageError::Writer("stopped"),
            })?;
        rx.await
            .map_err(|_| StorageError::Writer("dropped the job"))?
    }

    /// Runs `f` on a pooled read connection in a blocking thread.
    pub async fn read<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnOnce(&Conn) -> Result<R, E> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().ok().and_then(|mut v| v.pop());
            let conn = match pooled {
                Some(c) => c,
                None => open_reader(&inner.location)?,
            };
            let r = f(&conn);
            let reusable = match &conn {
                Conn::Sqlite(_) => true,
                Conn::Postgres(p) => !p.is_closed(),
            };
            if let (true, Ok(mut v)) = (reusable, inner.readers.lock()) {
                if v.len() < READERS_KEPT {
                    v.push(conn);
                }
            }
            r
        })
        .await
        .map_err(|_| StorageError::Writer("a read task panicked"))?
    }
}

/// The writer's connection, migrated.
fn open_writer(location: &Location) -> Result<Conn, String> {
    Ok(match location {
        Location::Sqlite(path) => Conn::Sqlite(open_sqlite_writer(path)?),
        Location::Postgres(url) => {
            let mut client = postgres_schema::connect(url)?;
            postgres_schema::migrate(&mut client)?;
            Conn::Postgres(sql::PgConn::writer(client))
        }
    })
}

/// The one writing SQLite connection: WAL, migrated, with a checkpointer
/// beside it.
fn open_sqlite_writer(path: &Path) -> Result<Connection, String> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
    }
    let mut conn = Connection::open(path).map_err(|e| e.to_string())?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    configure(&conn).map_err(|e| e.to_string())?;
    // 32 MiB page cache for the writer (the hot pages of every table).
    conn.pragma_update(None, "cache_size", -32768)
        .map_err(|e| e.to_string())?;
    // The writer never checkpoints itself (that stalls every request
    // queued behind it); a background connection does, see below.
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| e.to_string())?;
    migrations::migrate(&mut conn).map_err(|e| format!("migration failed: {e}"))?;
    spawn_checkpointer(path.to_path_buf())?;
    Ok(conn)
}

/// A read connection: read-only for SQLite (WAL lets it run beside the
/// writer), an ordinary session for PostgreSQL.
fn open_reader(location: &Location) -> StorageResult<Conn> {
    match location {
        Location::Sqlite(path) => {
            let c = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            c.set_prepared_statement_cache_capacity(256);
            c.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )?;
            Ok(Conn::Sqlite(c))
        }
        Location::Postgres(url) => {
            let client = postgres_schema::connect(url)
                .map_err(|_| StorageError::Writer("could not connect to PostgreSQL for a read"))?;
            Ok(Conn::Postgres(sql::PgConn::new(client)))
        }
    }
}

/// Copies the WAL back into the database from its own connection, beside
/// the writer: passive checkpoints every 200 ms, and a blocking one only
/// when the WAL has grown past 64 MiB despite them.
fn spawn_checkpointer(path: std::path::PathBuf) -> Result<(), String> {
    let conn = Connection::open(&path).map_err(|e| e.to_string())?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let wal = {
        let mut p = path.into_os_string();
        p.push("-wal");
        std::path::PathBuf::from(p)
    };
    std::thread::Builder::new()
        .name("optline-db-checkpoint".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let big = std::fs::metadata(&wal)
                .map(|m| m.len() > 64 << 20)
                .unwrap_or(false);
            let mode = if big { "RESTART" } else { "PASSIVE" };
            let _ = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()));
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn exec_cached(conn: &Conn, sql: &str) -> StorageResult<()> {
    conn.prepare_cached(sql)?.execute(sql::NO_PARAMS)?;
    Ok(())
}

/// How the writer opens its transaction: SQLite takes the write lock at
/// once; PostgreSQL locks rows as the jobs touch them.
fn begin_sql(conn: &Conn) -> &'static str {
    match conn.backend() {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    }
}

/// Jobs and commits so far (for the load generator's report).
pub static JOBS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
pub static COMMITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The writer owns the only writing connection; if its thread ever dies
/// outside a job (a bug), every write would fail while reads still work.
/// Better to stop the process with a non-zero status so a supervisor
/// restarts it on a fresh writer.
struct ExitIfWriterDies;

impl Drop for ExitIfWriterDies {
    fn drop(&mut self) {
        if std::thread::panicking() {
            tracing::error!("the database writer died; exiting so the service restarts");
            std::process::exit(70);
        }
    }
}

/// Runs one job; a panic inside it is that job's failure only (its
/// savepoint is rolled back and it is answered with an error).
fn run_job(job: &mut Job, conn: Option<&Conn>) -> Attempt {
    match catch_unwind(AssertUnwindSafe(|| job(conn))) {
        Ok(a) => a,
        Err(_) => {
            tracing::error!("a write job panicked; it was rolled back");
            Attempt::Done(false, Box::new(|_| {}))
        }
    }
}

fn writer_loop(
    mut conn: Conn,
    at: &Location,
    rx: &Mutex<mpsc::Receiver<Job>>,
    writes_ok: &AtomicBool,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut again: Vec<Job> = Vec::new();
    loop {
        reconnect_if_lost(&mut conn, at);
        batch.append(&mut again);
        {
            // One writer takes what waits; the others wait their turn.
            let Ok(rx) = rx.lock() else { return };
            if batch.is_empty() {
                match rx.recv() {
                    Ok(j) => batch.push(j),
                    Err(_) => return,
                }
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => batch.push(j),
                    Err(_) => break,
                }
            }
        }
        let mut completions: Vec<Completion> = Vec::with_capacity(batch.len());
        let began = exec_cached(&conn, begin_sql(&conn)).is_ok();
        let mut jobs = batch.drain(..);
        while let Some(mut job) = jobs.next() {
            if !began || exec_cached(&conn, "SAVEPOINT job").is_err() {
                if let Attempt::Done(_, done) = run_job(&mut job, None) {
                    completions.push(done);
                }
                continue;
            }
            match run_job(&mut job, Some(&conn)) {
                Attempt::Done(true, done) => {
                    let _ = exec_cached(&conn, "RELEASE job");
                    completions.push(done);
                }
                Attempt::Done(false, done) => {
                    rollback_job(&conn);
                    completions.push(done);
                }
                Attempt::Retry => {
                    rollback_job(&conn);
                    again.push(job);
                    // The deadlock's other side waits for this transaction's
                    // locks: commit now and run the rest of the batch in the
                    // next one. Running on would keep those locks held and
                    // let each further conflict cost another deadlock
                    // timeout (a webhook storm on four writers once waited
                    // over 30 s).
                    again.extend(jobs.by_ref());
                    break;
                }
            }
        }
        let committed = began && exec_cached(&conn, "COMMIT").is_ok();
        writes_ok.store(committed, Ordering::Relaxed);
        JOBS.fetch_add(
            completions.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        COMMITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if began && !committed {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for done in completions {
            done(committed);
        }
    }
}

/// A PostgreSQL server that restarted or a network cut closes the
/// writer's connection: open a new one before the next batch (until then
/// writes fail, and health answers 503).
fn reconnect_if_lost(conn: &mut Conn, at: &Location) {
    let lost = matches!(conn, Conn::Postgres(p) if p.is_closed());
    if lost {
        match open_writer(at) {
            Ok(c) => {
                tracing::warn!("the database connection was lost; reconnected");
                *conn = c;
            }
            Err(e) => tracing::error!("the database connection was lost: {e}"),
        }
    }
}

fn rollback_job(conn: &Conn) {
    let _ = exec_cached(conn, "ROLLBACK TO job");
    let _ = exec_cached(conn, "RELEASE job");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(queue: usize) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_with_queue(&dir.path().join("t.sqlite"), queue).unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_writer_goes_on() {
        let (_d, db) = db(16);
        let r: StorageResult<()> = db
            .write(|_c| -> StorageResult<()> { panic!("a bug in one job") })
            .await;
        assert!(r.is_err());
        let n: StorageResult<i64> = db.write(org_count).await;
        assert_eq!(n.unwrap(), 0, "the writer still serves");
        assert!(db.writes_ok());
    }

    #[tokio::test]
    async fn a_full_queue_turns_writes_away_at_once() {
        let (_d, db) = db(2);
        // Hold the writer busy, then fill its queue.
        let slow = db.clone();
        let hold = tokio::spawn(async move {
            slow.write(|_c| {
                std::thread::sleep(std::time::Duration::from_millis(400));
                Ok::<_, StorageError>(())
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let mut waiting = Vec::new();
        for _ in 0..2 {
            let d = db.clone();
            waiting.push(tokio::spawn(async move { d.write(org_count).await }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let r: StorageResult<i64> = db.write(org_count).await;
        assert!(matches!(r, Err(StorageError::Busy)), "{r:?}");
        hold.await.unwrap().unwrap();
        for w in waiting {
            w.await.unwrap().unwrap();
        }
    }

    #[tokio::test]
    async fn health_follows_whether_batches_commit() {
        let (_d, db) = db(16);
        // A job that ends the writer's transaction makes its COMMIT fail.
        let r: StorageResult<()> = db.write(|c| c.execute_batch("ROLLBACK")).await;
        assert!(r.is_err(), "not acknowledged: nothing was committed");
        assert!(!db.writes_ok());
        let n: StorageResult<i64> = db.write(org_count).await;
        assert_eq!(n.unwrap(), 0);
        assert!(db.writes_ok(), "healthy again once a batch commits");
    }
}
