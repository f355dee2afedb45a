//! Outgoing webhooks (#15): the endpoints an organization registered, the
//! events written in the same transaction as the change they report, and
//! the delivery outbox (one row per event and endpoint) the delivery worker
//! works through. The outbox is the source of truth: nothing is delivered
//! that is not stored first, and a restart resumes from it.
//!
//! Secrets are stored as the caller gives them (sealed by `secrets::seal`
//! above this layer); this module never sees them in the clear.

use super::sql::{params, Conn, OptionalExtension, Row, NO_PARAMS};

use super::{text_enum, StorageResult};

/// What an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    ConsentChanged,
    MessageReceived,
    MessageStatus,
    OwnershipChanged,
    /// Sent to one endpoint on an admin's request; never subscribed to.
    Test,
}

impl EventType {
    /// The types an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 4] = [
        EventType::ConsentChanged,
        EventType::MessageReceived,
        EventType::MessageStatus,
        EventType::OwnershipChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ConsentChanged => "consent.changed",
            EventType::MessageReceived => "message.received",
            EventType::MessageStatus => "message.status",
            EventType::OwnershipChanged => "ownership.changed",
            EventType::Test => "webhook.test",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        [
            EventType::ConsentChanged,
            EventType::MessageReceived,
            EventType::MessageStatus,
            EventType::OwnershipChanged,
            EventType::Test,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet accepted by the endpoint (waiting for its first or next attempt).
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up after the retry window; the endpoint was disabled.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<DeliveryState> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "failed" => Some(DeliveryState::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct EndpointRow {
    pub id: i64,
    pub org_id: i64,
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Sealed at rest.
    pub secret: String,
    /// Sealed; valid until `previous_secret_until` after a rotation.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn types_text(types: &[EventType]) -> String {
    types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn types_parse(s: &str) -> Option<Vec<EventType>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(EventType::parse)
        .collect()
}

const ENDPOINT_COLS: &str = "id, org_id, url, description, event_types, enabled, disabled_reason,
    secret, previous_secret, previous_secret_until, created_at, updated_at";

fn endpoint_row(r: &Row) -> StorageResult<EndpointRow> {
    Ok(EndpointRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        url: r.get(2)?,
        description: r.get(3)?,
        event_types: text_enum(r, 4, types_parse)?,
        enabled: r.get(5)?,
        disabled_reason: r.get(6)?,
        secret: r.get(7)?,
        previous_secret: r.get(8)?,
        previous_secret_until: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

pub struct NewEndpoint<'a> {
    pub org_id: i64,
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: &'a [EventType],
    pub enabled: bool,
    pub sealed_secret: &'a str,
}

pub fn webhook_endpoint_insert(c: &Conn, e: &NewEndpoint, now: &str) -> StorageResult<i64> {
    c.insert(
        "INSERT INTO webhook_endpoints(org_id, url, description, event_types, enabled, secret,
            created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            e.org_id,
            e.url,
            e.description,
            types_text(e.event_types),
            e.enabled,
            e.sealed_secret,
            now
        ],
    )
}

pub fn webhook_endpoints_of_org(c: &Conn, org: i64) -> StorageResult<Vec<EndpointRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE org_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([org], endpoint_row)?;
    rows.collect::<Result<_, _>>()
}

/// Endpoint `id` of `org` (None for another organization's: tenant isolation).
pub fn webhook_endpoint(c: &Conn, org: i64, id: i64) -> StorageResult<Option<EndpointRow>> {
    c.prepare_cached(&format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE id = ?1 AND org_id = ?2"
    ))?
    .query_row(params![id, org], endpoint_row)
    .optional()
}

/// Changes the settings an admin edits; enabling clears the reason it was disabled for.
pub fn webhook_endpoint_update(
    c: &Conn,
    id: i64,
    url: &str,
    description: &str,
    types: &[EventType],
    enabled: bool,
    now: &str,
) -> StorageResult<()> {
    c.prepare_cached(
        "UPDATE webhook_endpoints SET url = ?2, description = ?3, event_types = ?4, enabled = ?5,
            disabled_reason = CASE WHEN CAST(?5 AS BIGINT) <> 0 THEN NULL ELSE disabled_reason END, updated_at = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        url,
        description,
        types_text(types),
        enabled,
        now
    ])?;
    Ok(())
}

