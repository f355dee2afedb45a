//! `/admin/ownership`: who holds each WhatsApp contact in a line of
//! business, and reassigning or releasing one (through the engine).

use axum::extract::State;
use optline_api as api;
use serde::Deserialize;

use crate::consent;
use crate::http::auth::{AdminUser, AuthUser};
use crate::http::error::{ApiError, ApiResult, Json, Query};
use crate::http::phone_field;
use crate::outbox;
use crate::state::AppState;
use crate::storage;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OwnershipQuery {
    line_of_business_id: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Query(q): Query<OwnershipQuery>,
) -> ApiResult<Json<api::OwnershipList>> {
    let org = admin.org();
    let rows = state
        .db
        .read(move |c| storage::holders(c, org, q.line_of_business_id))
        .await?;
    Ok(Json(api::OwnershipList {
        items: rows
            .into_iter()
            .map(|(lob, phone, user, since)| api::Ownership {
                line_of_business_id: lob,
                contact_phone: phone,
                user_id: Some(user),
                since: Some(since),
            })
            .collect(),
    }))
}

async fn change(
    state: AppState,
    admin: AuthUser,
    req: api::OwnershipChangeRequest,
    release: bool,
) -> ApiResult<Json<api::Ownership>> {
    let phone = phone_field(&req.contact_phone, "contact_phone")?;
    let to = if release {
        None
    } else {
        Some(req.user_id.ok_or_else(|| {
            ApiError::unprocessable(
                "missing_field",
                "user_id",
                "`user_id` is required to reassign; use /release to free the contact.",
            )
        })?)
    };
    let now = state.now();
    let st = state.clone();
    let a = admin.0;
    let (o, fx) = state
        .db
        .write(move |c| {
            consent::admin::reassign(c, &st.flows, now, &a, req.line_of_business_id, &phone, to)
        })
        .await?;
    outbox::run(&state, fx);
    Ok(Json(o))
}

pub async fn reassign(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(req): Json<api::OwnershipChangeRequest>,
) -> ApiResult<Json<api::Ownership>> {
    change(state, admin, req, false).await
}

pub async fn release(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(req): Json<api::OwnershipChangeRequest>,
) -> ApiResult<Json<api::Ownership>> {
    change(state, admin, req, true).await
}
