//! The consent insights' SQL: counts of the audit (by funnel stage, day and
//! how), the requests left unanswered, the times to accept, and the failed
//! sends by provider error — always inside one organization.
//!
//! The funnel stage of an audit row is defined here once ([`STAGE_SQL`]) and
//! the audit list filters with the same expression, so a chart's bar and the
//! records it opens are counted by one definition. Every query reads the
//! period through the `audit_org_at` / `messages_created` indexes
//! (migration 10), so its cost follows the period, not the audit's size.

use optline_api::FunnelStage;
use optline_engine::Channel;
use rusqlite::{params, Connection};

use super::{text_enum, StorageResult};

/// The `how` of an audit row (alias `a`): its action after the `state:`
/// prefix a state change carries (`accepted:keyword` → `keyword`).
pub const HOW_SQL: &str = "substr(a.action, instr(a.action, ':') + 1)";

/// The funnel stage of an audit row (alias `a`), NULL when it is none:
/// requests by their `how`, answers by the state they moved the consent to.
pub const STAGE_SQL: &str = "(CASE
    WHEN substr(a.action, instr(a.action, ':') + 1) = 'agent_request' THEN 'agent_request'
    WHEN substr(a.action, instr(a.action, ':') + 1) = 'auto_reprompt' THEN 'auto_reprompt'
    WHEN a.from_state <> a.to_state AND a.to_state IN ('accepted', 'rejected', 'opted_out')
        THEN a.to_state
    END)";

/// How an opt-out is reported (alias `a`): an admin's record is `manual`
/// whatever its action says; otherwise the action's `how`.
pub const OPT_OUT_HOW_SQL: &str =
    "(CASE WHEN a.source = 'manual' THEN 'manual' ELSE substr(a.action, instr(a.action, ':') + 1) END)";

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

/// The business numbers the filter keeps (`?1` org, `?4` lob, `?5` agent),
/// as a CTE named `nums`.
const NUMS_CTE: &str = "nums(e164, lob_id) AS (SELECT e164, lob_id FROM numbers
    WHERE org_id = ?1 AND (?4 IS NULL OR lob_id = ?4) AND (?5 IS NULL OR user_id = ?5))";

/// Audit records of one (day, stage, how), `how` being [`OPT_OUT_HOW_SQL`].
#[derive(Debug, Clone, PartialEq)]
pub struct StageCount {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub stage: FunnelStage,
    pub how: String,
    pub count: i64,
}

