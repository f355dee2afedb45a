//! HTTP handlers of `/api/v1`.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::{Stream, StreamExt};
use optline_api as api;
use optline_engine as engine;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{self, AdminUser, AuthUser};
use crate::clock::fmt;
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::phone;
use crate::service::{self, AgentAction};
use crate::storage::{self, UserRow};

/// Longest message body accepted, in characters.
pub const MAX_BODY_CHARS: usize = 4096;

pub fn api_routes(state: AppState) -> Router<AppState> {
    let mut r = Router::new()
        .route("/api/v1/openapi.json", get(crate::openapi::serve))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/events", get(events))
        .route(
            "/api/v1/conversations",
            get(list_conversations).post(start_conversation),
        )
        .route("/api/v1/conversations/{id}", get(get_conversation))
        .route(
            "/api/v1/conversations/{id}/messages",
            get(list_messages).post(send_message),
        )
        .route(
            "/api/v1/conversations/{id}/opt-in-request",
            post(request_opt_in),
        )
        .route("/api/v1/conversations/{id}/read", post(mark_read))
        .route(
            "/api/v1/webhooks/whatsapp",
            get(crate::providers::whatsapp::handshake).post(crate::providers::whatsapp::receive),
        )
        .route(
            "/api/v1/webhooks/twilio/{id}",
            post(crate::providers::twilio::receive),
        )
        .route("/api/v1/sim/inbound", post(sim_inbound))
        .route("/api/v1/sim/numbers", get(sim_numbers))
        .route("/api/v1/sim/phones/{phone}/messages", get(sim_phone))
        .route(
            "/api/v1/admin/users",
            get(admin_users).post(admin_create_user),
        )
        .route(
            "/api/v1/admin/users/{id}",
            axum::routing::patch(admin_update_user),
        )
        .route("/api/v1/admin/numbers", get(admin_numbers))
        .route(
            "/api/v1/admin/numbers/{id}",
            axum::routing::patch(admin_update_number),
        )
        .route(
            "/api/v1/admin/flows/{lob}/{channel}",
            get(admin_get_flow).put(admin_save_flow),
        )
        .route(
            "/api/v1/admin/flows/{lob}/{channel}/validate",
            post(admin_validate_flow),
        )
        .route("/api/v1/admin/ownership", get(admin_ownership))
        .route("/api/v1/admin/ownership/reassign", post(admin_reassign))
        .route("/api/v1/admin/ownership/release", post(admin_release))
        .route("/api/v1/admin/audit", get(admin_audit))
        .route("/api/v1/admin/audit.csv", get(admin_audit_csv));
    if state.config.test_clock {
        r = r.route("/api/v1/test/clock", get(clock_get).post(clock_advance));
    }
    r
}

/// Publishes committed events. Outbound messages to simulated phones are
/// then reported delivered (as a provider's status callback would), which
/// goes through the writer and emits `status` events.
/// Messages `queued` for a real provider are handed to its sender.
pub fn publish(state: &AppState, p: service::Publish) {
    let mut sent: Vec<(Vec<i64>, i64, i64)> = Vec::new();
    for (users, ev) in p {
        if let api::LiveEvent::Message { message, .. } = &ev {
            if message.direction == api::Direction::Outbound
                && message.status == api::DeliveryStatus::Sent
            {
                sent.push((users.clone(), message.conversation_id, message.id));
            } else if message.direction == api::Direction::Outbound
                && message.status == api::DeliveryStatus::Queued
            {
                if let api::LiveEvent::Message {
                    conversation,
                    message,
                } = &ev
                {
                    crate::providers::send::dispatch(state, conversation, message, &users);
                }
            }
        }
        state.hub.publish(&users, &ev);
    }
    if sent.is_empty() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let ids: Vec<i64> = sent.iter().map(|s| s.2).collect();
        let done = state
            .db
            .write(move |c| storage::messages_set_status(c, &ids, "sent", "delivered"))
            .await;
        if done.is_ok() {
            for (users, conversation_id, message_id) in sent {
                state.hub.publish(
                    &users,
                    &api::LiveEvent::Status {
                        conversation_id,
                        message_id,
                        status: api::DeliveryStatus::Delivered,
                        error: None,
                    },
                );
            }
        }
    });
}

