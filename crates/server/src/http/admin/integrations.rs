//! `/admin/webhooks`: an organization's outgoing webhook endpoints — CRUD,
//! secret rotation, a test event, and the delivery log with resend. Secrets
//! are shown once (on creation and rotation) and stored sealed; another
//! organization's endpoint is a 404.

use axum::extract::State;
use axum::http::StatusCode;
use optline_api as api;
use serde::Deserialize;

use crate::clock::fmt;
use crate::http::auth::AdminUser;
use crate::http::check_text;
use crate::http::error::{ApiError, ApiResult, Json, Path, Query};
use crate::integrations::{destination, events, signing};
use crate::secrets;
use crate::state::AppState;
use crate::storage::{self, DeliveryRow, DeliveryState, EndpointRow, EventType};

/// How long the secret before a rotation keeps signing.
pub const ROTATION_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(24);

fn endpoint_view(e: &EndpointRow, pending: i64, now: &str) -> api::WebhookEndpoint {
    api::WebhookEndpoint {
        id: e.id,
        url: e.url.clone(),
        description: e.description.clone(),
        event_types: e.event_types.iter().map(|t| t.as_str().into()).collect(),
        enabled: e.enabled,
        disabled_reason: e.disabled_reason.clone(),
        previous_secret_valid_until: e.previous_secret_until.clone().filter(|u| u.as_str() > now),
        pending_deliveries: pending,
        created_at: e.created_at.clone(),
        updated_at: e.updated_at.clone(),
    }
}

fn delivery_view(d: DeliveryRow) -> api::WebhookDelivery {
    let pending = d.state == DeliveryState::Pending;
    api::WebhookDelivery {
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type.as_str().into(),
        created_at: d.created_at,
        state: d.state.as_str().into(),
        attempts: d.attempts,
        last_attempt_at: d.last_attempt_at,
        last_status_code: d.last_status,
        last_response: d.last_response,
        next_attempt_at: pending.then_some(d.next_attempt_at),
        delivered_at: d.delivered_at,
        body: d.body,
    }
}