/// Funnel records of the filter grouped by UTC day, stage and how.
pub fn insights_stage_counts(c: &Connection, f: &InsightsFilter) -> StorageResult<Vec<StageCount>> {
    let sql = format!(
        "WITH {NUMS_CTE}
         SELECT day, stage, how, COUNT(*) FROM (
            SELECT substr(a.at, 1, 10) AS day, {STAGE_SQL} AS stage, {OPT_OUT_HOW_SQL} AS how
            FROM audit a
            WHERE a.org_id = ?1 AND a.at >= ?2 AND a.at < ?3
              AND a.number IN (SELECT e164 FROM nums)
              AND (?6 IS NULL OR a.channel = ?6))
         WHERE stage IS NOT NULL
         GROUP BY day, stage, how"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(
        params![
            f.org,
            f.from,
            f.to,
            f.lob,
            f.agent,
            f.channel.map(Channel::as_str)
        ],
        |r| {
            Ok(StageCount {
                day: r.get(0)?,
                stage: text_enum(r, 1, FunnelStage::parse)?,
                how: r.get(2)?,
                count: r.get(3)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Requests of the filter that got no answer within their resend interval.
/// `intervals` gives the interval in force per (business number, channel)
/// — the engine's flow, looked up by the caller; `now` is when "not yet
/// passed" ends. An answer is the thread's next record made while the
/// request was pending by the contact or the system (an acceptance, a
/// rejection, an opt-out, a re-prompt after an unclear reply), not an
/// admin's or an agent's action.
pub fn insights_no_answer(
    c: &Connection,
    f: &InsightsFilter,
    intervals: &[(String, Channel, i64)],
    now: &str,
) -> StorageResult<i64> {
    let iv: Vec<(&str, &str, i64)> = intervals
        .iter()
        .map(|(n, ch, s)| (n.as_str(), ch.as_str(), *s))
        .collect();
    let iv = serde_json::to_string(&iv).unwrap_or_else(|_| "[]".into());
    let sql = format!(
        "WITH {NUMS_CTE},
         iv(number, channel, secs) AS (
            SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
                   json_extract(value, '$[2]') FROM json_each(?7))
         SELECT COUNT(*) FROM (
            SELECT a.id, a.number, a.contact, a.channel,
                   unixepoch(a.at, 'subsec') + iv.secs AS due, {STAGE_SQL} AS stage
            FROM audit a JOIN iv ON iv.number = a.number AND iv.channel = a.channel
            WHERE a.org_id = ?1 AND a.at >= ?2 AND a.at < ?3
              AND a.number IN (SELECT e164 FROM nums)
              AND (?6 IS NULL OR a.channel = ?6)) r
         WHERE r.stage IN ('agent_request', 'auto_reprompt')
           AND r.due <= unixepoch(?8, 'subsec')
           AND NOT EXISTS (
             SELECT 1 FROM audit n
             WHERE n.number = r.number AND n.contact = r.contact AND n.channel = r.channel
               AND n.id > r.id AND n.from_state = 'pending'
               AND n.actor NOT LIKE 'user:%' AND n.actor NOT LIKE 'admin:%'
               AND unixepoch(n.at, 'subsec') < r.due)"
    );
    Ok(c.prepare_cached(&sql)?.query_row(
        params![
            f.org,
            f.from,
            f.to,
            f.lob,
            f.agent,
            f.channel.map(Channel::as_str),
            iv,
            now
        ],
        |r| r.get(0),
    )?)
}

/// Seconds from the agent's latest request to each acceptance of the
/// filter that answered one (a pending consent becoming accepted).
pub fn insights_accept_seconds(c: &Connection, f: &InsightsFilter) -> StorageResult<Vec<f64>> {
    let sql = format!(
        "WITH {NUMS_CTE}
         SELECT unixepoch(a.at, 'subsec') - unixepoch((
                SELECT r.at FROM audit r
                WHERE r.number = a.number AND r.contact = a.contact AND r.channel = a.channel
                  AND r.id < a.id
                  AND (r.action = 'agent_request' OR r.action LIKE '%:agent_request')
                ORDER BY r.id DESC LIMIT 1), 'subsec')
         FROM audit a
         WHERE a.org_id = ?1 AND a.at >= ?2 AND a.at < ?3
           AND a.number IN (SELECT e164 FROM nums)
           AND (?6 IS NULL OR a.channel = ?6)
           AND a.from_state = 'pending' AND a.to_state = 'accepted'"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(
        params![
            f.org,
            f.from,
            f.to,
            f.lob,
            f.agent,
            f.channel.map(Channel::as_str)
        ],
        |r| r.get::<_, Option<f64>>(0),
    )?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(s) = r? {
            out.push(s);
        }
    }
    Ok(out)
}

/// Failed outbound messages of the filter created in the period, by
/// provider and error, most first.
pub fn insights_failures(
    c: &Connection,
    f: &InsightsFilter,
) -> StorageResult<Vec<(String, String, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT m.provider, COALESCE(m.error, ''), COUNT(*)
         FROM messages m
         JOIN conversations cv ON cv.id = m.conversation_id
         JOIN numbers n ON n.id = cv.number_id
         WHERE m.created_at >= ?2 AND m.created_at < ?3 AND m.status = 'failed'
           AND m.direction = 'outbound' AND cv.org_id = ?1
           AND (?4 IS NULL OR n.lob_id = ?4) AND (?5 IS NULL OR n.user_id = ?5)
           AND (?6 IS NULL OR cv.channel = ?6)
         GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
    )?;
    let rows = st.query_map(
        params![
            f.org,
            f.from,
            f.to,
            f.lob,
            f.agent,
            f.channel.map(Channel::as_str)
        ],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The filter's business numbers with their line of business (the caller
/// looks up each one's flow for the resend interval).
pub fn insights_numbers(c: &Connection, f: &InsightsFilter) -> StorageResult<Vec<(String, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT e164, lob_id FROM numbers
         WHERE org_id = ?1 AND (?2 IS NULL OR lob_id = ?2) AND (?3 IS NULL OR user_id = ?3)",
    )?;
    let rows = st.query_map(params![f.org, f.lob, f.agent], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
