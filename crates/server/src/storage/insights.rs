//! The consent insights' SQL: counts of the audit (by funnel stage, day and
//! how), the requests left unanswered, the times to accept, and the failed
//! sends by provider error — always inside one organization.
//!
//! The funnel stage of an audit row is defined here once ([`stage_sql`]):
//! the audit list filters with the same expression and the rollups below
//! are filled with it, so a chart's bar and the records it opens are counted
//! by one definition.
//!
//! Why rollups: a period of a big audit is hundreds of thousands of wide
//! rows (evidence, request texts); reading them took seconds. Triggers
//! installed by [`install`] (migration 12) keep, as rows are appended:
//! - `insight_daily`: records per (organization, UTC day, number, channel,
//!   stage, how) — whole days of a period are summed from it; the partial
//!   days at its ends are counted from the audit through the covering index
//!   `audit_insights`;
//! - `insight_requests`: one narrow row per request with the seconds until
//!   the contact (or the system for them) answered it — "no answer" compares
//!   that with the flow's resend interval at query time;
//! - `insight_accepts`: one row per acceptance of a pending request with the
//!   seconds since the agent's latest request (exact percentiles);
//! - `insight_failures`: failed sends per (organization, day the message was
//!   created, number, channel, provider, error).
//!
//! The audit stays append-only: the triggers only add to these tables.

use super::sql::{params, Conn, Param, Row, Value};
use chrono::{DateTime, Duration, Utc};
use optline_api::FunnelStage;
use optline_engine::Channel;
use rusqlite::Transaction;

use super::{text_enum, StorageResult};
use crate::clock::fmt;

/// The `how` of an audit row (table alias `t`): its action after the
/// `state:` prefix a state change carries (`accepted:keyword` → `keyword`).
pub fn how_sql(t: &str) -> String {
    format!("substr({t}.action, instr({t}.action, ':') + 1)")
}

/// The funnel stage of an audit row (alias `t`), NULL when it is none:
/// requests by their `how`, answers by the state they moved the consent to.
pub fn stage_sql(t: &str) -> String {
    let how = how_sql(t);
    format!(
        "(CASE WHEN {how} = 'agent_request' THEN 'agent_request'
              WHEN {how} = 'auto_reprompt' THEN 'auto_reprompt'
              WHEN {t}.from_state <> {t}.to_state
                   AND {t}.to_state IN ('accepted', 'rejected', 'opted_out') THEN {t}.to_state
         END)"
    )
}

/// How a record is reported (alias `t`): an admin's record is `manual`
/// whatever its action says; otherwise the action's `how`.
pub fn opt_out_how_sql(t: &str) -> String {
    format!(
        "(CASE WHEN {t}.source = 'manual' THEN 'manual' ELSE {} END)",
        how_sql(t)
    )
}

/// A record written by an agent or an admin never answers a request.
fn answers_sql(t: &str) -> String {
    format!(
        "{t}.from_state = 'pending' AND {t}.actor NOT LIKE 'user:%' AND {t}.actor NOT LIKE 'admin:%'"
    )
}

