//! JSON errors and extractors that turn every bad input into a 4xx JSON error
//! naming the field (axum's own rejections are plain text), and the mapping
//! of the lower layers' errors (storage, consent, provider settings) to
//! status codes and words a person can act on.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::consent::ConsentError;
use crate::field_error::FieldError;
use crate::storage::{StorageError, Taken};

/// An error answer: status plus `{"error":{"code","message","field"}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    /// The engine's refusal, for 409s caused by one.
    pub refusal: Option<Box<optline_engine::Refusal>>,
    /// Seconds for a `Retry-After` header (429, 503). A u32 keeps the error
    /// small (it fits beside the status code).
    pub retry_after: Option<std::num::NonZeroU32>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            field: None,
            refusal: None,
            retry_after: None,
        }
    }
    /// Adds `Retry-After: secs` (at least 1) to the answer.
    pub fn retry_after(mut self, secs: u64) -> Self {
        let secs = u32::try_from(secs).unwrap_or(u32::MAX);
        self.retry_after = std::num::NonZeroU32::new(secs.max(1));
        self
    }

    /// 503: the server cannot take this now; try again after `secs`.
    pub fn unavailable(code: &str, message: impl Into<String>, secs: u64) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message).retry_after(secs)
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unprocessable(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).field(field)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No {what} with that id exists (or it is not visible to you)."),
        )
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "You are not logged in or your session has expired. Log in again.",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
    pub fn body(&self) -> optline_api::ErrorBody {
        optline_api::ErrorBody {
            error: optline_api::ApiError {
                code: self.code.clone(),
                message: self.message.clone(),
                field: self.field.clone(),
                refusal: self.refusal.as_deref().cloned(),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A short random id tying an answer to its log line.
fn request_id() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::fill(&mut b);
    hex::encode(b)
}

impl IntoResponse for ApiError {
    fn into_response(mut self) -> Response {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            // The details (SQLite's text, a stored value) are for the log
            // only; the answer carries an id to find them.
            let id = request_id();
            tracing::error!(request_id = %id, code = %self.code, "internal error: {}", self.message);
            self.message = format!(
                "Something went wrong on the server. If it happens again, tell your administrator the request id {id}."
            );
            self.code = "internal".into();
            self.field = None;
        }
        let mut res = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.get().into());
        }
        res
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Taken(Taken::Email) => ApiError::conflict(
                "email_taken",
                "A user with this e-mail already exists. Use another e-mail.",
            )
            .field("email"),
            StorageError::Taken(Taken::Number) => ApiError::conflict(
                "number_taken",
                "This business number is already in use. Choose another number.",
            )
            .field("phone"),
            StorageError::Taken(Taken::ProviderKey) => ApiError::conflict(
                "provider_key_taken",
                "Another business number already uses this phone_number_id. Each WhatsApp phone number can belong to one business number only.",
            )
            .field("provider.phone_number_id"),
            StorageError::Busy => ApiError::unavailable(
                "busy",
                "The server is busy storing other messages. Try again in a second.",
                1,
            ),
            StorageError::Writer(_) => ApiError::unavailable(
                "storage_unavailable",
                "The server cannot store anything right now. Try again shortly.",
                5,
            ),
            // Retried by the writer already; still colliding with another
            // server process's work: nothing was stored.
            e if e.is_transient() => ApiError::unavailable(
                "busy",
                "The server is busy storing other messages. Try again in a second.",
                1,
            ),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<ConsentError> for ApiError {
    fn from(e: ConsentError) -> Self {
        match e {
            ConsentError::Refused(r) => {
                let mut e = ApiError::conflict(r.code.as_str(), r.text.clone());
                if r.code == optline_engine::RefusalCode::EmptyMessage {
                    e.status = StatusCode::UNPROCESSABLE_ENTITY;
                    e.field = Some("body".into());
                }
                // The input was at fault, and the engine names the field.
                if let Some(field) = r.code.field() {
                    e.status = StatusCode::UNPROCESSABLE_ENTITY;
                    e.field = Some(field.into());
                }
                // The caller's role may not do this (an agent recording an
                // opt-in): forbidden, in the engine's words.
                if r.code == optline_engine::RefusalCode::NotAllowedForRole {
                    e.status = StatusCode::FORBIDDEN;
                }
                e.refusal = Some(Box::new(r));
                e
            }
            ConsentError::NotFound(what) => {
                let e = ApiError::not_found(what);
                match what {
                    "line of business" => e.field("line_of_business_id"),
                    "user" => e.field("user_id"),
                    "contact" => e.field("contact_phone"),
                    _ => e,
                }
            }
            ConsentError::Forbidden(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "not_your_number", message)
            }
            ConsentError::Invalid {
                code,
                field,
                message,
            } => ApiError::unprocessable(code, field, message),
            ConsentError::Conflict {
                code,
                field,
                message,
            } => ApiError::conflict(code, message).field(field),
            ConsentError::UnreadableThread {
                conversation,
                reason,
            } => ApiError::internal(format!(
                "stored consent state of conversation {conversation} is unreadable: {reason}"
            )),
            ConsentError::Storage(e) => e.into(),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::unprocessable(e.code, &e.field, e.message)
    }
}

fn serde_error(path: String, e: &serde_json::Error, what: &str) -> ApiError {
    let raw = e.to_string();
    // serde_json appends " at line L column C"; keep it, it helps.
    let field = if path.is_empty() || path == "." {
        None
    } else {
        Some(path)
    };
    let message = match &field {
        Some(f) => format!("The {what} field `{f}` is invalid: {raw}. Fix `{f}` and retry."),
        None => {
            format!("The {what} is invalid: {raw}. Send a JSON object of the documented shape.")
        }
    };
    // Missing fields are reported at the parent path; name them.
    let field = field.or_else(|| {
        raw.strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
            .map(|s| s.to_string())
    });
    let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message);
    if e.is_syntax() || e.is_eof() {
        err.status = StatusCode::BAD_REQUEST;
        err.code = "malformed_json".into();
    }
    err.field = field;
    err
}

