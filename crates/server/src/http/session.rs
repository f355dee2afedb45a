//! `/auth/login`, `/auth/logout`, `/me` and `/session`: sessions and who is
//! logged in;
//! the pruning of expired and idle sessions.

use crate::storage::Conn;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use optline_api as api;

use super::auth::{self, AuthUser, SessionHash};
use super::check_text;
use super::error::{ApiError, ApiResult, Json};
use super::login_guard::ClientAddr;
use crate::clock::fmt;
use crate::state::AppState;
use crate::storage::{self, StorageResult, UserRow};
use crate::views;

fn build_me(c: &Conn, u: &UserRow) -> StorageResult<api::Me> {
    let org = api::Organization {
        id: u.org_id,
        name: storage::org_name(c, u.org_id)?,
    };
    let lobs = storage::lobs_in_org(c, u.org_id)?
        .into_iter()
        .map(|(id, name)| api::LineOfBusiness { id, name })
        .collect();
    let number = storage::number_by_user(c, u.id)?;
    Ok(api::Me {
        user: views::user(u, number.as_ref()),
        organization: org,
        lines_of_business: lobs,
    })
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Json(req): Json<api::LoginRequest>,
) -> ApiResult<Response> {
    check_text(&req.email, "email", 254, false)?;
    check_text(&req.password, "password", 200, false)?;
    let email = req.email.trim().to_lowercase();
    // A locked account or address is refused before any argon2 work, and
    // the refusal does not count as another failure.
    state.login_guard.check(&email, client)?;
    let key = email.clone();
    let user = state
        .db
        .read(move |c| storage::user_by_email(c, &key))
        .await?;
    let hash = user
        .as_ref()
        .filter(|u| u.active)
        .map(|u| u.password_hash.clone());
    let ok = auth::verify_password_async(req.password.clone(), hash).await?;
    let Some(user) = user.filter(|_| ok) else {
        state.login_guard.failed(&email, client);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The e-mail or password is wrong. Check both and try again.",
        ));
    };
    state.login_guard.succeeded(&email);
    let token = auth::new_token()?;
    let th = auth::token_hash(&token);
    let now = chrono::Utc::now();
    let exp = now + chrono::Duration::hours(auth::SESSION_HOURS);
    let me = state
        .db
        .write(move |c| {
            storage::session_insert(c, &th, user.id, &fmt(now), &fmt(exp))?;
            build_me(c, &user)
        })
        .await?;
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let cookie = auth::cookie_header(&state.config, &token, secure, auth::SESSION_HOURS * 3600);
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(me)).into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    SessionHash(session): SessionHash,
) -> ApiResult<Response> {
    if let Some(th) = session {
        let key = th.clone();
        state
            .db
            .write(move |c| storage::session_delete(c, &key))
            .await?;
        state.end_sessions(&[th]);
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            auth::cookie_header(&state.config, "", false, 0),
        )],
    )
        .into_response())
}

pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<api::Me>> {
    let u = user.0;
    Ok(Json(state.db.read(move |c| build_me(c, &u)).await?))
}

/// Who is logged in, if anyone (200 either way): the app's probe on every
/// page load. A request without a valid session learns nothing but "no
/// session", exactly what a 401 would have told it.
pub async fn session(
    State(state): State<AppState>,
    mut parts: axum::http::request::Parts,
) -> ApiResult<Json<api::SessionInfo>> {
    use axum::extract::FromRequestParts;
    let user = match AuthUser::from_request_parts(&mut parts, &state).await {
        Ok(u) => u.0,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return Ok(Json(api::SessionInfo { me: None }))
        }
        Err(e) => return Err(e),
    };
    let me = state.db.read(move |c| build_me(c, &user)).await?;
    Ok(Json(api::SessionInfo { me: Some(me) }))
}

/// How often expired and idle sessions are deleted (also once at start).
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Deletes expired and idle sessions now and every [`PRUNE_EVERY`], ends
/// their live streams, and forgets old login-limit state.
pub fn spawn_pruner(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        let mut stop = state.shutdown.clone();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|v| *v) => return,
            }
            let now = chrono::Utc::now();
            let (now_s, idle_s) = (fmt(now), fmt(now - state.config.session_idle()));
            match state
                .db
                .write(move |c| storage::sessions_prune(c, &now_s, &idle_s))
                .await
            {
                Ok(ended) => state.end_sessions(&ended),
                Err(e) => tracing::warn!("pruning sessions failed: {e}"),
            }
            state.login_guard.prune();
        }
    });
}