/// The subscribed types, each known; 422 naming `event_types[i]` otherwise.
fn check_types(raw: &[String]) -> ApiResult<Vec<EventType>> {
    if raw.is_empty() {
        return Err(ApiError::unprocessable(
            "empty",
            "event_types",
            "`event_types` must name at least one event type.",
        ));
    }
    let mut out = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let known = EventType::parse(t).filter(|t| EventType::SUBSCRIBABLE.contains(t));
        let Some(t) = known else {
            return Err(ApiError::unprocessable(
                "unknown_event_type",
                &format!("event_types[{i}]"),
                format!(
                    "`{t}` is not an event type. Use {}.",
                    EventType::SUBSCRIBABLE.map(|t| t.as_str()).join(", ")
                ),
            ));
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The URL, checked (form, https, public destination after DNS).
async fn check_url(state: &AppState, raw: &str) -> ApiResult<String> {
    destination::check(raw, state.config.webhooks.allow_private)
        .await
        .map_err(|r| ApiError::unprocessable(r.code, "url", r.message))?;
    Ok(raw.trim().to_string())
}

fn check_description(d: Option<&str>) -> ApiResult<String> {
    let d = d.unwrap_or("").trim();
    check_text(d, "description", 200, true)?;
    Ok(d.to_string())
}

fn new_secret() -> ApiResult<String> {
    signing::new_secret().ok_or_else(|| ApiError::internal("no randomness for a secret"))
}

pub async fn list(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<Json<api::WebhookEndpointList>> {
    let org = admin.org();
    let now = fmt(state.now());
    let endpoints = state
        .db
        .read(move |c| {
            storage::webhook_endpoints_of_org(c, org)?
                .iter()
                .map(|e| {
                    Ok(endpoint_view(
                        e,
                        storage::webhook_pending_count(c, e.id)?,
                        &now,
                    ))
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(Json(api::WebhookEndpointList {
        endpoints,
        event_types: EventType::SUBSCRIBABLE
            .iter()
            .map(|t| t.as_str().into())
            .collect(),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(req): Json<api::CreateWebhookRequest>,
) -> ApiResult<(StatusCode, Json<api::WebhookEndpointCreated>)> {
    let url = check_url(&state, &req.url).await?;
    let types = check_types(&req.event_types)?;
    let description = check_description(req.description.as_deref())?;
    let secret = new_secret()?;
    let sealed = secrets::seal(&secret);
    let org = admin.org();
    let now = fmt(state.now());
    let enabled = req.enabled.unwrap_or(true);
    let endpoint = state
        .db
        .write(move |c| {
            let id = storage::webhook_endpoint_insert(
                c,
                &storage::NewEndpoint {
                    org_id: org,
                    url: &url,
                    description: &description,
                    event_types: &types,
                    enabled,
                    sealed_secret: &sealed,
                },
                &now,
            )?;
            let e =
                storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            Ok::<_, ApiError>(endpoint_view(&e, 0, &now))
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(api::WebhookEndpointCreated { endpoint, secret }),
    ))
}

async fn load(state: &AppState, org: i64, id: i64) -> ApiResult<(EndpointRow, i64)> {
    state
        .db
        .read(move |c| {
            let e =
                storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            let pending = storage::webhook_pending_count(c, id)?;
            Ok::<_, ApiError>((e, pending))
        })
        .await
}

pub async fn get_one(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<api::WebhookEndpoint>> {
    let (e, pending) = load(&state, admin.org(), id).await?;
    Ok(Json(endpoint_view(&e, pending, &fmt(state.now()))))
}

pub async fn update(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
    Json(req): Json<api::UpdateWebhookRequest>,
) -> ApiResult<Json<api::WebhookEndpoint>> {
    let org = admin.org();
    let (e, _) = load(&state, org, id).await?;
    let url = match &req.url {
        Some(u) => check_url(&state, u).await?,
        None => e.url.clone(),
    };
    let types = match &req.event_types {
        Some(t) => check_types(t)?,
        None => e.event_types.clone(),
    };
    let description = match &req.description {
        Some(d) => check_description(Some(d))?,
        None => e.description.clone(),
    };
    let enabled = req.enabled.unwrap_or(e.enabled);
    let now = fmt(state.now());
    let view = state
        .db
        .write(move |c| {
            // Gone meanwhile (deleted by another admin): a 404, not a write.
            storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            storage::webhook_endpoint_update(c, id, &url, &description, &types, enabled, &now)?;
            let e =
                storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            let pending = storage::webhook_pending_count(c, id)?;
            Ok::<_, ApiError>(endpoint_view(&e, pending, &now))
        })
        .await?;
    Ok(Json(view))
}

pub async fn delete(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let org = admin.org();
    state
        .db
        .write(move |c| {
            storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            storage::webhook_endpoint_delete(c, id)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<api::WebhookSecretRotated>> {
    let org = admin.org();
    let secret = new_secret()?;
    let sealed = secrets::seal(&secret);
    let now = state.now();
    let until = fmt(now + ROTATION_GRACE);
    let now_s = fmt(now);
    let u = until.clone();
    state
        .db
        .write(move |c| {
            storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            storage::webhook_endpoint_rotate(c, id, &sealed, &u, &now_s)?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(Json(api::WebhookSecretRotated {
        secret,
        previous_valid_until: until,
    }))
}

pub async fn send_test(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<api::WebhookDelivery>)> {
    let org = admin.org();
    let now = fmt(state.now());
    let d = state
        .db
        .write(move |c| {
            storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            let d = events::test_event(c, org, id, &now)?;
            storage::webhook_delivery(c, d)?.ok_or(ApiError::not_found("delivery"))
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(delivery_view(d))))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    cursor: Option<i64>,
    limit: Option<i64>,
}

pub async fn deliveries(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
    Query(q): Query<DeliveriesQuery>,
) -> ApiResult<Json<api::WebhookDeliveryPage>> {
    let limit = match q.limit {
        None => 50,
        Some(l) if (1..=500).contains(&l) => l,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`limit` must be between 1 and 500.",
            )
            .field("limit"))
        }
    };
    let org = admin.org();
    let rows = state
        .db
        .read(move |c| {
            storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            Ok::<_, ApiError>(storage::webhook_deliveries_page(c, id, q.cursor, limit)?)
        })
        .await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|d| d.id.to_string()))
        .flatten();
    Ok(Json(api::WebhookDeliveryPage {
        items: rows.into_iter().map(delivery_view).collect(),
        next_cursor,
    }))
}

pub async fn resend(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path((id, delivery)): Path<(i64, i64)>,
) -> ApiResult<Json<api::WebhookDelivery>> {
    let org = admin.org();
    let now = fmt(state.now());
    let d = state
        .db
        .write(move |c| {
            storage::webhook_endpoint(c, org, id)?.ok_or(ApiError::not_found("endpoint"))?;
            if !storage::webhook_delivery_resend(c, id, delivery, &now)? {
                return Err(ApiError::not_found("delivery"));
            }
            storage::webhook_delivery(c, delivery)?.ok_or(ApiError::not_found("delivery"))
        })
        .await?;
    Ok(Json(delivery_view(d)))
}
