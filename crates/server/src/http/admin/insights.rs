//! `GET /admin/insights`: the opt-in funnel of a period for the admin's
//! organization — checks the filters (422 naming the one that is wrong),
//! asks storage for the counts and shapes them into [`api::Insights`]
//! (totals, rate, percentiles, a zero-filled daily series).
//!
//! The resend interval that decides "no answer" is the engine's, from the
//! flow in force per (line of business, channel): the same number the
//! engine uses to refuse an early resend.

use std::collections::BTreeMap;

use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use optline_api::{self as api, FunnelStage};
use optline_engine::Channel;

use crate::clock::fmt;
use crate::http::auth::AdminUser;
use crate::http::error::{ApiError, ApiResult, Json, Query};
use crate::state::AppState;
use crate::storage::{self, InsightsFilter, StageCount, StorageError};

/// The period when none is given.
const DEFAULT_DAYS: i64 = 30;
/// The longest period counted at once (a year and a day of slack).
const MAX_DAYS: i64 = 367;

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid_query", field, message)
}

fn time_param(v: &str, field: &str) -> ApiResult<DateTime<Utc>> {
    crate::clock::parse(v).ok_or_else(|| {
        invalid(
            field,
            format!("`{field}` must be an RFC 3339 time such as 2026-01-31T00:00:00Z."),
        )
    })
}

fn id_param(v: &str, field: &str) -> ApiResult<i64> {
    v.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| invalid(field, format!("`{field}` must be a positive whole number.")))
}

/// The checked query: every parameter known, each at most once, each valid
/// on its own (organization checks come later, with the database).
struct Parsed {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    lob: Option<i64>,
    agent: Option<i64>,
    channel: Option<Channel>,
}

fn parse_query(pairs: &[(String, String)]) -> ApiResult<Parsed> {
    let mut p = Parsed {
        from: None,
        to: None,
        lob: None,
        agent: None,
        channel: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (k, v) in pairs {
        if seen.contains(&k.as_str()) {
            return Err(invalid(k, format!("`{k}` is given more than once.")));
        }
        seen.push(k);
        match k.as_str() {
            "from" => p.from = Some(time_param(v, "from")?),
            "to" => p.to = Some(time_param(v, "to")?),
            "line_of_business_id" => p.lob = Some(id_param(v, "line_of_business_id")?),
            "agent_id" => p.agent = Some(id_param(v, "agent_id")?),
            "channel" => {
                p.channel =
                    Some(Channel::parse(v).ok_or_else(|| {
                        invalid("channel", "`channel` must be `sms` or `whatsapp`.")
                    })?)
            }
            other => {
                return Err(invalid(
                    other,
                    format!(
                        "`{other}` is not a filter here. Use from, to, line_of_business_id, \
                         channel or agent_id."
                    ),
                ))
            }
        }
    }
    Ok(p)
}

/// The period: `to` defaults to now, `from` to 30 days before `to`.
fn period(p: &Parsed, now: DateTime<Utc>) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let to = p.to.unwrap_or(now);
    let from = p.from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
    if from >= to {
        return Err(invalid("to", "`to` must be later than `from`."));
    }
    if to - from > Duration::days(MAX_DAYS) {
        return Err(invalid(
            "from",
            format!("`from` is more than {MAX_DAYS} days before `to`. Choose a shorter period."),
        ));
    }
    Ok((from, to))
}

/// Nearest-rank percentile of `secs`, rounded to whole seconds. Selects
/// in linear time (reorders `secs`): a period holds tens of thousands.
fn percentile(secs: &mut [f64], p: f64) -> Option<i64> {
    if secs.is_empty() {
        return None;
    }
    let rank = ((p * secs.len() as f64).ceil() as usize).clamp(1, secs.len());
    let (_, v, _) = secs.select_nth_unstable_by(rank - 1, f64::total_cmp);
    Some(v.round() as i64)
}