fn check_text(s: &str, field: &str, max: usize, allow_empty: bool) -> ApiResult<()> {
    if !allow_empty && s.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "empty",
            field,
            format!("`{field}` must not be empty."),
        ));
    }
    if s.chars().count() > max {
        return Err(ApiError::unprocessable(
            "too_long",
            field,
            format!("`{field}` is longer than {max} characters. Shorten it."),
        ));
    }
    if s.contains('\0') {
        return Err(ApiError::unprocessable(
            "invalid_text",
            field,
            format!("`{field}` contains a NUL character. Remove it."),
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------- auth

fn build_me(c: &rusqlite::Connection, u: &UserRow) -> ApiResult<api::Me> {
    let org = api::Organization {
        id: u.org_id,
        name: storage::org_name(c, u.org_id)?,
    };
    let lobs = storage::lobs_in_org(c, u.org_id)?
        .into_iter()
        .map(|(id, name)| api::LineOfBusiness { id, name })
        .collect();
    Ok(api::Me {
        user: user_view(c, u)?,
        organization: org,
        lines_of_business: lobs,
    })
}

pub fn number_view(n: &storage::NumberRow) -> api::BusinessNumber {
    api::BusinessNumber {
        id: n.id,
        phone: n.e164.clone(),
        line_of_business_id: n.lob_id,
        user_id: n.user_id,
        sms_enabled: n.sms_enabled,
        whatsapp_enabled: n.whatsapp_enabled,
        provider: n.provider.clone(),
        provider_settings: crate::providers::settings_view(n),
    }
}

fn user_view(c: &rusqlite::Connection, u: &UserRow) -> ApiResult<api::User> {
    Ok(api::User {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: if u.role == "admin" {
            api::Role::Admin
        } else {
            api::Role::Agent
        },
        line_of_business_id: u.lob_id,
        number: storage::number_by_user(c, u.id)?.as_ref().map(number_view),
        active: u.active,
    })
}

async fn login(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    Json(req): Json<api::LoginRequest>,
) -> ApiResult<Response> {
    check_text(&req.email, "email", 254, false)?;
    check_text(&req.password, "password", 200, false)?;
    let email = req.email.trim().to_lowercase();
    let user = state
        .db
        .read(move |c| storage::user_by_email(c, &email))
        .await?;
    let pw = req.password.clone();
    let hash = user
        .as_ref()
        .filter(|u| u.active)
        .map(|u| u.password_hash.clone());
    let ok = auth::verify_password_async(pw, hash).await;
    let Some(user) = user.filter(|_| ok) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The e-mail or password is wrong. Check both and try again.",
        ));
    };
    let token = auth::new_token()?;
    let th = auth::token_hash(&token);
    let now = chrono::Utc::now();
    let exp = now + chrono::Duration::hours(auth::SESSION_HOURS);
    let u2 = user.clone();
    let me = state
        .db
        .write(move |c| {
            storage::session_insert(c, &th, u2.id, &fmt(now), &fmt(exp))?;
            build_me(c, &u2)
        })
        .await?;
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let cookie = auth::cookie_header(&token, secure, auth::SESSION_HOURS * 3600);
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(me)).into_response())
}

async fn logout(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|s| s.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == auth::COOKIE)
        .map(|(_, v)| v.to_string());
    if let Some(t) = token {
        let th = auth::token_hash(&t);
        state
            .db
            .write(move |c| storage::session_delete(c, &th))
            .await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::cookie_header("", false, 0))],
    )
        .into_response())
}

