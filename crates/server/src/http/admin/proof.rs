//! `/admin/contacts/{id}/consent-proof`: a contact's whole consent history
//! (every number and channel, the exact texts and their sources) as one
//! JSON document — what a business hands a carrier or regulator. Found by
//! the contact's id or by their number.

use axum::extract::State;
use optline_api as api;

use crate::clock::fmt;
use crate::http::auth::AdminUser;
use crate::http::error::{ApiError, ApiResult, Json, Path, Query};
use crate::http::phone_field;
use crate::integrations::proof;
use crate::state::AppState;
use crate::storage;

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

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofQuery {
    phone: Option<String>,
}

/// `/admin/consent-proof?phone=…`: the same document, found by the
/// contact's number (what an admin has in hand when a carrier asks).
pub async fn consent_proof_by_phone(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Query(q): Query<ProofQuery>,
) -> ApiResult<Json<api::ConsentProof>> {
    let raw = q.phone.unwrap_or_default();
    if raw.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "empty",
            "phone",
            "`phone` must be the contact's number, such as +14155550123.",
        ));
    }
    let phone = phone_field(&raw, "phone")?;
    let org = admin.org();
    let now = fmt(state.now());
    let doc = state
        .db
        .read(move |c| {
            let Some(contact) = storage::contact_by_e164(c, org, &phone)? else {
                return Ok(None);
            };
            proof::consent_proof(c, org, contact.id, &now)
        })
        .await?
        .ok_or(ApiError::not_found("contact"))?;
    Ok(Json(doc))
}
