//! `/admin/users`: list, create and update the organization's users.

use crate::storage::Conn;
use axum::extract::State;
use axum::http::StatusCode;
use optline_api as api;

use crate::clock::fmt;
use crate::http::auth::{self, AdminUser, SessionHash};
use crate::http::error::{ApiError, ApiResult, Json, Path};
use crate::http::{check_text, phone_field};
use crate::state::AppState;
use crate::storage::{self, UserRow};
use crate::views;

fn user_view(c: &Conn, u: &UserRow) -> ApiResult<api::User> {
    let number = storage::number_by_user(c, u.id)?;
    Ok(views::user(u, number.as_ref()))
}

pub async fn list(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<Json<api::UserList>> {
    let org = admin.org();
    let users = state
        .db
        .read(move |c| {
            storage::users_in_org(c, org)?
                .iter()
                .map(|u| user_view(c, u))
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(Json(api::UserList { users }))
}

fn check_email(raw: &str) -> ApiResult<String> {
    check_text(raw, "email", 254, false)?;
    let email = raw.trim().to_lowercase();
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(ApiError::unprocessable(
            "invalid_email",
            "email",
            "`email` must be an e-mail address such as ana@example.com.",
        ));
    }
    Ok(email)
}

pub async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(req): Json<api::CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<api::User>)> {
    check_text(&req.name, "name", 200, false)?;
    let email = check_email(&req.email)?;
    auth::check_password_rules(&req.password, "password")?;
    let phone = match &req.phone {
        Some(p) => Some(phone_field(p, "phone")?),
        None => None,
    };
    if req.role == api::Role::Agent && phone.is_none() {
        return Err(ApiError::unprocessable(
            "phone_required",
            "phone",
            "An agent needs a business number: set `phone`.",
        ));
    }
    let hash = auth::hash_password_async(req.password.clone()).await?;
    let org = admin.org();
    let now = fmt(state.now());
    let user = state
        .db
        .write(move |c| {
            let lob = match req.line_of_business_id {
                Some(l) if storage::lob_in_org(c, org, l)? => Some(l),
                Some(_) => {
                    return Err(ApiError::not_found("line of business").field("line_of_business_id"))
                }
                None => storage::lobs_in_org(c, org)?.first().map(|l| l.0),
            };
            let id = storage::user_insert(
                c,
                &storage::NewUser {
                    org_id: org,
                    lob_id: lob,
                    email: &email,
                    name: req.name.trim(),
                    role: req.role,
                    password_hash: &hash,
                },
                &now,
            )?;
            if let Some(p) = &phone {
                let lob = lob.ok_or_else(|| {
                    ApiError::unprocessable(
                        "no_line_of_business",
                        "line_of_business_id",
                        "Create a line of business first.",
                    )
                })?;
                storage::number_insert(c, org, lob, Some(id), p)?;
            }
            let u = storage::user_by_id(c, id)?.ok_or_else(|| ApiError::not_found("user"))?;
            user_view(c, &u)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

pub async fn update(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    SessionHash(current): SessionHash,
    Path(id): Path<i64>,
    Json(req): Json<api::UpdateUserRequest>,
) -> ApiResult<Json<api::User>> {
    if let Some(n) = &req.name {
        check_text(n, "name", 200, false)?;
    }
    let hash = match &req.password {
        Some(pw) => {
            auth::check_password_rules(pw, "password")?;
            Some(auth::hash_password_async(pw.clone()).await?)
        }
        None => None,
    };
    let org = admin.org();
    let me_id = admin.id();
    // A new password or a deactivation ends the user's other sessions: all
    // of them, except the caller's own when admins change their own password.
    let ends_sessions = hash.is_some() || req.active == Some(false);
    let keep = current.filter(|_| id == me_id);
    let keep_in_db = keep.clone();
    let user = state
        .db
        .write(move |c| {
            let u = storage::user_by_id(c, id)?
                .filter(|u| u.org_id == org)
                .ok_or_else(|| ApiError::not_found("user"))?;
            if req.active == Some(false) && u.id == me_id {
                return Err(ApiError::unprocessable(
                    "cannot_deactivate_self",
                    "active",
                    "You cannot deactivate yourself.",
                ));
            }
            if let Some(l) = req.line_of_business_id {
                if !storage::lob_in_org(c, org, l)? {
                    return Err(
                        ApiError::not_found("line of business").field("line_of_business_id")
                    );
                }
            }
            storage::user_update(
                c,
                id,
                req.name.as_deref().map(str::trim),
                hash.as_deref(),
                req.active,
                req.line_of_business_id,
            )?;
            if ends_sessions {
                storage::sessions_delete_user(c, id, keep_in_db.as_deref())?;
            }
            let u = storage::user_by_id(c, id)?.ok_or_else(|| ApiError::not_found("user"))?;
            user_view(c, &u)
        })
        .await?;
    if ends_sessions {
        state.end_user_sessions(id, keep.as_deref());
    }
    Ok(Json(user))
}