/// A new current secret; the old one stays valid until `previous_until`.
pub fn webhook_endpoint_rotate(
    c: &Conn,
    id: i64,
    sealed_secret: &str,
    previous_until: &str,
    now: &str,
) -> StorageResult<()> {
    c.prepare_cached(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?3,
            secret = ?2, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, sealed_secret, previous_until, now])?;
    Ok(())
}

/// The worker gave up on the endpoint: disabled, with the reason admins see.
pub fn webhook_endpoint_disable(c: &Conn, id: i64, reason: &str, now: &str) -> StorageResult<()> {
    c.prepare_cached(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?2, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![id, reason, now])?;
    Ok(())
}

/// Deletes an endpoint and its deliveries (events other endpoints share stay).
pub fn webhook_endpoint_delete(c: &Conn, id: i64) -> StorageResult<()> {
    c.prepare_cached("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1")?
        .execute([id])?;
    c.prepare_cached("DELETE FROM webhook_endpoints WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// One event to store: its id (the `webhook-id` header, stable across
/// retries), its type, the exact JSON body every attempt sends, and the
/// contact whose events must arrive in order.
pub struct NewEvent<'a> {
    pub org_id: i64,
    pub event_id: &'a str,
    pub event_type: EventType,
    pub body: &'a str,
    pub contact_key: Option<&'a str>,
}

fn event_insert(c: &Conn, e: &NewEvent, now: &str) -> StorageResult<i64> {
    c.insert(
        "INSERT INTO webhook_events(org_id, event_id, type, body, contact_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            e.org_id,
            e.event_id,
            e.event_type.as_str(),
            e.body,
            e.contact_key,
            now
        ],
    )
}

fn delivery_insert(
    c: &Conn,
    event: i64,
    endpoint: i64,
    contact_key: Option<&str>,
    now: &str,
) -> StorageResult<i64> {
    c.insert(
        "INSERT INTO webhook_deliveries(event_id, endpoint_id, contact_key, state,
            next_attempt_at, window_started_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
        params![event, endpoint, contact_key, now],
    )
}

