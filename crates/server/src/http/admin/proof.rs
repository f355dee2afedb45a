//! `/admin/contacts/{id}/consent-proof`: a contact's whole consent history
//! (every number and channel, the exact texts and their sources) as one
//! JSON document — what a business hands a carrier or regulator.

use axum::extract::State;
use optline_api as api;

use crate::clock::fmt;
use crate::http::auth::AdminUser;
use crate::http::error::{ApiError, ApiResult, Json, Path};
use crate::integrations::proof;
use crate::state::AppState;

pub async fn consent_proof(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<api::ConsentProof>> {
    let org = admin.org();
    let now = fmt(state.now());
    let doc = state
        .db
        .read(move |c| proof::consent_proof(c, org, id, &now))
        .await?
        .ok_or(ApiError::not_found("contact"))?;
    Ok(Json(doc))
}
