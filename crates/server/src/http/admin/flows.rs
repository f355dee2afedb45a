//! `/admin/flows/{lob}/{channel}`: read, validate and save a line of
//! business's opt-in flow. Validation is the engine's `validate`, the same
//! function the app runs in the browser.

use axum::extract::State;
use optline_api::{self as api, Channel, Flow, FlowProblem};
use optline_engine as engine;

use crate::clock::fmt;
use crate::http::auth::AdminUser;
use crate::http::error::{ApiError, ApiResult, Json, Path};
use crate::state::AppState;
use crate::storage;

/// The engine's problems with field paths as the request names them.
fn validate_flow(flow: &Flow, channel: Channel) -> Result<engine::ValidFlow, Vec<FlowProblem>> {
    engine::validate(flow, channel).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| FlowProblem {
                field: format!("flow.{}", p.field),
                ..p
            })
            .collect()
    })
}

pub async fn get_one(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path((lob, channel)): Path<(i64, Channel)>,
) -> ApiResult<Json<api::FlowDocument>> {
    let org = admin.org();
    let st = state.clone();
    let doc = state
        .db
        .read(move |c| {
            if !storage::lob_in_org(c, org, lob)? {
                return Err(ApiError::not_found("line of business"));
            }
            let saved = storage::flow_get(c, lob, channel)?;
            let flow = st.flows.get(c, lob, channel)?;
            Ok(api::FlowDocument {
                line_of_business_id: lob,
                channel,
                flow: flow.flow().clone(),
                is_default: saved.is_none(),
                updated_at: saved.map(|s| s.updated_at),
            })
        })
        .await?;
    Ok(Json(doc))
}

pub async fn validate(
    AdminUser(_admin): AdminUser,
    Path((_lob, channel)): Path<(i64, Channel)>,
    Json(req): Json<api::SaveFlowRequest>,
) -> ApiResult<Json<api::FlowValidation>> {
    Ok(Json(match validate_flow(&req.flow, channel) {
        Ok(_) => api::FlowValidation {
            valid: true,
            problems: vec![],
        },
        Err(problems) => api::FlowValidation {
            valid: false,
            problems,
        },
    }))
}

pub async fn save(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path((lob, channel)): Path<(i64, Channel)>,
    Json(req): Json<api::SaveFlowRequest>,
) -> ApiResult<Json<api::FlowDocument>> {
    let valid = validate_flow(&req.flow, channel).map_err(|problems| {
        let all: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        ApiError::unprocessable(
            "invalid_flow",
            &problems[0].field,
            format!("The flow is invalid and was not saved. {}", all.join(" ")),
        )
    })?;
    let org = admin.org();
    let by = admin.id();
    let now = fmt(state.now());
    let st = state.clone();
    let doc = state
        .db
        .write(move |c| {
            if !storage::lob_in_org(c, org, lob)? {
                return Err(ApiError::not_found("line of business"));
            }
            storage::flow_put(c, lob, channel, valid.flow(), &now, by)?;
            st.flows.invalidate(lob, channel);
            Ok(api::FlowDocument {
                line_of_business_id: lob,
                channel,
                flow: valid.flow().clone(),
                is_default: false,
                updated_at: Some(now.clone()),
            })
        })
        .await?;
    state.flow_changed(lob, channel);
    Ok(Json(doc))
}