async fn me(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<api::Me>> {
    let u = user.0;
    Ok(Json(state.db.read(move |c| build_me(c, &u)).await?))
}

// ------------------------------------------------------------------- live

async fn events(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: AuthUser,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.hub.subscribe(user.id());
    let ready =
        futures_util::stream::once(async { Ok(SseEvent::default().event("ready").data("{}")) });
    let live = tokio_stream::wrappers::BroadcastStream::new(rx).filter_map(|item| async move {
        match item {
            Ok(w) => Some(Ok(SseEvent::default().event(w.0).data(w.1.as_str()))),
            // A slow client missed events: tell it to refetch.
            Err(_) => Some(Ok(SseEvent::default().event("resync").data("{}"))),
        }
    });
    let mut stop = state.shutdown.clone();
    let stopped = async move {
        let _ = stop.wait_for(|v| *v).await;
    };
    Sse::new(ready.chain(live).take_until(stopped)).keep_alive(KeepAlive::default())
}

// ----------------------------------------------------------------- agent

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    q: Option<String>,
    state: Option<String>,
    channel: Option<api::Channel>,
    cursor: Option<String>,
    limit: Option<i64>,
}

const STATES: [&str; 5] = [
    "not_requested",
    "pending",
    "accepted",
    "rejected",
    "opted_out",
];