/// JSON body extractor with JSON errors naming the field. Accepts a missing or
/// `application/json` content type.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if let Some(ct) = req.headers().get(axum::http::header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            if !(ct.starts_with("application/json") || ct.contains("+json")) {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "Send the body as JSON with `Content-Type: application/json`.",
                ));
            }
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(rej) => {
                let status = rej.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    return Err(ApiError::new(
                        status,
                        "body_too_large",
                        format!(
                            "The request body is larger than the {} KiB limit. Send less.",
                            crate::app::BODY_LIMIT / 1024
                        ),
                    ));
                }
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    format!("The request body could not be read: {rej}"),
                ));
            }
        };
        parse_json(&bytes).map(Json)
    }
}

/// Deserialize bytes with a path-aware error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "missing_body",
            "The request needs a JSON body.",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            Err(serde_error(path, e.inner(), "body"))
        }
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query-string extractor with JSON errors naming the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded_de(q);
        match de {
            Ok(v) => Ok(Query(v)),
            Err(e) => Err(e),
        }
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(q: &str) -> ApiResult<T> {
    match axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}").parse().map_err(|_| {
            ApiError::bad_request("invalid_query", "The query string is malformed.")
        })?,
    ) {
        Ok(axum::extract::Query(v)) => Ok(v),
        Err(rej) => {
            let text = rej.body_text();
            let text = text
                .strip_prefix("Failed to deserialize query string: ")
                .unwrap_or(&text)
                .to_string();
            let field = text
                .split(':')
                .next()
                .map(|s| s.trim().to_string())
                .filter(|s| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            let mut err = ApiError::bad_request(
                "invalid_query",
                format!("A query parameter is invalid: {text}. Fix it and retry."),
            );
            err.field = field;
            Err(err)
        }
    }
}

/// Path extractor with JSON errors (e.g. `/conversations/abc` → 404 JSON).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(rej) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("No such resource: {}", rej.body_text()),
            )
            .field("path")),
        }
    }
}
