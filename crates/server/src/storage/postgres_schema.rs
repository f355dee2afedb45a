//! The PostgreSQL backend's connection and schema. The schema is the same
//! data model as SQLite's, version for version: PostgreSQL support begins
//! at version 12, so its first migration creates in one step what SQLite's
//! migrations 1–12 built; every later version appends one statement list
//! per backend, under the same number, in `migrations.rs` and here.
//!
//! Types mirror SQLite's so one SQL text serves both: integers (ids,
//! flags, counters) are `BIGINT`, times are the same RFC 3339 `TEXT`,
//! e-mails are `citext` (SQLite's `COLLATE NOCASE`). Two SQLite functions
//! the shared queries use, `instr` and `unixepoch(text, 'subsec')`, are
//! defined here; the rollup triggers run the very statements SQLite's run
//! (`storage::insights`), wrapped in PL/pgSQL functions.
//!
//! The version lives in `optline_schema`; a migration runs under an
//! advisory lock, so several processes starting at once migrate once.

use postgres::{Client, NoTls};

use super::insights::{audit_rollup_sql, failed_send_rollup_sql};

/// Versions below this were SQLite-only history.
const FIRST_VERSION: i64 = 12;

/// Arbitrary key of the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x006f_7074_6c69_6e65;

/// Connects without TLS (the database is on the server's own network;
/// put TLS in front with the pooler, see the README).
pub fn connect(url: &str) -> Result<Client, String> {
    Client::connect(url, NoTls)
        .map_err(|e| format!("could not connect to PostgreSQL at {}: {e}", redact(url)))
}

