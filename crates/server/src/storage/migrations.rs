//! Versioned schema migrations, applied at start (`PRAGMA user_version`).

use rusqlite::Connection;

/// Each entry is one version; never edit a released one, append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the whole initial model.
    r#"
CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE lines_of_business (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES organizations(id),
    name    TEXT NOT NULL
);
CREATE INDEX lob_org ON lines_of_business(org_id);
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations(id),
    lob_id         INTEGER REFERENCES lines_of_business(id),
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin','agent')),
    password_hash  TEXT NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL
);
CREATE INDEX users_org ON users(org_id);
CREATE TABLE numbers (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES organizations(id),
    lob_id            INTEGER NOT NULL REFERENCES lines_of_business(id),
    user_id           INTEGER REFERENCES users(id),
    e164              TEXT NOT NULL UNIQUE,
    sms_enabled       INTEGER NOT NULL DEFAULT 1,
    whatsapp_enabled  INTEGER NOT NULL DEFAULT 1,
    provider          TEXT NOT NULL DEFAULT 'simulator',
    provider_config   TEXT
);
CREATE INDEX numbers_user ON numbers(user_id);
CREATE TABLE contacts (
    id        INTEGER PRIMARY KEY,
    org_id    INTEGER NOT NULL REFERENCES organizations(id),
    e164      TEXT NOT NULL,
    name      TEXT,
    tz        TEXT NOT NULL,
    UNIQUE (org_id, e164)
);
CREATE TABLE consents (
    number_id   INTEGER NOT NULL REFERENCES numbers(id),
    contact_id  INTEGER NOT NULL REFERENCES contacts(id),
    channel     TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (number_id, contact_id, channel)
) WITHOUT ROWID;
CREATE TABLE ownership (
    lob_id      INTEGER NOT NULL REFERENCES lines_of_business(id),
    contact_id  INTEGER NOT NULL REFERENCES contacts(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    since       TEXT NOT NULL,
    PRIMARY KEY (lob_id, contact_id)
) WITHOUT ROWID;
CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    number_id        INTEGER NOT NULL REFERENCES numbers(id),
    contact_id       INTEGER NOT NULL REFERENCES contacts(id),
    channel          TEXT NOT NULL,
    unread           INTEGER NOT NULL DEFAULT 0,
    last_message_id  INTEGER,
    last_inbound_at  TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (number_id, contact_id, channel)
);
CREATE INDEX conv_number_updated ON conversations(number_id, updated_at DESC, id DESC);
CREATE INDEX conv_org_updated ON conversations(org_id, updated_at DESC, id DESC);
CREATE TABLE messages (
    id                   INTEGER PRIMARY KEY,
    conversation_id      INTEGER NOT NULL REFERENCES conversations(id),
    direction            TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    body                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    error                TEXT,
    provider             TEXT NOT NULL,
    provider_message_id  TEXT,
    user_id              INTEGER,
    created_at           TEXT NOT NULL
);
CREATE INDEX messages_conv ON messages(conversation_id, id);
CREATE UNIQUE INDEX messages_provider_id ON messages(provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE TABLE flows (
    lob_id      INTEGER NOT NULL REFERENCES lines_of_business(id),
    channel     TEXT NOT NULL,
    flow        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  INTEGER,
    PRIMARY KEY (lob_id, channel)
) WITHOUT ROWID;
CREATE TABLE audit (
    id                   INTEGER PRIMARY KEY,
    org_id               INTEGER NOT NULL,
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
    provider_message_id  TEXT
);
CREATE INDEX audit_org ON audit(org_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the consent audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the consent audit is append-only'); END;
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
"#,
    // 2: a full unique index (NULLs stay distinct): a partial index made
    // SQLite re-prepare statements touching messages on every bind.
    r#"
DROP INDEX messages_provider_id;
CREATE UNIQUE INDEX messages_provider_msg ON messages(provider, provider_message_id);
"#,
    // 3: event recipients (the organization's admins) looked up per message.
    r#"
CREATE INDEX users_org_role ON users(org_id, role, active);
"#,
    // 4: every message moves its conversation's `updated_at`, so each index on
    // it costs two b-tree writes per message. Admins (the only users of the
    // organization-wide order) get it by sorting instead.
    r#"
DROP INDEX conv_org_updated;
"#,
    // 5: the consent thread of (number, contact, channel) moves into the
    // conversation row of the same key, which every message rewrites anyway.
    r#"
ALTER TABLE conversations ADD COLUMN thread TEXT;
UPDATE conversations SET thread = (
    SELECT cs.state FROM consents cs
    WHERE cs.number_id = conversations.number_id AND cs.contact_id = conversations.contact_id
      AND cs.channel = conversations.channel);
DROP TABLE consents;
"#,
    // 6: real providers. `provider_key` identifies a number in a provider's
    // webhooks (the WhatsApp phone_number_id); outbound messages count their
    // send attempts; a delivery status that arrives before its message is
    // known (the send answer still in flight) waits in `pending_statuses`.
    r#"
ALTER TABLE numbers ADD COLUMN provider_key TEXT;
CREATE UNIQUE INDEX numbers_provider_key ON numbers(provider, provider_key);
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE pending_statuses (
    id                   INTEGER PRIMARY KEY,
    provider             TEXT NOT NULL,
    provider_message_id  TEXT NOT NULL,
    status               TEXT NOT NULL,
    error                TEXT,
    received_at          TEXT NOT NULL
);
CREATE INDEX pending_statuses_msg ON pending_statuses(provider, provider_message_id);
"#,
    // 7: the consent state's name beside the thread (filters read a column,
    // not the engine's JSON; filled by `backfill_consent_state`), and the
    // engine's template flag on each outbound message (the sender obeys it).
    r#"
ALTER TABLE conversations ADD COLUMN consent_state TEXT NOT NULL DEFAULT 'not_requested';
ALTER TABLE messages ADD COLUMN template INTEGER NOT NULL DEFAULT 0;
"#,
    // 8: sessions end after 2 idle hours as well as after 12; `last_seen_at`
    // is moved at most once a minute. Ending all of a user's sessions (a
    // password change) looks them up by user.
    r#"
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_user ON sessions(user_id);
"#,
    // 9 (inbound and evidence): an inbound message whose sender the
    // phone library rejected is kept with the provider's raw address and
    // flagged; a waiting delivery status belongs to the number whose secret
    // signed it and is pruned by age; every audit row says where its
    // evidence came from (NULL on rows written before this version).
    r#"
ALTER TABLE messages ADD COLUMN sender_unverified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pending_statuses ADD COLUMN number_id INTEGER;
CREATE INDEX pending_statuses_received ON pending_statuses(received_at);
ALTER TABLE audit ADD COLUMN source TEXT;
ALTER TABLE audit ADD COLUMN signature_verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit ADD COLUMN template_name TEXT;
ALTER TABLE audit ADD COLUMN template_language TEXT;
"#,
    // 10: a version per conversation's consent state, raised on every write
    // of its thread, so the browser can tell the newer of two views.
    r#"
ALTER TABLE conversations ADD COLUMN consent_version INTEGER NOT NULL DEFAULT 0;
"#,
    // 11 (outgoing webhooks, #15): endpoints of an organization (secrets
    // sealed like provider settings; the previous secret stays valid for a
    // while after a rotation), the events written in the transaction of the
    // change they report, and one delivery per (event, endpoint): the
    // outbox the delivery worker works through, oldest first per contact.
    r#"
CREATE TABLE webhook_endpoints (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER NOT NULL REFERENCES organizations(id),
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    event_types            TEXT NOT NULL,
    enabled                INTEGER NOT NULL DEFAULT 1,
    disabled_reason        TEXT,
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints(org_id);
CREATE TABLE webhook_events (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL,
    event_id     TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    body         TEXT NOT NULL,
    contact_key  TEXT,
    created_at   TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
    id                 INTEGER PRIMARY KEY,
    event_id           INTEGER NOT NULL REFERENCES webhook_events(id),
    endpoint_id        INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    contact_key        TEXT,
    state              TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TEXT NOT NULL,
    window_started_at  TEXT NOT NULL,
    last_attempt_at    TEXT,
    last_status        INTEGER,
    last_response      TEXT,
    delivered_at       TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries(endpoint_id, contact_key, state, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);
"#,
    // 12 (consent insights): rollup tables kept by triggers, their
    // indexes and their backfill — all in `storage::insights::install`, next
    // to the queries that read them.
    "",
    // 13 (several server processes, #14): each process announces itself
    // (a heartbeat); a queued send belongs to the process that claimed it,
    // and says whether a request for it may have reached the provider. A
    // process that stopped leaves its never-started sends to a survivor
    // and its started ones settled as not resent (`outbox::recovery`).
    r#"
CREATE TABLE server_processes (
    id          TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    seen_at     TEXT NOT NULL
);
ALTER TABLE messages ADD COLUMN claimed_by TEXT;
ALTER TABLE messages ADD COLUMN send_started INTEGER NOT NULL DEFAULT 0;
-- Sends still queued from before this version may have been in flight when
-- their server stopped: never resent (they are failed as not resent).
UPDATE messages SET send_started = 1 WHERE status = 'queued';
CREATE INDEX messages_queued ON messages(id) WHERE status = 'queued';
"#,
];

/// Migration 7's data step: the name of every stored thread's state, read
/// through the engine's own type. An unreadable thread keeps the default
/// name here; the consent layer still refuses to act on it.
fn backfill_consent_state(tx: &rusqlite::Transaction) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, thread FROM conversations WHERE thread IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut up = tx.prepare("UPDATE conversations SET consent_state = ?2 WHERE id = ?1")?;
    for (id, json) in rows {
        if let Ok(t) = serde_json::from_str::<optline_engine::Thread>(&json) {
            up.execute(rusqlite::params![id, t.consent.name().as_str()])?;
        }
    }
    Ok(())
}

/// Applies every migration newer than the file's `user_version`.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(conn, latest_version())
}

/// Applies migrations up to `target` (tests use it to build old schemas).
pub fn migrate_to(conn: &mut Connection, target: i64) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > target {
            break;
        }
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if version == 7 {
            backfill_consent_state(&tx)?;
        }
        if version == 12 {
            super::insights::install(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Organization 1 with line of business 1, number 1 and contact 1:
    /// what a conversation row needs, in every schema version these tests
    /// start from.
    fn with_contact(c: &Connection) {
        c.execute_batch(
            "INSERT INTO organizations VALUES (1, 'o', 't');
             INSERT INTO lines_of_business VALUES (1, 1, 'l');
             INSERT INTO numbers(id, org_id, lob_id, e164) VALUES (1, 1, 1, '+1');
             INSERT INTO contacts VALUES (1, 1, '+2', NULL, 'UTC');",
        )
        .unwrap();
    }

    #[test]
    fn v5_moves_consent_threads_into_conversations() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 4).unwrap();
        with_contact(&c);
        c.execute_batch(
            "INSERT INTO conversations(id, org_id, number_id, contact_id, channel, updated_at)
                 VALUES (7, 1, 1, 1, 'sms', 't'), (8, 1, 1, 1, 'whatsapp', 't');
             INSERT INTO consents VALUES (1, 1, 'sms', '{\"x\":1}', 't');",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let t: Option<String> = c
            .query_row("SELECT thread FROM conversations WHERE id = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(t.as_deref(), Some("{\"x\":1}"));
        let t: Option<String> = c
            .query_row("SELECT thread FROM conversations WHERE id = 8", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(t, None);
    }

    #[test]
    fn v7_names_the_consent_state_of_stored_threads() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 6).unwrap();
        with_contact(&c);
        c.execute_batch(
            "INSERT INTO conversations(id, org_id, number_id, contact_id, channel, updated_at, thread)
                 VALUES (7, 1, 1, 1, 'sms', 't',
                         '{\"consent\":{\"state\":\"accepted\",\"at\":\"2026-01-05T15:00:00Z\"}}'),
                        (8, 1, 1, 1, 'whatsapp', 't', NULL);",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let names: Vec<String> = c
            .prepare("SELECT consent_state FROM conversations ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(names, ["accepted", "not_requested"]);
    }

    #[test]
    fn v13_never_resends_what_was_queued_before_it() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 12).unwrap();
        with_contact(&c);
        c.execute_batch(
            "INSERT INTO conversations(id, org_id, number_id, contact_id, channel, updated_at)
                 VALUES (7, 1, 1, 1, 'sms', 't');
             INSERT INTO messages(id, conversation_id, direction, kind, body, status, provider,
                 created_at) VALUES
                 (1, 7, 'outbound', 'agent', 'maybe in flight', 'queued', 'twilio', 't'),
                 (2, 7, 'outbound', 'agent', 'done', 'sent', 'twilio', 't');",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let started: Vec<(i64, i64)> = c
            .prepare("SELECT id, send_started FROM messages ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // A send queued when an older server stopped may have reached the
        // provider: recovery fails it instead of sending it again.
        assert_eq!(started, [(1, 1), (2, 0)]);
        let c = super::super::Conn::Sqlite(c);
        let failed = super::super::outbound_fail_orphaned(&c, "new-process", "t").unwrap();
        assert_eq!(failed, 1);
        let claimed = super::super::outbound_claim_orphaned(&c, "new-process", "t", 10).unwrap();
        assert!(claimed.is_empty(), "nothing resent: {claimed:?}");
    }

    #[test]
    fn migrates_twice_idempotently() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, latest_version());
    }
}
