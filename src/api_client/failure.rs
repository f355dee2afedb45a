//! [`ApiFailure`]: why a call to the server failed, in words a person can act
//! on. Plain data (no browser types), so the thread model's native tests use
//! it too.

use optline_api::{ApiError, Refusal};

/// Why a call failed, in the server's own words when it gave some.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    /// HTTP status, or 0 when the server could not be reached.
    pub status: u16,
    /// Stable code (`invalid_phone`, `resend_too_soon`, `unreachable`, ...).
    pub code: String,
    /// Text to show the user.
    pub message: String,
    /// The offending field, when the server named one.
    pub field: Option<String>,
    /// The server's engine refusal (409), when the server's engine refused.
    pub refusal: Option<Refusal>,
}

impl ApiFailure {
    /// A failure the server described with an [`ApiError`] body.
    pub fn from_error(status: u16, error: ApiError) -> Self {
        Self {
            status,
            code: error.code,
            message: error.message,
            field: error.field,
            refusal: error.refusal,
        }
    }

    /// A failure without a readable body (`code` is ours, not the server's).
    pub fn other(status: u16, code: &str, message: String) -> Self {
        Self {
            status,
            code: code.into(),
            message,
            field: None,
            refusal: None,
        }
    }

    /// The server could not be reached (or the request not even encoded).
    pub fn unreachable(detail: impl std::fmt::Display) -> Self {
        Self::other(
            0,
            "unreachable",
            format!(
                "The server could not be reached ({detail}). Check your connection and try again."
            ),
        )
    }

    /// The session is missing or expired: the app sends the user to log in.
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }

    /// The server understood the request and refused it on the facts (409
    /// engine refusal, 422 invalid input): retrying the same call will not
    /// help, unlike a transport failure.
    pub fn is_refusal(&self) -> bool {
        self.status == 409 || self.status == 422
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