async fn list_conversations(
    axum::extract::State(state): axum::extract::State<AppState>,
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
    if let Some(s) = &q.state {
        if !STATES.contains(&s.as_str()) {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("`state` must be one of {}.", STATES.join(", ")),
            )
            .field("state"));
        }
    }
    if let Some(text) = &q.q {
        check_text(text, "q", 200, true)?;
    }
    let after = match &q.cursor {
        None => None,
        Some(cur) => {
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
            Some((t.to_string(), id))
        }
    };
    let filter = storage::ConvFilter {
        q: q.q.clone(),
        state: q.state.clone(),
        channel: q.channel.map(|c| c.as_str().to_string()),
        after,
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
                .map(|r| service::summary(r, &st.flows, c, now))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(api::ConversationPage {
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
struct PageQuery {
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

async fn get_conversation(
    axum::extract::State(state): axum::extract::State<AppState>,
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
            let row = service::visible_conversation(c, &u, id)?;
            let (msgs, more) = storage::messages_page(c, id, None, limit)?;
            let ch = service::engine_channel(&row.channel);
            let flow = st.flows.get(c, row.lob_id, ch)?;
            Ok(api::ConversationDetail {
                channel_enabled: match ch {
                    engine::Channel::Sms => row.sms_enabled,
                    engine::Channel::WhatsApp => row.whatsapp_enabled,
                },
                conversation: service::summary(&row, &st.flows, c, now)?,
                messages: msgs.iter().map(service::message).collect(),
                has_more: more,
                flow: serde_json::to_value(flow.flow()).unwrap_or_default(),
                now: fmt(now),
            })
        })
        .await?;
    Ok(Json(d))
}

async fn list_messages(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<api::MessagePage>> {
    let limit = page_limit(q.limit)?;
    let u = user.0;
    let p = state
        .db
        .read(move |c| {
            service::visible_conversation(c, &u, id)?;
            let (msgs, more) = storage::messages_page(c, id, q.before, limit)?;
            Ok(api::MessagePage {
                messages: msgs.iter().map(service::message).collect(),
                has_more: more,
            })
        })
        .await?;
    Ok(Json(p))
}

async fn agent_action(
    state: AppState,
    user: AuthUser,
    id: i64,
    action: AgentAction,
) -> ApiResult<Json<api::ActionResult>> {
    let now = state.now();
    let st = state.clone();
    let u = user.0;
    let (res, p) = state
        .db
        .write(move |c| service::agent_act(c, &st.flows, now, &u, id, action))
        .await?;
    publish(&state, p);
    Ok(Json(res))
}

async fn send_message(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<api::SendMessageRequest>,
) -> ApiResult<Json<api::ActionResult>> {
    check_text(&req.body, "body", MAX_BODY_CHARS, true)?;
    agent_action(state, user, id, AgentAction::Send(req.body)).await
}

async fn request_opt_in(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<api::ActionResult>> {
    agent_action(state, user, id, AgentAction::RequestOptIn).await
}

async fn mark_read(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let u = user.0;
    state
        .db
        .write(move |c| {
            service::visible_conversation(c, &u, id)?;
            storage::conversation_mark_read(c, id)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn start_conversation(
    axum::extract::State(state): axum::extract::State<AppState>,
    user: AuthUser,
    Json(req): Json<api::StartConversationRequest>,
) -> ApiResult<(StatusCode, Json<api::ConversationSummary>)> {
    let phone = phone::normalize(&req.phone, "phone")?;
    if let Some(n) = &req.name {
        check_text(n, "name", 200, true)?;
    }
    let tz = match &req.time_zone {
        Some(t) => Some(phone::check_time_zone(t, "time_zone")?),
        None => None,
    };
    let now = state.now();
    let st = state.clone();
    let u = user.0;
    let ch = req.channel.as_str();
    let name = req.name.clone().filter(|n| !n.trim().is_empty());
    let s = state
        .db
        .write(move |c| {
            service::start_conversation(
                c,
                &st.flows,
                now,
                &u,
                &phone,
                ch,
                name.as_deref(),
                tz.as_deref(),
            )
        })
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

// ------------------------------------------------------------- simulator

/// Feeds one inbound message through the shared inbound path.
pub async fn receive_inbound(
    state: &AppState,
    from: String,
    to: String,
    channel: &'static str,
    body: String,
    provider: &'static str,
    pmid: String,
) -> ApiResult<api::SimInboundResponse> {
    let now = state.now();
    let st = state.clone();
    let guessed_tz = phone::guess_time_zone(&from);
    let (res, p) = state
        .db
        .write(move |c| {
            let number = storage::number_by_e164(c, &to)?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_business_number",
                    "`to` is not a business number of any organization here. Pick one from GET /api/v1/sim/numbers.",
                )
                .field("to")
            })?;
            if number.e164 == from {
                return Err(ApiError::unprocessable("invalid_phone", "from", "`from` must differ from `to`."));
            }
            service::inbound(
                c,
                &st.flows,
                now,
                &service::Inbound {
                    from: &from,
                    to: &number,
                    channel,
                    body: &body,
                    provider,
                    provider_message_id: &pmid,
                    guessed_tz,
                    unsupported: None,
                    carrier_stop: false,
                },
            )
        })
        .await?;
    publish(state, p);
    Ok(res)
}

async fn sim_inbound(
    axum::extract::State(state): axum::extract::State<AppState>,
    Json(req): Json<api::SimInboundRequest>,
) -> ApiResult<Json<api::SimInboundResponse>> {
    let from = phone::normalize(&req.from, "from")?;
    let to = phone::normalize(&req.to, "to")?;
    check_text(&req.body, "body", MAX_BODY_CHARS, true)?;
    let pmid = match req.provider_message_id {
        Some(p) => {
            check_text(&p, "provider_message_id", 200, false)?;
            p
        }
        None => format!("sim-{}", &auth::new_token()?[..24]),
    };
    let res = receive_inbound(
        &state,
        from,
        to,
        req.channel.as_str(),
        req.body,
        "simulator",
        pmid,
    )
    .await?;
    Ok(Json(res))
}

async fn sim_numbers(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<Json<api::SimDirectory>> {
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

async fn sim_phone(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<api::SimPhoneInbox>> {
    let phone = phone::normalize(&raw, "phone")?;
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
                direction: if m.direction == "inbound" {
                    api::Direction::Inbound
                } else {
                    api::Direction::Outbound
                },
                business_number: number,
                channel: service::api_channel(&channel),
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
    }))
}

// ----------------------------------------------------------------- admin

async fn admin_users(
    axum::extract::State(state): axum::extract::State<AppState>,
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

async fn admin_create_user(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Json(req): Json<api::CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<api::User>)> {
    check_text(&req.name, "name", 200, false)?;
    check_text(&req.email, "email", 254, false)?;
    let email = req.email.trim().to_lowercase();
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(ApiError::unprocessable(
            "invalid_email",
            "email",
            "`email` must be an e-mail address such as ana@example.com.",
        ));
    }
    auth::check_password_rules(&req.password, "password")?;
    let phone = match &req.phone {
        Some(p) => Some(phone::normalize(p, "phone")?),
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
                Some(l) => {
                    if !storage::lob_in_org(c, org, l)? {
                        return Err(
                            ApiError::not_found("line of business").field("line_of_business_id")
                        );
                    }
                    Some(l)
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
                    role: req.role.as_str(),
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
            let u =
                storage::user_by_id(c, id)?.ok_or_else(|| ApiError::internal("user vanished"))?;
            user_view(c, &u)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn admin_update_user(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
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
            let u = storage::user_by_id(c, id)?.ok_or_else(|| ApiError::not_found("user"))?;
            user_view(c, &u)
        })
        .await?;
    Ok(Json(user))
}

async fn admin_numbers(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
) -> ApiResult<Json<api::NumberList>> {
    let org = admin.org();
    let numbers = state
        .db
        .read(move |c| storage::numbers_in_org(c, org))
        .await?;
    Ok(Json(api::NumberList {
        numbers: numbers.iter().map(number_view).collect(),
    }))
}

async fn admin_update_number(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
    Json(req): Json<api::UpdateNumberAdminRequest>,
) -> ApiResult<Json<api::BusinessNumber>> {
    let now = state.now();
    let a = admin.0.clone();
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
                let cfg =
                    crate::providers::validate_input(p, &crate::providers::ProviderConfig::of(&n))?;
                let json = match &cfg {
                    crate::providers::ProviderConfig::Simulator => None,
                    c => Some(
                        serde_json::to_string(c).map_err(|e| ApiError::internal(e.to_string()))?,
                    ),
                };
                storage::number_set_provider(c, id, cfg.kind(), cfg.key(), json.as_deref())?;
            }
            service::toggle_channels(c, now, &a, &n, req.sms_enabled, req.whatsapp_enabled)?;
            storage::number_by_id(c, id)?.ok_or_else(|| ApiError::not_found("business number"))
        })
        .await;
    // Settings, user or switches may have changed: forget cached numbers.
    state.provider_numbers.clear();
    let n = n?;
    Ok(Json(number_view(&n)))
}

fn engine_ch(c: api::Channel) -> engine::Channel {
    match c {
        api::Channel::Sms => engine::Channel::Sms,
        api::Channel::Whatsapp => engine::Channel::WhatsApp,
    }
}

async fn admin_get_flow(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Path((lob, channel)): Path<(i64, api::Channel)>,
) -> ApiResult<Json<api::FlowDocument>> {
    let org = admin.org();
    let st = state.clone();
    let doc = state
        .db
        .read(move |c| {
            if !storage::lob_in_org(c, org, lob)? {
                return Err(ApiError::not_found("line of business"));
            }
            let saved = storage::flow_get(c, lob, channel.as_str())?;
            let flow = st.flows.get(c, lob, engine_ch(channel))?;
            Ok(api::FlowDocument {
                line_of_business_id: lob,
                channel,
                flow: serde_json::to_value(flow.flow()).unwrap_or_default(),
                is_default: saved.is_none(),
                updated_at: saved.map(|s| s.1),
            })
        })
        .await?;
    Ok(Json(doc))
}

fn parse_flow(
    v: serde_json::Value,
    channel: api::Channel,
) -> ApiResult<Result<engine::ValidFlow, Vec<api::ApiError>>> {
    let flow: engine::Flow = match serde_path_to_error::deserialize(v) {
        Ok(f) => f,
        Err(e) => {
            let path = e.path().to_string();
            let field = if path.is_empty() || path == "." {
                "flow".to_string()
            } else {
                format!("flow.{path}")
            };
            return Err(ApiError::unprocessable(
                "invalid_body",
                &field,
                format!("`{field}` is invalid: {}. Fix it and retry.", e.inner()),
            ));
        }
    };
    Ok(
        engine::validate(&flow, engine_ch(channel)).map_err(|problems| {
            problems
                .into_iter()
                .map(|p| api::ApiError {
                    code: p.code,
                    message: p.message,
                    field: Some(format!("flow.{}", p.field)),
                })
                .collect()
        }),
    )
}

async fn admin_validate_flow(
    AdminUser(_admin): AdminUser,
    Path((_lob, channel)): Path<(i64, api::Channel)>,
    Json(req): Json<api::SaveFlowRequest>,
) -> ApiResult<Json<api::FlowValidation>> {
    let r = parse_flow(req.flow, channel)?;
    Ok(Json(match r {
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

async fn admin_save_flow(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Path((lob, channel)): Path<(i64, api::Channel)>,
    Json(req): Json<api::SaveFlowRequest>,
) -> ApiResult<Json<api::FlowDocument>> {
    let valid = match parse_flow(req.flow, channel)? {
        Ok(v) => v,
        Err(problems) => {
            let first = problems[0].clone();
            let all: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field.clone().unwrap_or_default(), p.message))
                .collect();
            let e = ApiError::unprocessable(
                "invalid_flow",
                first.field.as_deref().unwrap_or("flow"),
                format!("The flow is invalid and was not saved. {}", all.join(" ")),
            );
            return Err(e);
        }
    };
    let json =
        serde_json::to_string(valid.flow()).map_err(|e| ApiError::internal(e.to_string()))?;
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
            storage::flow_put(c, lob, channel.as_str(), &json, &now, by)?;
            st.flows.invalidate(lob, engine_ch(channel));
            Ok(api::FlowDocument {
                line_of_business_id: lob,
                channel,
                flow: serde_json::to_value(valid.flow()).unwrap_or_default(),
                is_default: false,
                updated_at: Some(now),
            })
        })
        .await?;
    state.flows.invalidate(lob, engine_ch(channel));
    Ok(Json(doc))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OwnershipQuery {
    line_of_business_id: Option<i64>,
}

async fn admin_ownership(
    axum::extract::State(state): axum::extract::State<AppState>,
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

async fn ownership_change(
    state: AppState,
    admin: AuthUser,
    req: api::OwnershipChangeRequest,
    release: bool,
) -> ApiResult<Json<api::Ownership>> {
    let phone = phone::normalize(&req.contact_phone, "contact_phone")?;
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
    let (o, p) = state
        .db
        .write(move |c| {
            service::reassign(c, &st.flows, now, &a, req.line_of_business_id, &phone, to)
        })
        .await?;
    publish(&state, p);
    Ok(Json(o))
}

async fn admin_reassign(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Json(req): Json<api::OwnershipChangeRequest>,
) -> ApiResult<Json<api::Ownership>> {
    ownership_change(state, admin, req, false).await
}

async fn admin_release(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Json(req): Json<api::OwnershipChangeRequest>,
) -> ApiResult<Json<api::Ownership>> {
    ownership_change(state, admin, req, true).await
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    contact: Option<String>,
    number: Option<String>,
    channel: Option<api::Channel>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<i64>,
    limit: Option<i64>,
}

fn audit_filter(q: &AuditQuery) -> ApiResult<storage::AuditFilter> {
    let time = |v: &Option<String>, f: &str| -> ApiResult<Option<String>> {
        match v {
            None => Ok(None),
            Some(s) => crate::clock::parse(s).map(|t| Some(fmt(t))).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("`{f}` must be an RFC 3339 time such as 2026-01-31T00:00:00Z."),
                )
                .field(f)
            }),
        }
    };
    Ok(storage::AuditFilter {
        contact: match &q.contact {
            Some(p) => Some(phone::normalize(p, "contact")?),
            None => None,
        },
        number: match &q.number {
            Some(p) => Some(phone::normalize(p, "number")?),
            None => None,
        },
        channel: q.channel.map(|c| c.as_str().to_string()),
        action: q.action.clone(),
        from: time(&q.from, "from")?,
        to: time(&q.to, "to")?,
        after_id: q.cursor,
        limit: match q.limit {
            None => 100,
            Some(l) if (1..=1000).contains(&l) => l,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    "`limit` must be between 1 and 1000.",
                )
                .field("limit"))
            }
        },
    })
}

