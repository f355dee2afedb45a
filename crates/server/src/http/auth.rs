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

pub const COOKIE: &str = "optline_session";
/// Sessions last this long (wall clock, unaffected by the test clock).
pub const SESSION_HOURS: i64 = 12;

/// Argon2 uses ~19 MiB per hash: run them one at a time so memory stays flat.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Hashes on a blocking thread, one hash at a time.
pub async fn hash_password_async(pw: String) -> ApiResult<String> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|_| ApiError::internal("hashing closed"))?;
    tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

/// Verifies on a blocking thread, one at a time.
pub async fn verify_password_async(pw: String, hash: Option<String>) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&pw, &h),
        None => {
            let _ = verify_password(&pw, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
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

pub fn session_token(parts: &Parts) -> Option<String> {
    for v in parts.headers.get_all(axum::http::header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for kv in s.split(';') {
            if let Some((k, v)) = kv.trim().split_once('=') {
                if k == COOKIE && !v.is_empty() && v.len() <= 128 {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

/// True when the request arrived over TLS (directly or via a proxy).
pub fn is_tls(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

pub fn cookie_header(token: &str, secure: bool, max_age: i64) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
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
        let token = session_token(parts).ok_or_else(ApiError::unauthorized)?;
        let h = token_hash(&token);
        let now = crate::clock::fmt(chrono::Utc::now());
        let user = state
            .db
            .read(move |c| storage::session_user(c, &h, &now))
            .await?;
        user.map(AuthUser).ok_or_else(ApiError::unauthorized)
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
