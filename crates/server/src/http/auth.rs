//! Passwords (argon2), session cookies, and the extractors that resolve the
//! current user.

use argon2::password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::Digest;

use super::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::storage::{self, UserRow};

/// The session cookie's name on plain HTTP (local use, tests).
pub const COOKIE: &str = "optline_session";
/// Its name behind an https `--public-url`: the `__Host-` prefix makes the
/// browser insist on `Secure`, `Path=/` and no `Domain`, so a sibling
/// subdomain cannot plant or shadow it.
pub const HOST_COOKIE: &str = "__Host-optline_session";
/// Sessions last this long (wall clock, unaffected by the test clock).
pub const SESSION_HOURS: i64 = 12;
/// A session's `last_seen_at` is written at most this often (seconds): the
/// idle timeout needs minutes of precision, not a write per request.
pub const TOUCH_EVERY_SECS: i64 = 60;

/// Argon2 uses ~19 MiB and one core per hash. At most one hash per core
/// runs; a few more may wait for a core, and past that a caller is told at
/// once to come back (503) instead of joining an unbounded queue that junk
/// logins could fill in front of real users.
struct HashPool {
    running: tokio::sync::Semaphore,
    admitted: tokio::sync::Semaphore,
}

/// Hashes waiting for a core, per core, before the server answers 503.
const WAITING_PER_CORE: usize = 4;

fn hash_pool() -> &'static HashPool {
    static POOL: std::sync::OnceLock<HashPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashPool {
            running: tokio::sync::Semaphore::new(cores),
            admitted: tokio::sync::Semaphore::new(cores * (1 + WAITING_PER_CORE)),
        }
    })
}

/// Runs `f` (an argon2 hash or verification) on a blocking thread once a
/// core is free, or answers 503 with `Retry-After` when too many wait.
async fn with_hash_permit<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    let pool = hash_pool();
    let _admitted = pool.admitted.try_acquire().map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "The server is busy checking passwords. Try again in a second.",
        )
        .retry_after(1)
    })?;
    let _running = pool
        .running
        .acquire()
        .await
        .map_err(|_| ApiError::internal("hashing closed"))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// Hashes a password on a blocking thread (503 when the server is busy).
pub async fn hash_password_async(pw: String) -> ApiResult<String> {
    with_hash_permit(move || hash_password(&pw)).await?
}

/// Verifies on a blocking thread (503 when the server is busy). Without a
/// hash (unknown e-mail) it verifies against a dummy so the timing matches.
pub async fn verify_password_async(pw: String, hash: Option<String>) -> ApiResult<bool> {
    with_hash_permit(move || match hash {
        Some(h) => verify_password(&pw, &h),
        None => {
            let _ = verify_password(&pw, dummy_hash());
            false
        }
    })
    .await
}

pub fn hash_password(pw: &str) -> ApiResult<String> {
    Argon2::default()
        .hash_password(pw.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
}

pub fn verify_password(pw: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A hash nobody's password matches, verified against when the e-mail is
/// unknown so that timing does not reveal which e-mails exist.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not-a-password-of-anyone").unwrap_or_default())
}

pub fn check_password_rules(pw: &str, field: &str) -> ApiResult<()> {
    let n = pw.chars().count();
    if !(8..=200).contains(&n) {
        return Err(ApiError::unprocessable(
            "weak_password",
            field,
            format!("`{field}` must be 8 to 200 characters long."),
        ));
    }
    Ok(())
}

pub fn new_token() -> ApiResult<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(b))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// The session cookie's name under `config` (see [`HOST_COOKIE`]).
pub fn cookie_name(config: &crate::AppConfig) -> &'static str {
    if config.https() {
        HOST_COOKIE
    } else {
        COOKIE
    }
}

/// The session token from the request's cookie named `name`, if any.
pub fn session_token_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    for v in headers.get_all(axum::http::header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for kv in s.split(';') {
            if let Some((k, v)) = kv.trim().split_once('=') {
                if k == name && !v.is_empty() && v.len() <= 128 {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

pub fn session_token(parts: &Parts, config: &crate::AppConfig) -> Option<String> {
    session_token_in(&parts.headers, cookie_name(config))
}

/// `Set-Cookie` for the session: `__Host-` and `Secure` behind an https
/// `--public-url`; `Secure` also when a proxy says the request was https.
pub fn cookie_header(config: &crate::AppConfig, token: &str, secure: bool, max_age: i64) -> String {
    let secure = secure || config.https();
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        cookie_name(config),
        if secure { "; Secure" } else { "" }
    )
}

/// The hash of the request's session token (no database look-up): which
/// session a logout, a password change or a live stream belongs to.
#[derive(Debug, Clone)]
pub struct SessionHash(pub Option<String>);

impl FromRequestParts<AppState> for SessionHash {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(SessionHash(
            session_token(parts, &state.config).map(|t| token_hash(&t)),
        ))
    }
}

/// The logged-in user (any role).
#[derive(Debug, Clone)]
pub struct AuthUser(pub UserRow);

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.0.role == optline_api::Role::Admin
    }
    pub fn id(&self) -> i64 {
        self.0.id
    }
    pub fn org(&self) -> i64 {
        self.0.org_id
    }
    /// What this user may see.
    pub fn scope(&self) -> storage::Scope {
        if self.is_admin() {
            storage::Scope::Org(self.0.org_id)
        } else {
            storage::Scope::User(self.0.id)
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let token = session_token(parts, &state.config).ok_or_else(ApiError::unauthorized)?;
        let h = token_hash(&token);
        let now = chrono::Utc::now();
        let idle_since = crate::clock::fmt(now - state.config.session_idle());
        let now_s = crate::clock::fmt(now);
        let h2 = h.clone();
        let found = state
            .db
            .read(move |c| storage::session_user(c, &h2, &now_s, &idle_since))
            .await?;
        let (user, last_seen) = found.ok_or_else(ApiError::unauthorized)?;
        // Seen recently enough: no write. Otherwise move `last_seen_at` (at
        // most once a minute per session, so reads stay reads).
        let stale = crate::clock::parse(&last_seen)
            .is_none_or(|t| (now - t).num_seconds() >= TOUCH_EVERY_SECS);
        if stale {
            let now_s = crate::clock::fmt(now);
            state
                .db
                .write(move |c| storage::session_touch(c, &h, &now_s))
                .await?;
        }
        Ok(AuthUser(user))
    }
}

/// A logged-in admin (403 for agents).
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let u = AuthUser::from_request_parts(parts, state).await?;
        if !u.is_admin() {
            return Err(ApiError::forbidden(
                "This needs an administrator. Ask your admin to do it.",
            ));
        }
        Ok(AdminUser(u))
    }
}
