//! `/conversations`: the inbox, one conversation with its messages, and an
//! agent's actions (send, request opt-in, mark read, start a conversation).

use axum::extract::State;
use axum::http::StatusCode;
use optline_api as api;
use optline_engine::StateName;
use serde::Deserialize;

use super::auth::AuthUser;
use super::error::{ApiError, ApiResult, Json, Path, Query};
use super::{check_text, phone_field, MAX_BODY_CHARS};
use crate::clock::fmt;
use crate::consent::agent::{self, AgentAction, NewConversation};
use crate::consent::manual::{self, ManualRecord};
use crate::consent::{self, ConsentResult};
use crate::state::AppState;
use crate::storage::{self, StorageError};
use crate::{outbox, phone_zones, views};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    q: Option<String>,
    state: Option<String>,
    channel: Option<api::Channel>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn state_filter(s: &Option<String>) -> ApiResult<Option<StateName>> {
    let Some(s) = s else { return Ok(None) };
    StateName::parse(s).map(Some).ok_or_else(|| {
        let names: Vec<&str> = StateName::ALL.iter().map(|n| n.as_str()).collect();
        ApiError::bad_request(
            "invalid_query",
            format!("`state` must be one of {}.", names.join(", ")),
        )
        .field("state")
    })
}

fn cursor(c: &Option<String>) -> ApiResult<Option<(String, i64)>> {
    let Some(cur) = c else { return Ok(None) };
    let bad = || {
        ApiError::bad_request(
            "invalid_cursor",
            "`cursor` is not one this server gave out. Start from the first page.",
        )
        .field("cursor")
    };
    let (t, id) = cur.rsplit_once('|').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    if crate::clock::parse(t).is_none() {
        return Err(bad());
    }
    Ok(Some((t.to_string(), id)))
}

pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<api::ConversationPage>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(
            ApiError::bad_request("invalid_query", "`limit` must be between 1 and 200.")
                .field("limit"),
        );
    }
    if let Some(text) = &q.q {
        check_text(text, "q", 200, true)?;
    }
    let filter = storage::ConvFilter {
        q: q.q.clone(),
        state: state_filter(&q.state)?,
        channel: q.channel,
        after: cursor(&q.cursor)?,
        limit,
    };
    let scope = user.scope();
    let now = state.now();
    let st = state.clone();
    let page = state
        .db
        .read(move |c| {
            let (rows, total) = storage::conversations_list(c, scope, &filter)?;
            let next = if rows.len() as i64 == filter.limit {
                rows.last().map(|r| format!("{}|{}", r.updated_at, r.id))
            } else {
                None
            };
            let items = rows
                .iter()
                .map(|r| {
                    Ok(views::summary(
                        r,
                        &*st.flows.get(c, r.lob_id, r.channel)?,
                        now,
                    ))
                })
                .collect::<Result<Vec<_>, StorageError>>()?;
            Ok::<_, StorageError>(api::ConversationPage {
                items,
                next_cursor: next,
                total,
            })
        })
        .await?;
    Ok(Json(page))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

fn page_limit(l: Option<i64>) -> ApiResult<i64> {
    let l = l.unwrap_or(50);
    if !(1..=500).contains(&l) {
        return Err(
            ApiError::bad_request("invalid_query", "`limit` must be between 1 and 500.")
                .field("limit"),
        );
    }
    Ok(l)
}

pub async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<api::ConversationDetail>> {
    let limit = page_limit(q.limit)?;
    let now = state.now();
    let st = state.clone();
    let u = user.0;
    let d = state
        .db
        .read(move |c| {
            let row = consent::visible_conversation(c, &u, id)?;
            let (msgs, more) = storage::messages_page(c, id, None, limit)?;
            let flow = st.flows.get(c, row.lob_id, row.channel)?;
            ConsentResult::Ok(api::ConversationDetail {
                channel_enabled: row.channel_enabled(),
                conversation: views::summary(&row, &flow, now),
                messages: msgs.iter().map(views::message).collect(),
                has_more: more,
                flow: flow.flow().clone(),
                now: fmt(now),
            })
        })
        .await?;
    Ok(Json(d))
}