/// What the rollups gain from one appended audit row `NEW`: its day's
/// count, the answer to the request it answers, its acceptance time, and
/// the request it is. Statements both backends' triggers run as they are.
pub fn audit_rollup_sql() -> String {
    let stage_new = stage_sql("NEW");
    let how_new = opt_out_how_sql("NEW");
    let answers_new = answers_sql("NEW");
    format!(
        "INSERT INTO insight_daily(org_id, day, number, channel, stage, how, n)
             SELECT NEW.org_id, substr(NEW.at, 1, 10), NEW.number, NEW.channel,
                    {stage_new}, {how_new}, 1
             WHERE {stage_new} IS NOT NULL
             ON CONFLICT (org_id, day, number, channel, stage, how)
                 DO UPDATE SET n = insight_daily.n + 1;
         UPDATE insight_requests
             SET answer_secs = unixepoch(NEW.at, 'subsec') - unixepoch(at, 'subsec')
             WHERE {answers_new} AND answer_secs IS NULL
               AND audit_id = (SELECT MAX(audit_id) FROM insight_requests r
                   WHERE r.number = NEW.number AND r.contact = NEW.contact
                     AND r.channel = NEW.channel);
         INSERT INTO insight_accepts(org_id, number, channel, at, secs)
             SELECT NEW.org_id, NEW.number, NEW.channel, NEW.at,
                    unixepoch(NEW.at, 'subsec') - unixepoch(r.at, 'subsec')
             FROM insight_requests r
             WHERE NEW.from_state = 'pending' AND NEW.to_state = 'accepted'
               AND r.audit_id = (SELECT MAX(audit_id) FROM insight_requests q
                   WHERE q.number = NEW.number AND q.contact = NEW.contact
                     AND q.channel = NEW.channel AND q.by_agent = 1);
         INSERT INTO insight_requests(audit_id, org_id, at, number, contact, channel, by_agent)
             SELECT NEW.id, NEW.org_id, NEW.at, NEW.number, NEW.contact, NEW.channel,
                    CASE WHEN {stage_new} = 'agent_request' THEN 1 ELSE 0 END
             WHERE {stage_new} IN ('agent_request', 'auto_reprompt');"
    )
}

/// What the failure rollup gains from a send `NEW` that just failed.
pub fn failed_send_rollup_sql() -> String {
    "INSERT INTO insight_failures(org_id, day, number_id, channel, provider, error, n)
         SELECT cv.org_id, substr(NEW.created_at, 1, 10), cv.number_id, cv.channel,
                NEW.provider, COALESCE(NEW.error, ''), 1
         FROM conversations cv WHERE cv.id = NEW.conversation_id
         ON CONFLICT (org_id, day, number_id, channel, provider, error)
             DO UPDATE SET n = insight_failures.n + 1;"
        .to_string()
}

/// Migration 12: the rollup tables, their triggers, and their contents for
/// the records already stored.
pub fn install(tx: &Transaction) -> rusqlite::Result<()> {
    let (audit_rollup, failed_rollup) = (audit_rollup_sql(), failed_send_rollup_sql());
    tx.execute_batch(&format!(
        "CREATE INDEX audit_insights ON audit(org_id, at, number, channel, action, from_state,
             to_state, source);
         -- Partial: only failed sends are ever counted by time, and an index
         -- over every message cost each inbound message its own upkeep.
         CREATE INDEX messages_failed_created ON messages(created_at) WHERE status = 'failed';
         CREATE TABLE insight_daily (
             org_id INTEGER NOT NULL, day TEXT NOT NULL, number TEXT NOT NULL,
             channel TEXT NOT NULL, stage TEXT NOT NULL, how TEXT NOT NULL, n INTEGER NOT NULL,
             PRIMARY KEY (org_id, day, number, channel, stage, how)) WITHOUT ROWID;
         CREATE TABLE insight_requests (
             audit_id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, at TEXT NOT NULL,
             number TEXT NOT NULL, contact TEXT NOT NULL, channel TEXT NOT NULL,
             by_agent INTEGER NOT NULL, answer_secs REAL);
         CREATE INDEX insight_requests_thread ON insight_requests(number, contact, channel, audit_id);
         CREATE INDEX insight_requests_period
             ON insight_requests(org_id, number, channel, at, answer_secs);
         CREATE TABLE insight_accepts (
             org_id INTEGER NOT NULL, number TEXT NOT NULL, channel TEXT NOT NULL,
             at TEXT NOT NULL, secs REAL NOT NULL);
         CREATE INDEX insight_accepts_period ON insight_accepts(org_id, number, channel, at, secs);
         CREATE TABLE insight_failures (
             org_id INTEGER NOT NULL, day TEXT NOT NULL, number_id INTEGER NOT NULL,
             channel TEXT NOT NULL, provider TEXT NOT NULL, error TEXT NOT NULL, n INTEGER NOT NULL,
             PRIMARY KEY (org_id, day, number_id, channel, provider, error)) WITHOUT ROWID;

         CREATE TRIGGER insight_audit AFTER INSERT ON audit BEGIN
             {audit_rollup}
         END;

         CREATE TRIGGER insight_failed_update AFTER UPDATE OF status ON messages
         WHEN NEW.status = 'failed' AND OLD.status <> 'failed' AND NEW.direction = 'outbound'
         BEGIN
             {failed_rollup}
         END;
         CREATE TRIGGER insight_failed_insert AFTER INSERT ON messages
         WHEN NEW.status = 'failed' AND NEW.direction = 'outbound'
         BEGIN
             {failed_rollup}
         END;"
    ))?;
    backfill(tx)
}

