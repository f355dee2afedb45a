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

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::Taken(t) => write!(f, "{t:?} already taken"),
            StorageError::Unreadable(m) => write!(f, "unreadable stored value: {m}"),
            StorageError::Sqlite(e) => write!(f, "database error: {e}"),
            StorageError::Writer(m) => write!(f, "database writer: {m}"),
            StorageError::Busy => write!(f, "database writer queue is full"),
        }
    }
}

/// Whether `e` is a unique or primary-key constraint violation.
pub(crate) fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Maps an INSERT/UPDATE error: a unique violation becomes `Taken(what)`.
pub(crate) fn taken_or(e: rusqlite::Error, what: Taken) -> StorageError {
    if unique_violation(&e) {
        StorageError::Taken(what)
    } else {
        StorageError::Sqlite(e)
    }
}

/// Reads a text column holding one of an enum's serde names.
pub(crate) fn text_enum<T>(
    r: &rusqlite::Row,
    i: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown value {s:?}").into(),
        )
    })
}
