//! What the consent layer can answer instead of a result.

use optline_engine::Refusal;

use crate::storage::StorageError;

#[derive(Debug)]
pub enum ConsentError {
    /// The engine refused the agent's action: its code and exact words.
    Refused(Refusal),
    /// Nothing of this kind exists (or it is not visible to the caller).
    NotFound(&'static str),
    /// The caller may see this but not do it (e.g. an admin acting in an
    /// agent's conversation): what to do instead.
    Forbidden(&'static str),
    /// The request cannot be carried out as given: a stable code, the
    /// offending field and what to do.
    Invalid {
        code: &'static str,
        field: &'static str,
        message: &'static str,
    },
    /// The request contradicts what is stored and only someone else may
    /// change it: a stable code, the field and what to do (409).
    Conflict {
        code: &'static str,
        field: &'static str,
        message: String,
    },
    /// A stored consent state the engine cannot read: refuse rather than
    /// guess a state.
    UnreadableThread {
        conversation: i64,
        reason: String,
    },
    Storage(StorageError),
}

pub type ConsentResult<T> = Result<T, ConsentError>;

impl From<StorageError> for ConsentError {
    fn from(e: StorageError) -> Self {
        ConsentError::Storage(e)
    }
}
