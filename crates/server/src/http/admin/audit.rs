//! `/admin/audit` and `/admin/audit.csv`: the consent audit, filtered,
//! paged by id, and exported as a streamed CSV.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use optline_api as api;
use serde::Deserialize;

use crate::clock::fmt;
use crate::http::auth::AdminUser;
use crate::http::error::{ApiError, ApiResult, Json, Query};
use crate::http::phone_field;
use crate::state::AppState;
use crate::storage;
use crate::views;

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    contact: Option<String>,
    number: Option<String>,
    channel: Option<api::Channel>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<i64>,
    limit: Option<i64>,
    /// The insights' funnel stage and how (a chart's bar opens these).
    stage: Option<api::FunnelStage>,
    how: Option<String>,
    line_of_business_id: Option<i64>,
    agent_id: Option<i64>,
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
            Some(p) => Some(phone_field(p, "contact")?),
            None => None,
        },
        number: match &q.number {
            Some(p) => Some(phone_field(p, "number")?),
            None => None,
        },
        channel: q.channel,
        action: q.action.clone(),
        from: time(&q.from, "from")?,
        to: time(&q.to, "to")?,
        after_id: q.cursor,
        stage: q.stage,
        how: q.how.clone(),
        lob: q.line_of_business_id,
        agent: q.agent_id,
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

pub async fn list(
    State(state): State<AppState>,
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
        items: rows.into_iter().map(views::audit).collect(),
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

/// The export's columns; the evidence source (DESIGN rule 16) comes last so
/// the earlier columns keep their places for existing readers.
pub const AUDIT_CSV_HEADER: &str = "id,at,business_number,contact_phone,channel,actor,action,from_state,to_state,evidence,request_text,provider_message_id,source,signature_verified,template_name,template_language\n";

pub async fn csv(
    State(state): State<AppState>,
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
                    csv_field(a.channel.as_str(), false),
                    csv_field(&a.actor, false),
                    csv_field(&a.action, false),
                    csv_field(&a.from_state, false),
                    csv_field(&a.to_state, false),
                    csv_field(&a.evidence, true),
                    csv_field(a.request_text.as_deref().unwrap_or(""), true),
                    csv_field(a.provider_message_id.as_deref().unwrap_or(""), true),
                    csv_field(a.source.as_deref().unwrap_or(""), false),
                    a.signature_verified.to_string(),
                    csv_field(a.template_name.as_deref().unwrap_or(""), true),
                    csv_field(a.template_language.as_deref().unwrap_or(""), true),
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
