//! `/admin/numbers`: the organization's business numbers, their channel
//! switches (recorded by the engine on every thread), user and provider.

use axum::extract::State;
use optline_api as api;

use crate::consent;
use crate::http::auth::AdminUser;
use crate::http::error::{ApiError, ApiResult, Json, Path};
use crate::providers::{self, ProviderConfig};
use crate::state::AppState;
use crate::storage;
use crate::views;

pub async fn list(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<Json<api::NumberList>> {
    let org = admin.org();
    let numbers = state
        .db
        .read(move |c| storage::numbers_in_org(c, org))
        .await?;
    Ok(Json(api::NumberList {
        numbers: numbers.iter().map(views::number).collect(),
    }))
}

pub async fn update(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
    Json(req): Json<api::UpdateNumberRequest>,
) -> ApiResult<Json<api::BusinessNumber>> {
    let now = state.now();
    let a = admin.0.clone();
    let st = state.clone();
    let n = state
        .db
        .write(move |c| {
            let n = storage::number_by_id(c, id)?
                .filter(|n| n.org_id == a.org_id)
                .ok_or_else(|| ApiError::not_found("business number"))?;
            if let Some(u) = req.user_id {
                let ok = storage::user_by_id(c, u)?.is_some_and(|x| x.org_id == a.org_id);
                if !ok {
                    return Err(ApiError::not_found("user").field("user_id"));
                }
                storage::number_update(c, id, None, None, Some(u))?;
            }
            if let Some(p) = &req.provider {
                let cfg = providers::validate_input(p, &ProviderConfig::of(&n))?;
                let stored = cfg.stored();
                storage::number_set_provider(c, id, cfg.kind(), cfg.key(), stored.as_deref())?;
            }
            consent::admin::toggle_channels(
                c,
                &st.flows,
                now,
                &a,
                &n,
                req.sms_enabled,
                req.whatsapp_enabled,
            )?;
            storage::number_by_id(c, id)?.ok_or_else(|| ApiError::not_found("business number"))
        })
        .await;
    // Settings, user or switches may have changed: forget cached numbers.
    state.numbers_changed();
    Ok(Json(views::number(&n?)))
}
