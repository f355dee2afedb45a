//! Storage's own error type: what went wrong in words of the data, never of
//! HTTP. The `http` layer maps each case to a status code and a message the
//! user can act on; SQLite's own text never leaves the server.

/// A value that must be unique is already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// A user's e-mail.
    Email,
    /// A business number.
    Number,
    /// A provider's id for a number (WhatsApp phone_number_id).
    ProviderKey,
}

#[derive(Debug)]
pub enum StorageError {
    /// A unique value is already in use.
    Taken(Taken),
    /// A stored value the server cannot read (never guessed instead).
    Unreadable(String),
    /// SQLite failed (details for the log only).
    Sqlite(rusqlite::Error),
    /// PostgreSQL failed (details for the log only).
    Postgres(postgres::Error),
    /// A query that must find a row found none.
    NoRow,
    /// The writer thread is gone or could not begin or commit.
    Writer(&'static str),
    /// Too many writes are waiting: try again shortly.
    Busy,
}

pub type StorageResult<T> = Result<T, StorageError>;

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Sqlite(e)
    }
}

impl From<postgres::Error> for StorageError {
    fn from(e: postgres::Error) -> Self {
        StorageError::Postgres(e)
    }
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::Taken(t) => write!(f, "{t:?} already taken"),
            StorageError::Unreadable(m) => write!(f, "unreadable stored value: {m}"),
            StorageError::Sqlite(e) => write!(f, "database error: {e}"),
            StorageError::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "database error: {} ({})", db.message(), db.code().code()),
                None => write!(f, "database error: {e}"),
            },
            StorageError::NoRow => write!(f, "no row found"),
            StorageError::Writer(m) => write!(f, "database writer: {m}"),
            StorageError::Busy => write!(f, "database writer queue is full"),
        }
    }
}

impl StorageError {
    /// Whether running the work again may succeed: another transaction's
    /// concurrent work made it fail (PostgreSQL: deadlock, serialization
    /// failure), or the connection was lost (the writer reconnects).
    pub fn is_transient(&self) -> bool {
        use postgres::error::SqlState;
        matches!(self, StorageError::Postgres(e)
            if e.is_closed()
                || e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED)
                || e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
                || e.code() == Some(&SqlState::ADMIN_SHUTDOWN)
                || e.code().is_some_and(|c| c.code().starts_with("08")))
    }
}

/// Whether `e` is a unique or primary-key constraint violation.
pub(crate) fn unique_violation(e: &StorageError) -> bool {
    match e {
        StorageError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        }
        StorageError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
        _ => false,
    }
}

/// Maps an INSERT/UPDATE error: a unique violation becomes `Taken(what)`.
pub(crate) fn taken_or(e: StorageError, what: Taken) -> StorageError {
    if unique_violation(&e) {
        StorageError::Taken(what)
    } else {
        e
    }
}

/// Reads a text column holding one of an enum's serde names.
pub(crate) fn text_enum<T>(
    r: &super::sql::Row,
    i: usize,
    parse: fn(&str) -> Option<T>,
) -> StorageResult<T> {
    let s: String = r.get(i)?;
    parse(&s).ok_or_else(|| StorageError::Unreadable(format!("column {i}: unknown value {s:?}")))
}