/// Fills the rollups from the records stored before migration 12, with
/// the same definitions the triggers apply to new ones.
fn backfill(tx: &Transaction) -> rusqlite::Result<()> {
    let stage = stage_sql("a");
    let how = opt_out_how_sql("a");
    let answers = answers_sql("n");
    tx.execute_batch(&format!(
        "CREATE INDEX temp_audit_thread ON audit(number, contact, channel, id);
         INSERT INTO insight_daily(org_id, day, number, channel, stage, how, n)
             SELECT org_id, day, number, channel, stage, how, COUNT(*) FROM (
                 SELECT a.org_id, substr(a.at, 1, 10) AS day, a.number, a.channel,
                        {stage} AS stage, {how} AS how FROM audit a)
             WHERE stage IS NOT NULL
             GROUP BY org_id, day, number, channel, stage, how;
         INSERT INTO insight_requests(audit_id, org_id, at, number, contact, channel, by_agent)
             SELECT a.id, a.org_id, a.at, a.number, a.contact, a.channel,
                    {stage} = 'agent_request'
             FROM audit a WHERE {stage} IN ('agent_request', 'auto_reprompt');
         UPDATE insight_requests AS r SET answer_secs = (
             SELECT unixepoch(n.at, 'subsec') - unixepoch(r.at, 'subsec') FROM audit n
             WHERE n.number = r.number AND n.contact = r.contact AND n.channel = r.channel
               AND n.id > r.audit_id AND {answers}
               AND NOT EXISTS (SELECT 1 FROM insight_requests q
                   WHERE q.number = r.number AND q.contact = r.contact
                     AND q.channel = r.channel AND q.audit_id > r.audit_id
                     AND q.audit_id < n.id)
             ORDER BY n.id LIMIT 1);
         INSERT INTO insight_accepts(org_id, number, channel, at, secs)
             SELECT a.org_id, a.number, a.channel, a.at,
                    unixepoch(a.at, 'subsec') - unixepoch(r.at, 'subsec')
             FROM audit a JOIN insight_requests r ON r.audit_id = (
                 SELECT MAX(q.audit_id) FROM insight_requests q
                 WHERE q.number = a.number AND q.contact = a.contact AND q.channel = a.channel
                   AND q.by_agent = 1 AND q.audit_id < a.id)
             WHERE a.from_state = 'pending' AND a.to_state = 'accepted';
         INSERT INTO insight_failures(org_id, day, number_id, channel, provider, error, n)
             SELECT cv.org_id, substr(m.created_at, 1, 10), cv.number_id, cv.channel,
                    m.provider, COALESCE(m.error, ''), COUNT(*)
             FROM messages m JOIN conversations cv ON cv.id = m.conversation_id
             WHERE m.status = 'failed' AND m.direction = 'outbound'
             GROUP BY 1, 2, 3, 4, 5, 6;
         DROP INDEX temp_audit_thread;"
    ))
}

/// A `[start, end)` pair of days or instants.
type Span = (String, String);