/// The URL without its password (for messages and logs).
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The schema's current version (0 for an empty database).
pub fn version(client: &mut Client) -> Result<i64, String> {
    let exists: bool = client
        .query_one("SELECT to_regclass('optline_schema') IS NOT NULL", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client
        .query_one("SELECT COALESCE(MAX(version), 0) FROM optline_schema", &[])
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

/// Brings the database to the latest version.
pub fn migrate(client: &mut Client) -> Result<(), String> {
    let fail = |e: postgres::Error| format!("migration failed: {e}");
    let mut tx = client.transaction().map_err(fail)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(fail)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS optline_schema (version BIGINT NOT NULL)")
        .map_err(fail)?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM optline_schema", &[])
        .map_err(fail)?
        .get(0);
    if current < FIRST_VERSION {
        tx.batch_execute(&initial_schema()).map_err(fail)?;
        tx.execute(
            "INSERT INTO optline_schema(version) VALUES ($1)",
            &[&FIRST_VERSION],
        )
        .map_err(fail)?;
    }
    for (version, sql) in LATER {
        if *version > current.max(FIRST_VERSION) {
            tx.batch_execute(sql).map_err(fail)?;
            tx.execute(
                "INSERT INTO optline_schema(version) VALUES ($1)",
                &[version],
            )
            .map_err(fail)?;
        }
    }
    tx.commit().map_err(fail)
}

/// Versions after the first, each the PostgreSQL form of SQLite's
/// migration of the same number (`migrations.rs` says why each exists).
const LATER: &[(i64, &str)] = &[(
    13,
    "CREATE TABLE server_processes (
         id          TEXT PRIMARY KEY,
         started_at  TEXT NOT NULL,
         seen_at     TEXT NOT NULL
     );
     ALTER TABLE messages ADD COLUMN claimed_by TEXT;
     ALTER TABLE messages ADD COLUMN send_started BIGINT NOT NULL DEFAULT 0;
     UPDATE messages SET send_started = 1 WHERE status = 'queued';
     CREATE INDEX messages_queued ON messages(id) WHERE status = 'queued';",
)];

/// The newest version this build knows.
pub fn latest_version() -> i64 {
    LATER.last().map_or(FIRST_VERSION, |(v, _)| *v)
}

/// Every table the data model has, in an order that satisfies the foreign
/// keys (the copy from SQLite follows it too).
pub const TABLES: &[&str] = &[
    "organizations",
    "lines_of_business",
    "users",
    "numbers",
    "contacts",
    "ownership",
    "conversations",
    "messages",
    "flows",
    "audit",
    "sessions",
    "pending_statuses",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
    "insight_daily",
    "insight_requests",
    "insight_accepts",
    "insight_failures",
];

/// Tables of the running processes' own state (heartbeats), not data: a
/// copy leaves them out, and they do not make a database "not empty".
pub const PROCESS_TABLES: &[&str] = &["server_processes"];

/// Tables whose `id` comes from an identity sequence.
pub const ID_TABLES: &[&str] = &[
    "organizations",
    "lines_of_business",
    "users",
    "numbers",
    "contacts",
    "conversations",
    "messages",
    "audit",
    "pending_statuses",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
];

fn initial_schema() -> String {
    let (audit_rollup, failed_rollup) = (audit_rollup_sql(), failed_send_rollup_sql());
    format!(
        r#"
CREATE EXTENSION IF NOT EXISTS citext;

-- SQLite's functions that the shared queries use.
CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS INTEGER
    LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
    RETURN strpos(haystack, needle);
CREATE FUNCTION unixepoch(at TEXT, modifier TEXT) RETURNS DOUBLE PRECISION
    LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE
    RETURN extract(epoch FROM at::timestamptz);

CREATE TABLE organizations (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE lines_of_business (
    id      BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id  BIGINT NOT NULL REFERENCES organizations(id),
    name    TEXT NOT NULL
);
CREATE INDEX lob_org ON lines_of_business(org_id);
CREATE TABLE users (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id         BIGINT NOT NULL REFERENCES organizations(id),
    lob_id         BIGINT REFERENCES lines_of_business(id),
    email          CITEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin','agent')),
    password_hash  TEXT NOT NULL,
    active         BIGINT NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL
);
CREATE INDEX users_org ON users(org_id);
CREATE INDEX users_org_role ON users(org_id, role, active);
CREATE TABLE numbers (
    id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id            BIGINT NOT NULL REFERENCES organizations(id),
    lob_id            BIGINT NOT NULL REFERENCES lines_of_business(id),
    user_id           BIGINT REFERENCES users(id),
    e164              TEXT NOT NULL UNIQUE,
    sms_enabled       BIGINT NOT NULL DEFAULT 1,
    whatsapp_enabled  BIGINT NOT NULL DEFAULT 1,
    provider          TEXT NOT NULL DEFAULT 'simulator',
    provider_config   TEXT,
    provider_key      TEXT
);
CREATE INDEX numbers_user ON numbers(user_id);
CREATE UNIQUE INDEX numbers_provider_key ON numbers(provider, provider_key);
CREATE TABLE contacts (
    id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id    BIGINT NOT NULL REFERENCES organizations(id),
    e164      TEXT NOT NULL,
    name      TEXT,
    tz        TEXT NOT NULL,
    UNIQUE (org_id, e164)
);
CREATE TABLE ownership (
    lob_id      BIGINT NOT NULL REFERENCES lines_of_business(id),
    contact_id  BIGINT NOT NULL REFERENCES contacts(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    since       TEXT NOT NULL,
    PRIMARY KEY (lob_id, contact_id)
);
CREATE TABLE conversations (
    id               BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id           BIGINT NOT NULL REFERENCES organizations(id),
    number_id        BIGINT NOT NULL REFERENCES numbers(id),
    contact_id       BIGINT NOT NULL REFERENCES contacts(id),
    channel          TEXT NOT NULL,
    unread           BIGINT NOT NULL DEFAULT 0,
    last_message_id  BIGINT,
    last_inbound_at  TEXT,
    updated_at       TEXT NOT NULL,
    thread           TEXT,
    consent_state    TEXT NOT NULL DEFAULT 'not_requested',
    consent_version  BIGINT NOT NULL DEFAULT 0,
    UNIQUE (number_id, contact_id, channel)
);
CREATE INDEX conv_number_updated ON conversations(number_id, updated_at DESC, id DESC);
CREATE TABLE messages (
    id                   BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    conversation_id      BIGINT NOT NULL REFERENCES conversations(id),
    direction            TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    body                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    error                TEXT,
    provider             TEXT NOT NULL,
    provider_message_id  TEXT,
    user_id              BIGINT,
    created_at           TEXT NOT NULL,
    attempts             BIGINT NOT NULL DEFAULT 0,
    template             BIGINT NOT NULL DEFAULT 0,
    sender_unverified    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX messages_conv ON messages(conversation_id, id);
CREATE UNIQUE INDEX messages_provider_msg ON messages(provider, provider_message_id);
CREATE INDEX messages_failed_created ON messages(created_at) WHERE status = 'failed';
CREATE TABLE flows (
    lob_id      BIGINT NOT NULL REFERENCES lines_of_business(id),
    channel     TEXT NOT NULL,
    flow        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  BIGINT,
    PRIMARY KEY (lob_id, channel)
);
CREATE TABLE audit (
    id                   BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id               BIGINT NOT NULL,
    at                   TEXT NOT NULL,
    number               TEXT NOT NULL,
    contact              TEXT NOT NULL,
    channel              TEXT NOT NULL,
    actor                TEXT NOT NULL,
    action               TEXT NOT NULL,
    from_state           TEXT NOT NULL,
    to_state             TEXT NOT NULL,
    evidence             TEXT NOT NULL,
    request_text         TEXT,
    provider_message_id  TEXT,
    source               TEXT,
    signature_verified   BIGINT NOT NULL DEFAULT 0,
    template_name        TEXT,
    template_language    TEXT
);
CREATE INDEX audit_org ON audit(org_id, id);
CREATE INDEX audit_insights ON audit(org_id, at, number, channel, action, from_state,
    to_state, source);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the consent audit is append-only';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE pending_statuses (
    id                   BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    provider             TEXT NOT NULL,
    provider_message_id  TEXT NOT NULL,
    status               TEXT NOT NULL,
    error                TEXT,
    received_at          TEXT NOT NULL,
    number_id            BIGINT
);
CREATE INDEX pending_statuses_msg ON pending_statuses(provider, provider_message_id);
CREATE INDEX pending_statuses_received ON pending_statuses(received_at);
CREATE TABLE webhook_endpoints (
    id                     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id                 BIGINT NOT NULL REFERENCES organizations(id),
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    event_types            TEXT NOT NULL,
    enabled                BIGINT NOT NULL DEFAULT 1,
    disabled_reason        TEXT,
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints(org_id);
CREATE TABLE webhook_events (
    id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    event_id     TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    body         TEXT NOT NULL,
    contact_key  TEXT,
    created_at   TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
    id                 BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    event_id           BIGINT NOT NULL REFERENCES webhook_events(id),
    endpoint_id        BIGINT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    contact_key        TEXT,
    state              TEXT NOT NULL,
    attempts           BIGINT NOT NULL DEFAULT 0,
    next_attempt_at    TEXT NOT NULL,
    window_started_at  TEXT NOT NULL,
    last_attempt_at    TEXT,
    last_status        BIGINT,
    last_response      TEXT,
    delivered_at       TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries(endpoint_id, contact_key, state, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);

CREATE TABLE insight_daily (
    org_id BIGINT NOT NULL, day TEXT NOT NULL, number TEXT NOT NULL,
    channel TEXT NOT NULL, stage TEXT NOT NULL, how TEXT NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, number, channel, stage, how));
CREATE TABLE insight_requests (
    audit_id BIGINT PRIMARY KEY, org_id BIGINT NOT NULL, at TEXT NOT NULL,
    number TEXT NOT NULL, contact TEXT NOT NULL, channel TEXT NOT NULL,
    by_agent BIGINT NOT NULL, answer_secs DOUBLE PRECISION);
CREATE INDEX insight_requests_thread ON insight_requests(number, contact, channel, audit_id);
CREATE INDEX insight_requests_period
    ON insight_requests(org_id, number, channel, at, answer_secs);
CREATE TABLE insight_accepts (
    org_id BIGINT NOT NULL, number TEXT NOT NULL, channel TEXT NOT NULL,
    at TEXT NOT NULL, secs DOUBLE PRECISION NOT NULL);
CREATE INDEX insight_accepts_period ON insight_accepts(org_id, number, channel, at, secs);
CREATE TABLE insight_failures (
    org_id BIGINT NOT NULL, day TEXT NOT NULL, number_id BIGINT NOT NULL,
    channel TEXT NOT NULL, provider TEXT NOT NULL, error TEXT NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, number_id, channel, provider, error));

CREATE FUNCTION insight_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {audit_rollup}
    RETURN NULL;
END $$;
CREATE TRIGGER insight_audit AFTER INSERT ON audit
    FOR EACH ROW EXECUTE FUNCTION insight_audit();

CREATE FUNCTION insight_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {failed_rollup}
    RETURN NULL;
END $$;
CREATE TRIGGER insight_failed_update AFTER UPDATE OF status ON messages
    FOR EACH ROW
    WHEN (NEW.status = 'failed' AND OLD.status <> 'failed' AND NEW.direction = 'outbound')
    EXECUTE FUNCTION insight_failed();
CREATE TRIGGER insight_failed_insert AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.status = 'failed' AND NEW.direction = 'outbound')
    EXECUTE FUNCTION insight_failed();
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://optline:s3cret@db.internal:5432/optline"),
            "postgres://optline:***@db.internal:5432/optline"
        );
        assert_eq!(
            redact("postgres://optline@127.0.0.1/optline"),
            "postgres://optline@127.0.0.1/optline"
        );
    }
}