/// The enabled endpoints of `org` subscribed to `t` (cheap when there are none).
pub fn webhook_subscribers(c: &Conn, org: i64, t: EventType) -> StorageResult<Vec<i64>> {
    let mut st = c.prepare_cached(
        "SELECT id, event_types FROM webhook_endpoints WHERE org_id = ?1 AND enabled = 1",
    )?;
    let rows = st.query_map([org], |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, types) = row?;
        if types.split(',').any(|x| x == t.as_str()) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Stores `e` with one pending delivery per endpoint in `endpoints`;
/// returns the delivery ids.
pub fn webhook_enqueue(
    c: &Conn,
    e: &NewEvent,
    endpoints: &[i64],
    now: &str,
) -> StorageResult<Vec<i64>> {
    if endpoints.is_empty() {
        return Ok(Vec::new());
    }
    let event = event_insert(c, e, now)?;
    endpoints
        .iter()
        .map(|ep| delivery_insert(c, event, *ep, e.contact_key, now))
        .collect()
}

/// The ids of [`webhook_due`] (`?1` now, `?2` limit).
const DUE: &str = "SELECT d.id FROM webhook_deliveries d
       JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND e.enabled = 1
       AND (d.contact_key IS NULL OR NOT EXISTS (
           SELECT 1 FROM webhook_deliveries p
           WHERE p.endpoint_id = d.endpoint_id AND p.contact_key = d.contact_key
             AND p.state = 'pending' AND p.id < d.id))
     ORDER BY d.id LIMIT ?2";

/// Deliveries due at `now`, oldest first: pending, their endpoint enabled,
/// and no earlier delivery for the same contact to the same endpoint still
/// pending (a contact's events arrive in order, even across retries).
pub fn webhook_due(c: &Conn, now: &str, limit: i64) -> StorageResult<Vec<i64>> {
    let mut st = c.prepare_cached(DUE)?;
    let rows = st.query_map(params![now, limit], |r| r.get(0))?;
    rows.collect::<Result<_, _>>()
}

/// Claims up to `limit` of the deliveries due at `now` (as
/// [`webhook_due`] finds them) for one attempt: they are not due again
/// before `lease_until`, so another server process on the same database
/// does not send them too; the attempt's outcome sets when they are due
/// next. Rows another process is claiming at this moment are skipped.
pub fn webhook_claim_due(
    c: &Conn,
    now: &str,
    lease_until: &str,
    limit: i64,
) -> StorageResult<Vec<i64>> {
    let skip = c.skip_locked_clause();
    let mut ids: Vec<i64> = c
        .prepare_cached(&format!(
            "UPDATE webhook_deliveries SET next_attempt_at = ?3
             WHERE id IN ({DUE}{skip}) RETURNING id"
        ))?
        .query_map(params![now, limit, lease_until], |r| r.get(0))?
        .collect::<StorageResult<_>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// A delivery with its event, as the log and the worker read it.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: String,
    pub event_type: EventType,
    pub body: String,
    pub contact_key: Option<String>,
    pub created_at: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub window_started_at: String,
    pub last_attempt_at: Option<String>,
    pub last_status: Option<i64>,
    pub last_response: Option<String>,
    pub delivered_at: Option<String>,
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.endpoint_id, v.event_id, v.type, v.body,
    d.contact_key, v.created_at, d.state, d.attempts, d.next_attempt_at, d.window_started_at,
    d.last_attempt_at, d.last_status, d.last_response, d.delivered_at
    FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_id";

fn delivery_row(r: &Row) -> StorageResult<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        endpoint_id: r.get(1)?,
        event_id: r.get(2)?,
        event_type: text_enum(r, 3, EventType::parse)?,
        body: r.get(4)?,
        contact_key: r.get(5)?,
        created_at: r.get(6)?,
        state: text_enum(r, 7, DeliveryState::parse)?,
        attempts: r.get(8)?,
        next_attempt_at: r.get(9)?,
        window_started_at: r.get(10)?,
        last_attempt_at: r.get(11)?,
        last_status: r.get(12)?,
        last_response: r.get(13)?,
        delivered_at: r.get(14)?,
    })
}

pub fn webhook_delivery(c: &Conn, id: i64) -> StorageResult<Option<DeliveryRow>> {
    c.prepare_cached(&format!("{DELIVERY_SELECT} WHERE d.id = ?1"))?
        .query_row([id], delivery_row)
        .optional()
}

/// Deliveries of `endpoint`, newest first, before id `before`.
pub fn webhook_deliveries_page(
    c: &Conn,
    endpoint: i64,
    before: Option<i64>,
    limit: i64,
) -> StorageResult<Vec<DeliveryRow>> {
    let mut st = c.prepare_cached(&format!(
        "{DELIVERY_SELECT} WHERE d.endpoint_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR d.id < ?2)
         ORDER BY d.id DESC LIMIT ?3"
    ))?;
    let rows = st.query_map(params![endpoint, before, limit], delivery_row)?;
    rows.collect::<Result<_, _>>()
}

/// What one attempt came to.
pub enum AttemptResult<'a> {
    Delivered,
    /// Try again at `next` (RFC 3339).
    Retry {
        next: &'a str,
    },
    /// The retry window is over.
    GiveUp,
}

/// Records an attempt on a pending delivery (a delivery no longer pending,
/// e.g. its endpoint deleted meanwhile, is left alone).
pub fn webhook_attempt_record(
    c: &Conn,
    id: i64,
    status: Option<u16>,
    response: &str,
    result: AttemptResult,
    now: &str,
) -> StorageResult<()> {
    let (state, next, delivered) = match result {
        AttemptResult::Delivered => (DeliveryState::Delivered, None, Some(now)),
        AttemptResult::Retry { next } => (DeliveryState::Pending, Some(next), None),
        AttemptResult::GiveUp => (DeliveryState::Failed, None, None),
    };
    c.prepare_cached(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?2,
            last_status = ?3, last_response = ?4, state = ?5,
            next_attempt_at = COALESCE(?6, next_attempt_at), delivered_at = ?7
         WHERE id = ?1 AND state = 'pending'",
    )?
    .execute(params![
        id,
        now,
        status,
        response,
        state.as_str(),
        next,
        delivered
    ])?;
    Ok(())
}