/// Splits `[from, to)` into whole UTC days `[day_from, day_to)` (summed
/// from the rollups; `None` when the period holds no whole day) and the
/// partial stretches at its ends (counted from the records themselves).
fn split(from: &str, to: &str) -> (Option<Span>, Vec<Span>) {
    let (Some(f), Some(t)) = (crate::clock::parse(from), crate::clock::parse(to)) else {
        return (None, vec![(from.to_string(), to.to_string())]);
    };
    let midnight = |d: DateTime<Utc>| {
        d.date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|n| n.and_utc())
            .unwrap_or(d)
    };
    let first = if midnight(f) == f {
        f
    } else {
        midnight(f) + Duration::days(1)
    };
    let last = midnight(t);
    if first >= last {
        return (None, vec![(from.to_string(), to.to_string())]);
    }
    let day = |d: DateTime<Utc>| d.format("%Y-%m-%d").to_string();
    let mut edges = Vec::new();
    if f < first {
        edges.push((from.to_string(), fmt(first)));
    }
    if last < t {
        edges.push((fmt(last), to.to_string()));
    }
    (Some((day(first), day(last))), edges)
}

/// The records counted: organization, period and the optional filters.
#[derive(Debug, Clone)]
pub struct InsightsFilter {
    pub org: i64,
    /// Inclusive, formatted by `clock::fmt`.
    pub from: String,
    /// Exclusive.
    pub to: String,
    pub lob: Option<i64>,
    /// Only the business number of this user.
    pub agent: Option<i64>,
    pub channel: Option<Channel>,
}

impl InsightsFilter {
    /// The numbered parameters every insights query takes: `?1` org, `?2`
    /// `from`, `?3` `to`, `?4` line of business, `?5` agent, `?6` channel.
    fn params<'a>(&'a self, from: &'a str, to: &'a str) -> Vec<Value<'a>> {
        vec![
            self.org.value(),
            from.value(),
            to.value(),
            self.lob.value(),
            self.agent.value(),
            match self.channel {
                Some(ch) => Value::Text(ch.as_str()),
                None => Value::Null,
            },
        ]
    }
}

/// The business numbers the filter keeps (`?1` org, `?4` lob, `?5` agent),
/// as a CTE named `nums`.
const NUMS_CTE: &str = "nums(e164, lob_id) AS (SELECT e164, lob_id FROM numbers
    WHERE org_id = ?1 AND (CAST(?4 AS BIGINT) IS NULL OR lob_id = ?4) AND (CAST(?5 AS BIGINT) IS NULL OR user_id = ?5))";

/// Audit records of one (day, stage, how), `how` being [`OPT_OUT_HOW_SQL`].
#[derive(Debug, Clone, PartialEq)]
pub struct StageCount {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub stage: FunnelStage,
    pub how: String,
    pub count: i64,
}

/// Funnel records of the filter grouped by UTC day, stage and how: whole
/// days from `insight_daily`, the partial days at the ends from the audit.
pub fn insights_stage_counts(c: &Conn, f: &InsightsFilter) -> StorageResult<Vec<StageCount>> {
    let (days, edges) = split(&f.from, &f.to);
    let mut out = Vec::new();
    let row = |r: &Row| {
        Ok(StageCount {
            day: r.get(0)?,
            stage: text_enum(r, 1, FunnelStage::parse)?,
            how: r.get(2)?,
            count: r.get(3)?,
        })
    };
    if let Some((d1, d2)) = days {
        let mut st = c.prepare_cached(&format!(
            "WITH {NUMS_CTE}
             SELECT day, stage, how, SUM(n) FROM insight_daily
             WHERE org_id = ?1 AND day >= ?2 AND day < ?3
               AND number IN (SELECT e164 FROM nums) AND (CAST(?6 AS TEXT) IS NULL OR channel = ?6)
             GROUP BY day, stage, how"
        ))?;
        let rows = st.query_map(f.params(&d1, &d2), row)?;
        for r in rows {
            out.push(r?);
        }
    }
    let stage = stage_sql("a");
    let how = opt_out_how_sql("a");
    let audit_hint = c.index_hint("audit_insights");
    let mut st = c.prepare_cached(&format!(
        "WITH {NUMS_CTE}
         SELECT day, stage, how, COUNT(*) FROM (
            SELECT substr(a.at, 1, 10) AS day, {stage} AS stage, {how} AS how
            FROM audit a {audit_hint}
            WHERE a.org_id = ?1 AND a.at >= ?2 AND a.at < ?3
              AND a.number IN (SELECT e164 FROM nums)
              AND (CAST(?6 AS TEXT) IS NULL OR a.channel = ?6)) AS staged
         WHERE stage IS NOT NULL
         GROUP BY day, stage, how"
    ))?;
    for (from, to) in edges {
        let rows = st.query_map(f.params(&from, &to), row)?;
        for r in rows {
            out.push(r?);
        }
    }
    Ok(out)
}

