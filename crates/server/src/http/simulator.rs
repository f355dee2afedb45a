//! `/sim/…` (only with `--simulator`): the built-in simulator plays the
//! contacts' phones — a contact writes to a business number, and a phone's
//! messages are listed. It only ever touches numbers whose provider is the
//! simulator, and it chooses message ids itself, so nothing it does can pass
//! for a provider's message or reach a real provider's account.

use axum::extract::State;
use axum::http::StatusCode;
use optline_api as api;

use super::auth;
use super::error::{ApiError, ApiResult, Json, Path};
use super::{check_text, phone_field, MAX_BODY_CHARS};
use crate::consent;
use crate::outbox;
use crate::providers::InboundMessage;
use crate::state::AppState;
use crate::storage::{self, ProviderKind};

pub async fn inbound(
    State(state): State<AppState>,
    Json(req): Json<api::SimInboundRequest>,
) -> ApiResult<Json<api::SimInboundResponse>> {
    let from = phone_field(&req.from, "from")?;
    let to = phone_field(&req.to, "to")?;
    check_text(&req.body, "body", MAX_BODY_CHARS, true)?;
    if req.provider_message_id.is_some() {
        return Err(ApiError::unprocessable(
            "simulator_chooses_ids",
            "provider_message_id",
            "`provider_message_id` is chosen by the simulator itself; leave it out.",
        ));
    }
    let pmid = format!("sim-{}", &auth::new_token()?[..24]);
    if from == to {
        return Err(ApiError::unprocessable(
            "invalid_phone",
            "from",
            "`from` must differ from `to`.",
        ));
    }
    let now = state.now();
    let st = state.clone();
    let channel = req.channel;
    let body = req.body;
    let pmid2 = pmid.clone();
    let (received, fx) = state
        .db
        .write(move |c| {
            // A number carried by a real provider is unknown to the
            // simulator: it must not learn that the number exists either.
            let Some(number) = storage::number_by_e164(c, &to)?
                .filter(|n| n.provider == ProviderKind::Simulator)
            else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_business_number",
                    "`to` is not a simulator business number here. Pick one from GET /api/v1/sim/numbers.",
                )
                .field("to"));
            };
            let msg = InboundMessage {
                number,
                channel,
                from: from.clone(),
                body: body.clone(),
                provider: ProviderKind::Simulator,
                provider_message_id: pmid2.clone(),
                unsupported: None,
                button: None,
                carrier_opt_out: false,
                sender_unverified: false,
                signature_verified: false,
            };
            consent::inbound::receive(c, &st.flows, now, &msg).map_err(ApiError::from)
        })
        .await?;
    outbox::run(&state, fx);
    Ok(Json(api::SimInboundResponse {
        message_id: received.message_id,
        provider_message_id: pmid,
        duplicate: received.duplicate,
    }))
}

pub async fn numbers(State(state): State<AppState>) -> ApiResult<Json<api::SimDirectory>> {
    let rows = state.db.read(storage::sim_directory).await?;
    Ok(Json(api::SimDirectory {
        numbers: rows
            .into_iter()
            .map(
                |(phone, organization, line_of_business, agent)| api::SimBusinessNumber {
                    phone,
                    organization,
                    line_of_business,
                    agent,
                },
            )
            .collect(),
    }))
}

pub async fn phone(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<api::SimPhoneInbox>> {
    let phone = phone_field(&raw, "phone")?;
    let p2 = phone.clone();
    let rows = state
        .db
        .read(move |c| storage::sim_phone_messages(c, &p2, 500))
        .await?;
    Ok(Json(api::SimPhoneInbox {
        phone,
        messages: rows
            .into_iter()
            .map(|(m, number, channel)| api::SimPhoneMessage {
                id: m.id,
                direction: m.direction,
                business_number: number,
                channel,
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
    }))
}