/// Totals, opt-outs by how and the daily series, from the grouped counts.
fn shape(
    counts: &[StageCount],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (api::Funnel, Vec<api::InsightsDay>) {
    let mut funnel = api::Funnel {
        requests_by_agents: 0,
        requests_automatic: 0,
        accepted: 0,
        rejected: 0,
        no_answer: 0,
        opted_out: 0,
        opted_out_by: Vec::new(),
    };
    let mut by_how: BTreeMap<&str, i64> = BTreeMap::new();
    let mut days: BTreeMap<String, api::InsightsDay> = BTreeMap::new();
    // Every day of the period, so a quiet day shows as zero, not a gap.
    let last = (to - Duration::milliseconds(1)).date_naive();
    let mut d: NaiveDate = from.date_naive();
    while d <= last {
        let key = d.format("%Y-%m-%d").to_string();
        days.insert(
            key.clone(),
            api::InsightsDay {
                day: key,
                requests: 0,
                acceptances: 0,
                opt_outs: 0,
            },
        );
        d = d.succ_opt().unwrap_or(last + Duration::days(1));
    }
    for c in counts {
        let day = days.get_mut(&c.day);
        match c.stage {
            FunnelStage::AgentRequest => funnel.requests_by_agents += c.count,
            FunnelStage::AutoReprompt => funnel.requests_automatic += c.count,
            FunnelStage::Accepted => funnel.accepted += c.count,
            FunnelStage::Rejected => funnel.rejected += c.count,
            FunnelStage::OptedOut => {
                funnel.opted_out += c.count;
                *by_how.entry(c.how.as_str()).or_default() += c.count;
            }
        }
        if let Some(day) = day {
            match c.stage {
                FunnelStage::AgentRequest | FunnelStage::AutoReprompt => day.requests += c.count,
                FunnelStage::Accepted => day.acceptances += c.count,
                FunnelStage::OptedOut => day.opt_outs += c.count,
                FunnelStage::Rejected => {}
            }
        }
    }
    funnel.opted_out_by = by_how
        .into_iter()
        .map(|(how, count)| api::HowCount {
            how: how.to_string(),
            count,
        })
        .collect();
    funnel
        .opted_out_by
        .sort_by(|a, b| b.count.cmp(&a.count).then(a.how.cmp(&b.how)));
    (funnel, days.into_values().collect())
}

pub async fn get(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Json<api::Insights>> {
    let parsed = parse_query(&pairs)?;
    let now = state.now();
    let (from, to) = period(&parsed, now)?;
    let f = InsightsFilter {
        org: admin.org(),
        from: fmt(from),
        to: fmt(to),
        lob: parsed.lob,
        agent: parsed.agent,
        channel: parsed.channel,
    };
    let now_s = fmt(now);
    let st = state.clone();
    let checked = f.clone();
    let intervals = state
        .db
        .read(move |c| -> ApiResult<_> {
            check_in_org(c, &checked)?;
            Ok(resend_intervals(&st, c, &checked)?)
        })
        .await?;
    // Three independent reads on three pooled connections at once: the
    // counts (rollups), the unanswered requests and the times to accept.
    let (fa, fb, fc) = (f.clone(), f.clone(), f);
    let (counts, no_answer, seconds) = tokio::join!(
        state.db.read(move |c| -> ApiResult<_> {
            Ok((
                storage::insights_stage_counts(c, &fa)?,
                storage::insights_failures(c, &fa)?,
            ))
        }),
        state.db.read(move |c| -> ApiResult<_> {
            Ok(storage::insights_no_answer(c, &fb, &intervals, &now_s)?)
        }),
        state
            .db
            .read(move |c| -> ApiResult<_> { Ok(storage::insights_accept_seconds(c, &fc)?) }),
    );
    let ((counts, failures), no_answer, mut seconds) = (counts?, no_answer?, seconds?);
    let (mut funnel, daily) = shape(&counts, from, to);
    funnel.no_answer = no_answer;
    let acceptance_rate = (funnel.requests_by_agents > 0)
        .then(|| funnel.accepted as f64 / funnel.requests_by_agents as f64);
    Ok(Json(api::Insights {
        from: fmt(from),
        to: fmt(to),
        acceptance_rate,
        time_to_accept: api::TimeToAccept {
            count: seconds.len() as i64,
            median_seconds: percentile(&mut seconds, 0.5),
            p90_seconds: percentile(&mut seconds, 0.9),
        },
        funnel,
        daily,
        failures: failures
            .into_iter()
            .map(|(provider, error, count)| api::DeliveryFailure {
                provider,
                error,
                count,
            })
            .collect(),
    }))
}

/// A line of business or agent of another organization is refused as
/// unknown (422), never counted: the filter must not reveal other tenants.
fn check_in_org(c: &crate::storage::Conn, f: &InsightsFilter) -> ApiResult<()> {
    if let Some(lob) = f.lob {
        if !storage::lob_in_org(c, f.org, lob)? {
            return Err(invalid(
                "line_of_business_id",
                "`line_of_business_id` names no line of business of your organization.",
            ));
        }
    }
    if let Some(agent) = f.agent {
        if storage::user_by_id(c, agent)?.is_none_or(|u| u.org_id != f.org) {
            return Err(invalid(
                "agent_id",
                "`agent_id` names no user of your organization.",
            ));
        }
    }
    Ok(())
}

/// The resend interval in force per (business number, channel) of the
/// filter, in seconds, from the engine's validated flows.
fn resend_intervals(
    st: &AppState,
    c: &crate::storage::Conn,
    f: &InsightsFilter,
) -> Result<Vec<(String, Channel, i64)>, StorageError> {
    let channels: Vec<Channel> = match f.channel {
        Some(ch) => vec![ch],
        None => vec![Channel::Sms, Channel::WhatsApp],
    };
    let mut out = Vec::new();
    for (number, lob) in storage::insights_numbers(c, f)? {
        for ch in &channels {
            let flow = st.flows.get(c, lob, *ch)?;
            out.push((number.clone(), *ch, flow.resend_interval_seconds()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bad_filters_name_their_field() {
        for (q, field) in [
            (vec![("from", "yesterday")], "from"),
            (vec![("to", "2026-13-01T00:00:00Z")], "to"),
            (vec![("channel", "fax")], "channel"),
            (vec![("agent_id", "x")], "agent_id"),
            (vec![("line_of_business_id", "-1")], "line_of_business_id"),
            (vec![("bogus", "1")], "bogus"),
            (vec![("channel", "sms"), ("channel", "sms")], "channel"),
        ] {
            let e = parse_query(&pairs(&q)).err().expect("refused");
            assert_eq!(e.body().error.field.as_deref(), Some(field), "{q:?}");
            assert_eq!(e.status.as_u16(), 422);
        }
    }

    #[test]
    fn period_defaults_and_limits() {
        let now = crate::clock::parse("2026-03-31T12:00:00Z").unwrap();
        let p = parse_query(&[]).unwrap();
        let (from, to) = period(&p, now).unwrap();
        assert_eq!((to - from).num_days(), 30);
        assert_eq!(to, now);
        let back = parse_query(&pairs(&[
            ("from", "2026-03-02T00:00:00Z"),
            ("to", "2026-03-01T00:00:00Z"),
        ]))
        .unwrap();
        assert_eq!(
            period(&back, now)
                .err()
                .unwrap()
                .body()
                .error
                .field
                .as_deref(),
            Some("to")
        );
        let long = parse_query(&pairs(&[("from", "2024-01-01T00:00:00Z")])).unwrap();
        assert_eq!(
            period(&long, now)
                .err()
                .unwrap()
                .body()
                .error
                .field
                .as_deref(),
            Some("from")
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.5), Some(5));
        assert_eq!(percentile(&mut v, 0.9), Some(9));
        assert_eq!(percentile(&mut [42.4], 0.9), Some(42));
        assert_eq!(percentile(&mut [], 0.5), None);
    }

    #[test]
    fn shape_fills_every_day_and_sums_stages() {
        let from = crate::clock::parse("2026-03-01T00:00:00Z").unwrap();
        let to = crate::clock::parse("2026-03-04T00:00:00Z").unwrap();
        let c = |day: &str, stage, how: &str, count| StageCount {
            day: day.into(),
            stage,
            how: how.into(),
            count,
        };
        let (f, days) = shape(
            &[
                c("2026-03-01", FunnelStage::AgentRequest, "agent_request", 4),
                c("2026-03-01", FunnelStage::AutoReprompt, "auto_reprompt", 1),
                c("2026-03-03", FunnelStage::Accepted, "keyword", 2),
                c("2026-03-03", FunnelStage::OptedOut, "keyword", 1),
                c("2026-03-02", FunnelStage::OptedOut, "carrier_stop", 3),
                c("2026-03-02", FunnelStage::Rejected, "keyword", 1),
            ],
            from,
            to,
        );
        assert_eq!(days.len(), 3);
        assert_eq!(days[0].requests, 5);
        assert_eq!(days[1].opt_outs, 3);
        assert_eq!(days[2].acceptances, 2);
        assert_eq!((f.requests_by_agents, f.requests_automatic), (4, 1));
        assert_eq!((f.accepted, f.rejected, f.opted_out), (2, 1, 4));
        assert_eq!(f.opted_out_by[0].how, "carrier_stop");
        assert_eq!(f.opted_out_by[1].how, "keyword");
    }
}