/// Requests of the filter that got no answer within their resend interval.
/// `intervals` gives the interval in force per (business number, channel)
/// — the engine's flow, looked up by the caller; a request counts once its
/// interval has passed by `now`. An answer is the thread's next record
/// made while the request was pending by the contact or the system (an
/// acceptance, a rejection, an opt-out, a re-prompt after an unclear
/// reply), never an admin's or an agent's action.
pub fn insights_no_answer(
    c: &Conn,
    f: &InsightsFilter,
    intervals: &[(String, Channel, i64)],
    now: &str,
) -> StorageResult<i64> {
    let Some(now_t) = crate::clock::parse(now) else {
        return Ok(0);
    };
    let mut st = c.prepare_cached(
        "SELECT COUNT(*) FROM insight_requests
         WHERE org_id = ?1 AND number = ?2 AND channel = ?3 AND at >= ?4 AND at < ?5
           AND (answer_secs IS NULL OR answer_secs >= ?6)",
    )?;
    let mut total = 0;
    for (number, channel, secs) in intervals {
        if f.channel.is_some_and(|ch| ch != *channel) {
            continue;
        }
        // Requests after `due_before` are still within their interval.
        let due_before = fmt(now_t - Duration::seconds(*secs));
        let to = if due_before < f.to {
            due_before
        } else {
            f.to.clone()
        };
        if to <= f.from {
            continue;
        }
        total += st.query_row(
            params![f.org, number, channel.as_str(), f.from, to, *secs as f64],
            |r| r.get::<i64>(0),
        )?;
    }
    Ok(total)
}

/// Seconds from the agent's latest request to each acceptance of the
/// filter that answered one (a pending consent becoming accepted).
pub fn insights_accept_seconds(c: &Conn, f: &InsightsFilter) -> StorageResult<Vec<f64>> {
    let mut st = c.prepare_cached(&format!(
        "WITH {NUMS_CTE}
         SELECT secs FROM insight_accepts
         WHERE org_id = ?1 AND number IN (SELECT e164 FROM nums)
           AND (CAST(?6 AS TEXT) IS NULL OR channel = ?6) AND at >= ?2 AND at < ?3"
    ))?;
    let rows = st.query_map(f.params(&f.from, &f.to), |r| r.get::<f64>(0))?;
    rows.collect::<Result<_, _>>()
}

