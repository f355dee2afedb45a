//! The append-only consent audit: rows are inserted and read, never
//! updated or deleted.

use super::sql::{params, Conn, OptionalExtension};
use optline_engine::Channel;

use super::{text_enum, StorageResult};

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub org_id: i64,
    pub at: String,
    pub number: String,
    pub contact: String,
    pub channel: Channel,
    pub actor: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub evidence: String,
    pub request_text: Option<String>,
    pub provider_message_id: Option<String>,
    /// Where the evidence came from (a provider's name or [`SOURCE_MANUAL`]); None on rows
    /// written before it was recorded.
    pub source: Option<String>,
    pub signature_verified: bool,
    /// The WhatsApp template that went out in place of `request_text`.
    pub template_name: Option<String>,
    pub template_language: Option<String>,
}

/// Evidence sources (DESIGN rule 16): a provider's name, or `manual` for
/// an admin's own action.
pub const SOURCE_MANUAL: &str = "manual";

/// Appends an audit row; answers its id.
pub fn audit_insert(c: &Conn, a: &AuditRow) -> StorageResult<i64> {
    c.insert(
        "INSERT INTO audit(org_id, at, number, contact, channel, actor, action, from_state,
            to_state, evidence, request_text, provider_message_id, source, signature_verified,
            template_name, template_language)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            a.org_id,
            a.at,
            a.number,
            a.contact,
            a.channel.as_str(),
            a.actor,
            a.action,
            a.from_state,
            a.to_state,
            a.evidence,
            a.request_text,
            a.provider_message_id,
            a.source,
            a.signature_verified,
            a.template_name,
            a.template_language
        ],
    )
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub contact: Option<String>,
    pub number: Option<String>,
    pub channel: Option<Channel>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub after_id: Option<i64>,
    pub limit: i64,
    /// The insights' funnel stage ([`super::insights::stage_sql`]), so a
    /// chart's bar opens exactly the records it counts.
    pub stage: Option<optline_api::FunnelStage>,
    /// The `how` the insights report ([`super::insights::opt_out_how_sql`]).
    pub how: Option<String>,
    /// Only business numbers of this line of business / of this user.
    pub lob: Option<i64>,
    pub agent: Option<i64>,
}

/// Audit records of `org` in id order (oldest first), after `after_id`.
pub fn audit_query(c: &Conn, org: i64, f: &AuditFilter) -> StorageResult<Vec<AuditRow>> {
    let (stage, how) = (
        super::insights::stage_sql("a"),
        super::insights::opt_out_how_sql("a"),
    );
    let mut st = c.prepare_cached(&format!(
        "SELECT id, org_id, at, number, contact, channel, actor, action, from_state, to_state,
                evidence, request_text, provider_message_id, source, signature_verified,
                template_name, template_language FROM audit a
         WHERE org_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR contact = ?2) AND (CAST(?3 AS TEXT) IS NULL OR number = ?3)
           AND (CAST(?4 AS TEXT) IS NULL OR channel = ?4) AND (CAST(?5 AS TEXT) IS NULL OR action = ?5)
           AND (CAST(?6 AS TEXT) IS NULL OR at >= ?6) AND (CAST(?7 AS TEXT) IS NULL OR at < ?7) AND (CAST(?8 AS BIGINT) IS NULL OR id > ?8)
           AND (CAST(?10 AS TEXT) IS NULL OR {stage} = ?10) AND (CAST(?11 AS TEXT) IS NULL OR {how} = ?11)
           AND ((CAST(?12 AS BIGINT) IS NULL AND CAST(?13 AS BIGINT) IS NULL) OR number IN (
                SELECT e164 FROM numbers WHERE org_id = ?1
                  AND (CAST(?12 AS BIGINT) IS NULL OR lob_id = ?12) AND (CAST(?13 AS BIGINT) IS NULL OR user_id = ?13)))
         ORDER BY id LIMIT ?9"
    ))?;
    let rows = st.query_map(
        params![
            org,
            f.contact,
            f.number,
            f.channel.map(Channel::as_str),
            f.action,
            f.from,
            f.to,
            f.after_id,
            f.limit,
            f.stage.map(optline_api::FunnelStage::as_str),
            f.how,
            f.lob,
            f.agent
        ],
        |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                org_id: r.get(1)?,
                at: r.get(2)?,
                number: r.get(3)?,
                contact: r.get(4)?,
                channel: text_enum(r, 5, Channel::parse)?,
                actor: r.get(6)?,
                action: r.get(7)?,
                from_state: r.get(8)?,
                to_state: r.get(9)?,
                evidence: r.get(10)?,
                request_text: r.get(11)?,
                provider_message_id: r.get(12)?,
                source: r.get(13)?,
                signature_verified: r.get(14)?,
                template_name: r.get(15)?,
                template_language: r.get(16)?,
            })
        },
    )?;
    rows.collect::<Result<_, _>>()
}

/// The last opt-in request text sent on (number, contact, channel), from the audit.
pub fn audit_last_request(
    c: &Conn,
    org: i64,
    number: &str,
    contact: &str,
    channel: Channel,
) -> StorageResult<Option<String>> {
    c.prepare_cached(
        "SELECT request_text FROM audit WHERE org_id = ?1 AND number = ?2 AND contact = ?3
             AND channel = ?4 AND request_text IS NOT NULL ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![org, number, contact, channel.as_str()], |r| {
        r.get(0)
    })
    .optional()
}