/// Queues delivery `id` of `endpoint` again now, with a fresh retry window
/// (same event id: receivers that already have it can tell).
pub fn webhook_delivery_resend(c: &Conn, endpoint: i64, id: i64, now: &str) -> StorageResult<bool> {
    let n = c
        .prepare_cached(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?3,
                window_started_at = ?3, delivered_at = NULL
             WHERE id = ?2 AND endpoint_id = ?1",
        )?
        .execute(params![endpoint, id, now])?;
    Ok(n == 1)
}

/// Pending deliveries of `endpoint` (shown beside it).
pub fn webhook_pending_count(c: &Conn, endpoint: i64) -> StorageResult<i64> {
    c.prepare_cached(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1 AND state = 'pending'",
    )?
    .query_row([endpoint], |r| r.get(0))
}

/// Endpoint `id` whatever its organization (the delivery worker's view).
pub fn webhook_endpoint_by_id(c: &Conn, id: i64) -> StorageResult<Option<EndpointRow>> {
    c.prepare_cached(&format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE id = ?1"
    ))?
    .query_row([id], endpoint_row)
    .optional()
}

/// Whether any organization's enabled endpoint subscribes to `t` (lets hot
/// paths skip loading what an event would need).
pub fn webhook_any_subscriber(c: &Conn, t: EventType) -> StorageResult<bool> {
    c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM webhook_endpoints WHERE enabled = 1
            AND (',' || event_types || ',') LIKE '%,' || ?1 || ',%')",
    )?
    .query_row([t.as_str()], |r| r.get(0))
}