fn audit_view(a: storage::AuditRow) -> api::AuditRecord {
    api::AuditRecord {
        id: a.id,
        at: a.at,
        business_number: a.number,
        contact_phone: a.contact,
        channel: service::api_channel(&a.channel),
        actor: a.actor,
        action: a.action,
        from_state: a.from_state,
        to_state: a.to_state,
        evidence: a.evidence,
        request_text: a.request_text,
        provider_message_id: a.provider_message_id,
    }
}

async fn admin_audit(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<api::AuditPage>> {
    let f = audit_filter(&q)?;
    let org = admin.org();
    let limit = f.limit;
    let rows = state
        .db
        .read(move |c| storage::audit_query(c, org, &f))
        .await?;
    let next = if rows.len() as i64 == limit {
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok(Json(api::AuditPage {
        items: rows.into_iter().map(audit_view).collect(),
        next_cursor: next,
    }))
}

fn csv_field(s: &str, free_text: bool) -> String {
    let mut s = s.to_string();
    // Spreadsheet formula injection: neutralise free text starting with one.
    if free_text && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        s.insert(0, '\'');
    }
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub const AUDIT_CSV_HEADER: &str = "id,at,business_number,contact_phone,channel,actor,action,from_state,to_state,evidence,request_text,provider_message_id\n";

async fn admin_audit_csv(
    axum::extract::State(state): axum::extract::State<AppState>,
    AdminUser(admin): AdminUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Response> {
    let mut f = audit_filter(&q)?;
    f.limit = 1000;
    let org = admin.org();
    let db = state.db.clone();
    // Streamed page by page: memory stays flat whatever the audit's size.
    let stream = futures_util::stream::unfold(Some((f, true)), move |st| {
        let db = db.clone();
        async move {
            let (mut f, first) = st?;
            let f2 = f.clone();
            let rows = match db.read(move |c| storage::audit_query(c, org, &f2)).await {
                Ok(r) => r,
                // Abort the body rather than end it: a truncated export
                // must not look like a complete one.
                Err(e) => {
                    let err = std::io::Error::other(format!("audit export stopped: {e:?}"));
                    return Some((Err(err), None));
                }
            };
            let mut out = String::new();
            if first {
                out.push_str(AUDIT_CSV_HEADER);
            }
            let done = (rows.len() as i64) < f.limit;
            for a in &rows {
                let cols = [
                    a.id.to_string(),
                    csv_field(&a.at, false),
                    csv_field(&a.number, false),
                    csv_field(&a.contact, false),
                    csv_field(&a.channel, false),
                    csv_field(&a.actor, false),
                    csv_field(&a.action, false),
                    csv_field(&a.from_state, false),
                    csv_field(&a.to_state, false),
                    csv_field(&a.evidence, true),
                    csv_field(a.request_text.as_deref().unwrap_or(""), true),
                    csv_field(a.provider_message_id.as_deref().unwrap_or(""), true),
                ];
                out.push_str(&cols.join(","));
                out.push('\n');
            }
            f.after_id = rows.last().map(|r| r.id).or(f.after_id);
            let next = if done { None } else { Some((f, false)) };
            if out.is_empty() {
                return None;
            }
            Some((Ok::<_, std::io::Error>(out), next))
        }
    })
    // Compression polls once more after the end; a fused stream answers
    // "finished" instead of panicking.
    .fuse();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"consent-audit.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

// ------------------------------------------------------------ test clock

async fn clock_get(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Json<api::ClockNow> {
    Json(api::ClockNow {
        now: fmt(state.now()),
        offset_seconds: state.clock.offset(),
    })
}

async fn clock_advance(
    axum::extract::State(state): axum::extract::State<AppState>,
    Json(req): Json<api::ClockAdvance>,
) -> ApiResult<Json<api::ClockNow>> {
    if !(0..=10 * 365 * 86_400).contains(&req.advance_seconds) {
        return Err(ApiError::unprocessable(
            "invalid_value",
            "advance_seconds",
            "`advance_seconds` must be between 0 and ten years (the clock only moves forward).",
        ));
    }
    state.clock.advance(req.advance_seconds);
    Ok(clock_get(axum::extract::State(state)).await)
}