/// Failed outbound messages of the filter created in the period, by
/// provider and error, most first: whole days from `insight_failures`, the
/// partial days at the ends from the messages.
pub fn insights_failures(
    c: &Conn,
    f: &InsightsFilter,
) -> StorageResult<Vec<(String, String, i64)>> {
    let (days, edges) = split(&f.from, &f.to);
    let mut sum: std::collections::HashMap<(String, String), i64> = Default::default();
    let mut add = |rows: Vec<(String, String, i64)>| {
        for (p, e, n) in rows {
            *sum.entry((p, e)).or_default() += n;
        }
    };
    if let Some((d1, d2)) = days {
        let mut st = c.prepare_cached(
            "SELECT x.provider, x.error, SUM(x.n) FROM insight_failures x
             JOIN numbers n ON n.id = x.number_id
             WHERE x.org_id = ?1 AND x.day >= ?2 AND x.day < ?3
               AND (CAST(?4 AS BIGINT) IS NULL OR n.lob_id = ?4) AND (CAST(?5 AS BIGINT) IS NULL OR n.user_id = ?5)
               AND (CAST(?6 AS TEXT) IS NULL OR x.channel = ?6)
             GROUP BY 1, 2",
        )?;
        let rows = st.query_map(f.params(&d1, &d2), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        add(rows.collect::<Result<_, _>>()?);
    }
    let mut st = c.prepare_cached(&format!(
        "SELECT m.provider, COALESCE(m.error, ''), COUNT(*)
         FROM messages m {}
         JOIN conversations cv ON cv.id = m.conversation_id
         JOIN numbers n ON n.id = cv.number_id
         WHERE m.created_at >= ?2 AND m.created_at < ?3 AND m.status = 'failed'
           AND m.direction = 'outbound' AND cv.org_id = ?1
           AND (CAST(?4 AS BIGINT) IS NULL OR n.lob_id = ?4) AND (CAST(?5 AS BIGINT) IS NULL OR n.user_id = ?5)
           AND (CAST(?6 AS TEXT) IS NULL OR cv.channel = ?6)
         GROUP BY 1, 2",
        c.index_hint("messages_failed_created")
    ))?;
    for (from, to) in edges {
        let rows = st.query_map(f.params(&from, &to), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        add(rows.collect::<Result<_, _>>()?);
    }
    let mut out: Vec<(String, String, i64)> =
        sum.into_iter().map(|((p, e), n)| (p, e, n)).collect();
    out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    Ok(out)
}

/// The filter's business numbers with their line of business (the caller
/// looks up each one's flow for the resend interval).
pub fn insights_numbers(c: &Conn, f: &InsightsFilter) -> StorageResult<Vec<(String, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT e164, lob_id FROM numbers
         WHERE org_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR lob_id = ?2) AND (CAST(?3 AS BIGINT) IS NULL OR user_id = ?3)",
    )?;
    let rows = st.query_map(params![f.org, f.lob, f.agent], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect::<Result<_, _>>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_split_into_whole_days_and_edges() {
        let (days, edges) = split("2026-03-01T10:00:00.000Z", "2026-03-04T08:00:00.000Z");
        assert_eq!(days, Some(("2026-03-02".into(), "2026-03-04".into())));
        assert_eq!(
            edges,
            vec![
                (
                    "2026-03-01T10:00:00.000Z".into(),
                    "2026-03-02T00:00:00.000Z".into()
                ),
                (
                    "2026-03-04T00:00:00.000Z".into(),
                    "2026-03-04T08:00:00.000Z".into()
                ),
            ]
        );
        let (days, edges) = split("2026-03-01T00:00:00.000Z", "2026-03-03T00:00:00.000Z");
        assert_eq!(days, Some(("2026-03-01".into(), "2026-03-03".into())));
        assert!(edges.is_empty());
        // Within one day: the records themselves.
        let (days, edges) = split("2026-03-01T01:00:00.000Z", "2026-03-01T05:00:00.000Z");
        assert_eq!(days, None);
        assert_eq!(edges.len(), 1);
    }

    /// Threads covering every rollup: a re-prompt then YES, a resend then
    /// NO, STOP, an admin's manual opt-out, and a failed send.
    const HISTORY: &str = "
        INSERT INTO organizations VALUES (1, 'o', 't');
        INSERT INTO lines_of_business VALUES (1, 1, 'l');
        INSERT INTO numbers(id, org_id, lob_id, e164) VALUES (1, 1, 1, '+1');
        INSERT INTO contacts VALUES (1, 1, '+2', NULL, 'UTC');
        INSERT INTO conversations(id, org_id, number_id, contact_id, channel, updated_at)
            VALUES (1, 1, 1, 1, 'sms', 't');
        INSERT INTO messages(conversation_id, direction, kind, body, status, provider, created_at)
            VALUES (1, 'outbound', 'automatic', 'req', 'queued', 'twilio', '2026-03-01T10:00:00.000Z');
        UPDATE messages SET status = 'failed', error = '30003: Unreachable';
        INSERT INTO audit(org_id, at, number, contact, channel, actor, action, from_state, to_state, evidence, source) VALUES
          (1, '2026-03-01T10:00:00.000Z', '+1', '+2', 'sms', 'user:5', 'pending:agent_request', 'not_requested', 'pending', 'r', 'twilio'),
          (1, '2026-03-01T10:05:00.000Z', '+1', '+2', 'sms', 'system', 'auto_reprompt', 'pending', 'pending', 'r', 'twilio'),
          (1, '2026-03-01T10:06:30.000Z', '+1', '+2', 'sms', 'contact', 'accepted:keyword', 'pending', 'accepted', 'YES', 'twilio'),
          (1, '2026-03-01T11:00:00.000Z', '+1', '+3', 'sms', 'user:5', 'pending:agent_request', 'not_requested', 'pending', 'r', 'twilio'),
          (1, '2026-03-02T12:00:00.000Z', '+1', '+3', 'sms', 'user:5', 'agent_request', 'pending', 'pending', 'r', 'twilio'),
          (1, '2026-03-02T12:01:00.000Z', '+1', '+3', 'sms', 'contact', 'rejected:keyword', 'pending', 'rejected', 'NO', 'twilio'),
          (1, '2026-03-02T13:00:00.000Z', '+1', '+4', 'whatsapp', 'user:5', 'pending:agent_request', 'not_requested', 'pending', 'r', 'whatsapp'),
          (1, '2026-03-02T13:00:09.000Z', '+1', '+4', 'whatsapp', 'contact', 'opted_out:keyword', 'pending', 'opted_out', 'STOP', 'whatsapp'),
          (1, '2026-03-03T09:00:00.000Z', '+1', '+2', 'sms', 'admin:1', 'opted_out:manual_record', 'accepted', 'opted_out', 'call', 'manual');";

    fn dump(c: &rusqlite::Connection) -> Vec<String> {
        let mut out = Vec::new();
        for t in [
            "insight_daily",
            "insight_requests",
            "insight_accepts",
            "insight_failures",
        ] {
            let mut st = c
                .prepare(&format!("SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5"))
                .unwrap();
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    let cols: Vec<String> = (0..n)
                        .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                        .collect();
                    Ok(format!("{t}: {}", cols.join(" | ")))
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    #[test]
    fn the_backfill_equals_what_the_triggers_keep() {
        use super::super::migrations::{migrate, migrate_to};
        let mut before = rusqlite::Connection::open_in_memory().unwrap();
        migrate_to(&mut before, 9).unwrap();
        before.execute_batch(HISTORY).unwrap();
        migrate(&mut before).unwrap();
        let mut after = rusqlite::Connection::open_in_memory().unwrap();
        migrate(&mut after).unwrap();
        after.execute_batch(HISTORY).unwrap();
        let (b, a) = (dump(&before), dump(&after));
        assert_eq!(b, a);
        // The thread of +2: the re-prompt answered the request after 300 s,
        // YES the re-prompt after 90 s, accepted 390 s after the request.
        assert!(
            a.iter()
                .any(|l| l.contains("insight_accepts") && l.contains("Real(390.0)")),
            "{a:#?}"
        );
        assert!(a.iter().any(|l| l.contains("Real(300.0)")), "{a:#?}");
        assert!(a.iter().any(|l| l.contains("Real(90.0)")), "{a:#?}");
        // The first request to +3 was never answered (the resend was).
        assert_eq!(
            after
                .query_row(
                    "SELECT COUNT(*) FROM insight_requests WHERE answer_secs IS NULL",
                    [],
                    |r| r.get::<_, i64>(0)
                )
                .unwrap(),
            1
        );
        assert!(a.iter().any(|l| l.contains("\"manual\"")), "{a:#?}");
        assert!(a.iter().any(|l| l.contains("30003")), "{a:#?}");
    }
}
