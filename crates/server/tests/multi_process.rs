//! Several server processes on one PostgreSQL database (issue 14): the
//! WhatsApp line claim, live events, a retry storm split over two
//! processes, and a process killed under load. These need PostgreSQL:
//! `scripts/test.sh` starts one and sets `OPTLINE_TEST_POSTGRES`; without
//! it they are skipped, unless `OPTLINE_REQUIRE_POSTGRES=1` (CI) makes
//! that a failure.

mod common;
use std::sync::Arc;
use std::time::Duration;

use common::standin::{Answer, StandIn};
use common::*;
use serde_json::json;

/// Whether the PostgreSQL tests can run here.
fn postgres_here() -> bool {
    if postgres_admin_url().is_some() {
        return true;
    }
    assert!(
        std::env::var("OPTLINE_REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "OPTLINE_REQUIRE_POSTGRES=1 but OPTLINE_TEST_POSTGRES is not set"
    );
    eprintln!("skipped: set OPTLINE_TEST_POSTGRES to run the multi-process tests");
    false
}

#[tokio::test]
async fn the_whatsapp_line_claim_is_atomic_across_processes() {
    if !postgres_here() {
        return;
    }
    let a = Server::start(&["--demo"]);
    let b = Server::start_peer(&a, &[]);
    let admin = Client::login(&a, ADMIN.0, ADMIN.1).await;
    let mut agents = vec![
        Client::login(&a, ANA.0, ANA.1).await,
        Client::login(&b, BEN.0, BEN.1).await,
    ];
    for i in 0..6 {
        let email = admin.add_racer(i).await;
        // Half the agents on each process.
        let on = if i % 2 == 0 { &a } else { &b };
        agents.push(Client::login(on, &email, "racer-password").await);
    }
    for round in 0..3 {
        let contact = format!("+1202555029{round}");
        let mut convs = Vec::new();
        for agent in &agents {
            convs.push(agent.start_conv(&contact, "whatsapp").await);
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(agents.len()));
        let mut tasks = Vec::new();
        for (agent, conv) in agents.iter().zip(&convs) {
            let (agent, conv, barrier) = (agent.clone(), *conv, barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let r = agent.request_opt_in(conv).await;
                (
                    r.status,
                    r.body["error"]["code"].as_str().map(str::to_string),
                )
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                (200, _) => ok += 1,
                (409, code) => assert_eq!(code.as_deref(), Some("owned_by_other_user")),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(ok, 1, "round {round}: exactly one agent holds the line");
        let own = admin.get("/api/v1/admin/ownership").await;
        let holders = own.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["contact_phone"] == contact.as_str())
            .count();
        assert_eq!(holders, 1, "{}", own.text);
    }
}

#[tokio::test]
async fn a_message_stored_by_one_process_reaches_a_stream_on_the_other() {
    if !postgres_here() {
        return;
    }
    let a = Server::start(&["--demo"]);
    let b = Server::start_peer(&a, &[]);
    let ana_on_b = Client::login(&b, ANA.0, ANA.1).await;
    let mut stream = ana_on_b.open_events().await;
    // The contact writes; process A stores it.
    let r = Client::new(&a)
        .inbound(
            "+12025550291",
            ANA_NUMBER,
            "sms",
            "Is the store open on Sunday?",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains("Is the store open on Sunday?") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the event reached process B's stream in time")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: message"), "{seen}");
}

#[tokio::test]
async fn a_logout_on_one_process_ends_the_stream_on_the_other() {
    if !postgres_here() {
        return;
    }
    let a = Server::start(&["--demo"]);
    let b = Server::start_peer(&a, &[]);
    let ana = Client::login(&a, ANA.0, ANA.1).await;
    // The same session (cookie) on process B.
    let mut on_b = Client::new(&b);
    on_b.cookie = ana.cookie.clone();
    assert_eq!(
        on_b.get("/api/v1/me").await.status,
        200,
        "sessions are valid on every process"
    );
    let mut stream = on_b.open_events().await;
    assert_eq!(ana.post("/api/v1/auth/logout", json!({})).await.status, 204);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream on B ended with the session");
    assert_eq!(on_b.get("/api/v1/me").await.status, 401);
}

const APP_SECRET: &str = "app-secret-7f3e9b";
const PNID: &str = "1234567890";

/// Makes Ana's number a WhatsApp Cloud API number (sending to the
/// stand-in each process was started with; settings live in the database:
/// every process sees them).
async fn whatsapp_number(admin: &Client) {
    let r = admin
        .update_number(
            ANA_NUMBER,
            json!({"provider": {
                "kind": "whatsapp", "app_secret": APP_SECRET, "verify_token": "verify-me",
                "access_token": "EAAG-token", "phone_number_id": PNID,
                "template_name": "optin_request", "template_language": "en_US"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A signed WhatsApp text notification from `+digits` with message id `wamid`.
fn whatsapp_text(digits: &str, wamid: &str, text: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/whatsapp/text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("12025550161", digits)
    .replace(
        "wamid.HBgLMTIwMjU1NTAxNjEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        wamid,
    )
    .replace("Hello, is the store open?", text)
}

async fn post_whatsapp(c: &Client, body: &str) -> u16 {
    c.http
        .post(format!("{}/api/v1/webhooks/whatsapp", c.base))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            optline_server::providers::whatsapp::sign(APP_SECRET, body.as_bytes()),
        )
        .body(body.to_string())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_retry_storm_split_over_two_processes_stores_every_message_once() {
    if !postgres_here() {
        return;
    }
    let standin = StandIn::start().await;
    let a = Server::start(&["--demo", "--whatsapp-base-url", &standin.base]);
    let b = Server::start_peer(&a, &["--whatsapp-base-url", &standin.base]);
    whatsapp_number(&Client::login(&a, ADMIN.0, ADMIN.1).await).await;
    let senders = [Client::new(&a), Client::new(&b)];
    // 30 messages, each delivered 4 times, alternately to A and B, at once.
    let n = 30;
    let barrier = Arc::new(tokio::sync::Barrier::new(n * 4));
    let mut tasks = Vec::new();
    for i in 0..n {
        let body = whatsapp_text(
            &format!("120255503{i:02}"),
            &format!("wamid.SPLIT{i}"),
            if i % 2 == 0 { "STOP" } else { "hello" },
        );
        for k in 0..4 {
            let (c, body, barrier) = (senders[(i + k) % 2].clone(), body.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                // A provider retries until it gets a 200.
                for _ in 0..20 {
                    if post_whatsapp(&c, &body).await == 200 {
                        return true;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                false
            }));
        }
    }
    for t in tasks {
        assert!(t.await.unwrap(), "every delivery was acknowledged");
    }
    let stored: i64 = a.sql(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND provider_message_id LIKE 'wamid.SPLIT%'",
            NO_PARAMS,
            |r| r.get(0),
        )
    });
    assert_eq!(stored, n as i64, "each message stored once");
    let repeated: i64 = a.sql(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM (SELECT provider_message_id FROM audit
                 WHERE provider_message_id LIKE 'wamid.SPLIT%'
                 GROUP BY provider_message_id HAVING COUNT(*) > 1) AS r",
            NO_PARAMS,
            |r| r.get(0),
        )
    });
    assert_eq!(repeated, 0, "each STOP decided once");
}

#[tokio::test]
async fn a_process_killed_under_load_loses_no_acknowledged_message_and_its_sends_go_once() {
    if !postgres_here() {
        return;
    }
    let standin = StandIn::start().await;
    let args = [
        "--whatsapp-base-url",
        standin.base.as_str(),
        "--peer-timeout-secs",
        "2",
    ];
    let a = Server::start(&[&["--demo"][..], &args].concat());
    let b = Server::start_peer(&a, &args);
    let admin = Client::login(&b, ADMIN.0, ADMIN.1).await;
    whatsapp_number(&admin).await;
    // A send that process A committed but never started (it stopped right
    // after the commit): queued, claimed by a process id nobody runs.
    let ana = Client::login(&b, ANA.0, ANA.1).await;
    let conv = ana.start_conv("+12025550399", "whatsapp").await;
    admin.move_contact_to_noon(ana.contact_id(conv).await).await;
    let reply = whatsapp_text("12025550399", "wamid.KILL-IN", "hi");
    assert_eq!(post_whatsapp(&Client::new(&b), &reply).await, 200);
    standin.script(vec![Answer {
        status: 200,
        body: json!({"messages": [{"id": "wamid.SURVIVOR"}]}),
        ..Default::default()
    }]);
    b.sql(|c| {
        c.execute(
            "INSERT INTO messages(conversation_id, direction, kind, body, status, provider,
                 created_at, claimed_by)
             SELECT ?1, 'outbound', 'agent', 'Left behind by a stopped process', 'queued',
                    'whatsapp', '2026-01-01T00:00:00.000Z', 'a-stopped-process'",
            [conv],
        )
    });
    // Load on A while it is killed.
    let load_a = Client::new(&a);
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (c, acked) = (load_a.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..200 {
                let wamid = format!("wamid.LOAD{w}-{i}");
                let body = whatsapp_text(&format!("1202555040{w}"), &wamid, "hello");
                if post_whatsapp(&c, &body).await == 200 {
                    acked.lock().unwrap().push(wamid);
                }
            }
        }));
    }
    // Kill it mid-load: once some messages were acknowledged.
    for _ in 0..200 {
        if acked.lock().unwrap().len() >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SIGKILL; its files (the database's name) stay for the checks.
    let (_a_files, a_db, _) = a.kill();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        !acked.is_empty(),
        "some load was acknowledged before the kill"
    );
    let stored: std::collections::HashSet<String> = sql_at(&a_db, |c| {
        c.prepare_cached(
            "SELECT provider_message_id FROM messages WHERE provider_message_id LIKE 'wamid.LOAD%'",
        )?
        .query_map(NO_PARAMS, |r| r.get(0))?
        .collect()
    });
    let lost: Vec<_> = acked.iter().filter(|m| !stored.contains(*m)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // The survivor sends what the stopped process left, exactly once.
    let mut sent = 0;
    for _ in 0..100 {
        sent = standin
            .requests()
            .iter()
            .filter(|r| r.body.contains("Left behind by a stopped process"))
            .count();
        if sent > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 1, "sent by the survivor");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = standin
        .requests()
        .iter()
        .filter(|r| r.body.contains("Left behind by a stopped process"))
        .count();
    assert_eq!(again, 1, "and only once");
    let status: String = b.sql(|c| {
        c.query_row(
            "SELECT status FROM messages WHERE body = 'Left behind by a stopped process'",
            NO_PARAMS,
            |r| r.get(0),
        )
    });
    assert_eq!(status, "sent");
}

#[tokio::test]
async fn a_flow_saved_on_one_process_is_in_force_on_the_other() {
    if !postgres_here() {
        return;
    }
    let a = Server::start(&["--demo"]);
    let b = Server::start_peer(&a, &[]);
    let admin_a = Client::login(&a, ADMIN.0, ADMIN.1).await;
    let ana_b = Client::login(&b, ANA.0, ANA.1).await;
    // Process B reads (and caches) the flow in force.
    let conv = ana_b.start_conv("+12025550295", "sms").await;
    assert_eq!(ana_b.request_opt_in(conv).await.status, 200);
    let path = "/api/v1/admin/flows/1/sms";
    let mut flow = admin_a.get(path).await.body["flow"].clone();
    flow["keywords"]["accept"] = json!(["YES", "JA"]);
    let r = admin_a
        .req("PUT", path, Some(json!({ "flow": flow })))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The contact answers through B with the new keyword: B uses the new
    // flow (the relay takes milliseconds; half a second is ample).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut state = String::new();
    let r = Client::new(&b)
        .inbound("+12025550295", ANA_NUMBER, "sms", "JA")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for _ in 0..50 {
        state = ana_b.consent_state(conv).await;
        if state == "accepted" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "accepted", "B applied the flow saved on A");
}

#[tokio::test]
async fn a_lost_database_connection_is_reopened() {
    if !postgres_here() {
        return;
    }
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let mut stream = ana.open_events().await;
    // The database ends every session of the server (as a restart would).
    let ended: i64 = s.sql(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t",
            NO_PARAMS,
            |r| r.get(0),
        )
    });
    assert!(ended >= 1, "the server's connections were ended");
    // Events relayed meanwhile may be lost: once the relay listens again,
    // the live stream ends, so the browser reconnects and refetches.
    let resync = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(resync.is_ok(), "the live stream ended for a resync");
    // Writes work again shortly (a request in flight may fail meanwhile).
    let mut status = 0;
    for _ in 0..50 {
        status = ana
            .post(
                "/api/v1/conversations",
                json!({"phone": "+12025550297", "channel": "sms"}),
            )
            .await
            .status;
        if status == 201 || status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(status == 201 || status == 200, "writes resumed: {status}");
    assert_eq!(Client::new(&s).get("/api/health").await.status, 200);
    assert_eq!(
        ana.get("/api/v1/conversations").await.status,
        200,
        "reads too"
    );
}

#[tokio::test]
async fn each_webhook_event_is_delivered_by_one_process_only() {
    if !postgres_here() {
        return;
    }
    let rx = common::receiver::Receiver::start().await;
    let flags = ["--allow-private-webhooks"];
    let a = Server::start(&[&["--demo"][..], &flags].concat());
    let b = Server::start_peer(&a, &flags);
    let admin = Client::login(&a, ADMIN.0, ADMIN.1).await;
    let r = admin
        .post(
            "/api/v1/admin/webhooks",
            json!({"url": rx.url, "event_types": ["message.received"], "description": "CRM"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // 20 messages, half through each process; both workers poll the outbox.
    for i in 0..20 {
        let on = if i % 2 == 0 { &a } else { &b };
        let r = Client::new(on)
            .inbound(&format!("+120255504{i:02}"), ANA_NUMBER, "sms", "hello")
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    rx.wait(20, "20 deliveries", |g| {
        common::receiver::accepted(g).len() >= 20
    })
    .await;
    // Time for a second process to send any again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = rx.got();
    let mut ids: Vec<String> = got.iter().map(|g| g.id()).collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "20 events");
    assert_eq!(all, 20, "each sent once, by one process");
}