pub async fn messages(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<api::MessagePage>> {
    let limit = page_limit(q.limit)?;
    let u = user.0;
    let p = state
        .db
        .read(move |c| {
            consent::visible_conversation(c, &u, id)?;
            let (msgs, more) = storage::messages_page(c, id, q.before, limit)?;
            ConsentResult::Ok(api::MessagePage {
                messages: msgs.iter().map(views::message).collect(),
                has_more: more,
            })
        })
        .await?;
    Ok(Json(p))
}

/// Runs one consent-layer step for `user` in the writer, then carries out
/// its effects (sends, live events) once it is committed.
async fn step_and_dispatch<F>(
    state: AppState,
    user: AuthUser,
    step: F,
) -> ApiResult<Json<api::ActionResult>>
where
    F: FnMut(
            &crate::storage::Conn,
            &consent::FlowCache,
            chrono::DateTime<chrono::Utc>,
            &storage::UserRow,
        ) -> ConsentResult<(api::ActionResult, consent::Effects)>
        + Send
        + 'static,
{
    let now = state.now();
    let st = state.clone();
    let u = user.0;
    let mut step = step;
    let (res, fx) = state.db.write(move |c| step(c, &st.flows, now, &u)).await?;
    outbox::run(&state, fx);
    Ok(Json(res))
}

async fn act(
    state: AppState,
    user: AuthUser,
    id: i64,
    action: AgentAction,
) -> ApiResult<Json<api::ActionResult>> {
    step_and_dispatch(state, user, move |c, flows, now, u| {
        agent::act(c, flows, now, u, id, action.clone())
    })
    .await
}

pub async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<api::SendMessageRequest>,
) -> ApiResult<Json<api::ActionResult>> {
    check_text(&req.body, "body", MAX_BODY_CHARS, true)?;
    act(state, user, id, AgentAction::Send(req.body)).await
}

pub async fn request_opt_in(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<api::ActionResult>> {
    act(state, user, id, AgentAction::RequestOptIn).await
}

/// Runs a manual record (rule 13) and carries out its effects.
async fn record_manually(
    state: AppState,
    user: AuthUser,
    id: i64,
    record: ManualRecord,
) -> ApiResult<Json<api::ActionResult>> {
    step_and_dispatch(state, user, move |c, flows, now, u| {
        manual::record(c, flows, now, u, id, record.clone())
    })
    .await
}

/// An agent or admin records an opt-out the contact gave another way. The
/// engine checks the note (422 naming `note`).
pub async fn record_opt_out(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<api::RecordOptOutRequest>,
) -> ApiResult<Json<api::ActionResult>> {
    check_text(&req.note, "note", MAX_BODY_CHARS, true)?;
    record_manually(state, user, id, ManualRecord::OptOut { note: req.note }).await
}

/// An admin records an opt-in collected elsewhere; the engine refuses
/// anyone else (403) and checks the evidence (422 naming `reference` or
/// `agreed_text`).
pub async fn record_opt_in(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<api::RecordOptInRequest>,
) -> ApiResult<Json<api::ActionResult>> {
    check_text(&req.reference, "reference", MAX_BODY_CHARS, true)?;
    check_text(&req.agreed_text, "agreed_text", MAX_BODY_CHARS, true)?;
    let record = ManualRecord::OptIn {
        reference: req.reference,
        agreed_text: req.agreed_text,
    };
    record_manually(state, user, id, record).await
}

pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let u = user.0;
    state
        .db
        .write(move |c| {
            consent::visible_conversation(c, &u, id)?;
            Ok::<_, consent::ConsentError>(storage::conversation_mark_read(c, id)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    Json(req): Json<api::StartConversationRequest>,
) -> ApiResult<(StatusCode, Json<api::ConversationSummary>)> {
    let phone = phone_field(&req.phone, "phone")?;
    if let Some(n) = &req.name {
        check_text(n, "name", 200, true)?;
    }
    let tz = match &req.time_zone {
        Some(t) => Some(phone_zones::check_time_zone(t, "time_zone")?),
        None => None,
    };
    let now = state.now();
    let st = state.clone();
    let u = user.0;
    let name = req.name.clone().filter(|n| !n.trim().is_empty());
    let channel = req.channel;
    let s = state
        .db
        .write(move |c| {
            agent::start_conversation(
                c,
                &st.flows,
                now,
                &u,
                &NewConversation {
                    phone_e164: &phone,
                    channel,
                    name: name.as_deref(),
                    time_zone: tz.as_deref(),
                },
            )
        })
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}