/// Every endpoint's stored secrets (id, current, previous), for resealing.
pub fn webhook_secrets_all(c: &Conn) -> StorageResult<Vec<(i64, String, Option<String>)>> {
    let mut st = c.prepare_cached("SELECT id, secret, previous_secret FROM webhook_endpoints")?;
    let rows = st.query_map(NO_PARAMS, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect::<Result<_, _>>()
}

/// Replaces an endpoint's stored secrets (same values, sealed anew).
pub fn webhook_secrets_put(
    c: &Conn,
    id: i64,
    secret: &str,
    previous: Option<&str>,
) -> StorageResult<()> {
    c.prepare_cached(
        "UPDATE webhook_endpoints SET secret = ?2, previous_secret = ?3 WHERE id = ?1",
    )?
    .execute(params![id, secret, previous])?;
    Ok(())
}

/// Deletes deliveries settled (delivered or given up) before `before`, and
/// events no delivery refers to any more; returns the deliveries deleted.
/// Pending deliveries are never deleted, however old.
pub fn webhook_prune(c: &Conn, before: &str) -> StorageResult<usize> {
    let n = c
        .prepare_cached(
            "DELETE FROM webhook_deliveries WHERE state != 'pending'
               AND COALESCE(delivered_at, last_attempt_at, next_attempt_at) < ?1",
        )?
        .execute([before])?;
    c.prepare_cached(
        "DELETE FROM webhook_events WHERE created_at < ?1 AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)",
    )?
    .execute([before])?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Conn {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        super::super::migrations::migrate(&mut c).unwrap();
        c.execute_batch("INSERT INTO organizations VALUES (1, 'o', 't');")
            .unwrap();
        Conn::Sqlite(c)
    }

    fn endpoint(c: &Conn, types: &[EventType]) -> i64 {
        webhook_endpoint_insert(
            c,
            &NewEndpoint {
                org_id: 1,
                url: "https://crm.example.com/h",
                description: "",
                event_types: types,
                enabled: true,
                sealed_secret: "whsec_x",
            },
            "2026-01-01T00:00:00.000Z",
        )
        .unwrap()
    }

    fn event(c: &Conn, id: &str, contact: Option<&str>, endpoints: &[i64], at: &str) -> i64 {
        webhook_enqueue(
            c,
            &NewEvent {
                org_id: 1,
                event_id: id,
                event_type: EventType::ConsentChanged,
                body: "{}",
                contact_key: contact,
            },
            endpoints,
            at,
        )
        .unwrap()[0]
    }

    const T0: &str = "2026-01-01T00:00:00.000Z";
    const LATER: &str = "2026-01-02T00:00:00.000Z";

    #[test]
    fn only_subscribed_enabled_endpoints_are_subscribers() {
        let c = db();
        let a = endpoint(&c, &[EventType::ConsentChanged]);
        let b = endpoint(&c, &[EventType::MessageStatus, EventType::ConsentChanged]);
        let off = endpoint(&c, &[EventType::ConsentChanged]);
        webhook_endpoint_update(
            &c,
            off,
            "https://x.example/",
            "",
            &[EventType::ConsentChanged],
            false,
            T0,
        )
        .unwrap();
        assert_eq!(
            webhook_subscribers(&c, 1, EventType::ConsentChanged).unwrap(),
            [a, b]
        );
        assert_eq!(
            webhook_subscribers(&c, 1, EventType::MessageStatus).unwrap(),
            [b]
        );
        assert!(webhook_subscribers(&c, 2, EventType::ConsentChanged)
            .unwrap()
            .is_empty());
        assert!(webhook_any_subscriber(&c, EventType::MessageStatus).unwrap());
        assert!(!webhook_any_subscriber(&c, EventType::OwnershipChanged).unwrap());
    }

    #[test]
    fn a_contacts_later_event_waits_for_the_earlier_one() {
        let c = db();
        let e = endpoint(&c, &[EventType::ConsentChanged]);
        let first = event(&c, "msg_1", Some("+1"), &[e], T0);
        let second = event(&c, "msg_2", Some("+1"), &[e], T0);
        let other = event(&c, "msg_3", Some("+2"), &[e], T0);
        let test = event(&c, "msg_4", None, &[e], T0);
        assert_eq!(webhook_due(&c, T0, 10).unwrap(), [first, other, test]);
        // Backing off: the first is not due, and the second still waits.
        webhook_attempt_record(
            &c,
            first,
            Some(500),
            "no",
            AttemptResult::Retry { next: LATER },
            T0,
        )
        .unwrap();
        assert_eq!(webhook_due(&c, T0, 10).unwrap(), [other, test]);
        webhook_attempt_record(&c, first, Some(200), "", AttemptResult::Delivered, LATER).unwrap();
        assert_eq!(webhook_due(&c, LATER, 10).unwrap(), [second, other, test]);
        let d = webhook_delivery(&c, first).unwrap().unwrap();
        assert_eq!(
            (d.state, d.attempts, d.last_status),
            (DeliveryState::Delivered, 2, Some(200))
        );
        // A disabled endpoint's deliveries wait.
        webhook_endpoint_disable(&c, e, "why", LATER).unwrap();
        assert!(webhook_due(&c, LATER, 10).unwrap().is_empty());
    }

    #[test]
    fn pruning_keeps_pending_deliveries_and_recent_ones() {
        let c = db();
        let e = endpoint(&c, &[EventType::ConsentChanged]);
        let old = event(&c, "msg_1", Some("+1"), &[e], T0);
        let waiting = event(&c, "msg_2", Some("+2"), &[e], T0);
        let recent = event(&c, "msg_3", Some("+3"), &[e], T0);
        webhook_attempt_record(&c, old, Some(200), "", AttemptResult::Delivered, T0).unwrap();
        webhook_attempt_record(&c, recent, Some(200), "", AttemptResult::Delivered, LATER).unwrap();
        assert_eq!(webhook_prune(&c, "2026-01-01T12:00:00.000Z").unwrap(), 1);
        assert!(webhook_delivery(&c, old).unwrap().is_none());
        assert!(webhook_delivery(&c, waiting).unwrap().is_some());
        assert!(webhook_delivery(&c, recent).unwrap().is_some());
        let events: i64 = c
            .query_row("SELECT COUNT(*) FROM webhook_events", NO_PARAMS, |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(events, 2);
    }
}
