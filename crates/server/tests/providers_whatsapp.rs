//! WhatsApp Cloud API adapter against a local stand-in: the verification
//! handshake, signatures right and wrong, recorded payloads (text, status,
//! error, unsupported type, batched entries), a retry storm, statuses
//! before their message, send retries and a permanent failure.

mod common;
use common::standin::{answer, Answer, StandIn};
use common::*;
use optline_server::providers::whatsapp::sign;
use serde_json::{json, Value};

const APP_SECRET: &str = "app-secret-7f3e9b";
const ACCESS_TOKEN: &str = "EAAG-access-token-51c2";
const VERIFY_TOKEN: &str = "verify-me-please";
const PNID: &str = "1234567890";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

struct Setup {
    server: Server,
    admin: Client,
    ana: Client,
    standin: StandIn,
    webhook: Client,
}

async fn setup() -> Setup {
    setup_with(&["--send-retry-base-ms", "20"]).await
}

async fn setup_with(extra: &[&str]) -> Setup {
    let standin = StandIn::start().await;
    let mut args = vec![
        "--demo",
        "--whatsapp-base-url",
        &standin.base,
        "--send-max-attempts",
        "4",
    ];
    args.extend_from_slice(extra);
    let server = Server::start_logged(&args);
    let admin = Client::login(&server, ADMIN.0, ADMIN.1).await;
    let id = admin.number_id(ANA_NUMBER).await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(json!({"provider": {
                "kind": "whatsapp", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
                "access_token": ACCESS_TOKEN, "phone_number_id": PNID,
                "template_name": "optin_request", "template_language": "en_US"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ana = Client::login(&server, ANA.0, ANA.1).await;
    let webhook = Client::new(&server);
    Setup {
        server,
        admin,
        ana,
        standin,
        webhook,
    }
}

async fn post_signed(c: &Client, body: &str, secret: Option<&str>) -> Resp {
    let mut rb = c
        .http
        .post(format!("{}/api/v1/webhooks/whatsapp", c.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(s) = secret {
        rb = rb.header("x-hub-signature-256", sign(s, body.as_bytes()));
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

fn db(s: &Server) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(&s.db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
}

fn count(s: &Server, sql: &str) -> i64 {
    db(s).query_row(sql, [], |r| r.get(0)).unwrap()
}

async fn conv_with(ana: &Client, phone: &str) -> Value {
    let r = ana.get("/api/v1/conversations?channel=whatsapp").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contact"]["phone"] == phone)
        .unwrap_or_else(|| panic!("no conversation with {phone}: {}", r.text))["id"]
        .as_i64()
        .unwrap();
    ana.get(&format!("/api/v1/conversations/{id}")).await.body
}

#[tokio::test]
async fn handshake_echoes_the_challenge_only_for_the_right_token() {
    let s = setup().await;
    let r = s
        .webhook
        .get(&format!("/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "1158201444");
    let r = s
        .webhook
        .get("/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn signatures_are_checked_and_payloads_recorded() {
    let s = setup().await;
    let text = fixture("text.json");
    // Missing, wrong secret, tampered body: 401 and nothing stored.
    assert_eq!(post_signed(&s.webhook, &text, None).await.status, 401);
    assert_eq!(
        post_signed(&s.webhook, &text, Some("not-the-secret"))
            .await
            .status,
        401
    );
    let sig = sign(APP_SECRET, text.as_bytes());
    let tampered = text.replace("store open", "store clsd");
    let r = s
        .webhook
        .http
        .post(format!("{}/api/v1/webhooks/whatsapp", s.webhook.base))
        .header("x-hub-signature-256", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        count(
            &s.server,
            "SELECT COUNT(*) FROM messages WHERE provider='whatsapp'"
        ),
        0
    );

    // Right signature: stored once, even when delivered twice.
    for _ in 0..2 {
        let r = post_signed(&s.webhook, &text, Some(APP_SECRET)).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let d = conv_with(&s.ana, "+12025550161").await;
    let msgs = d["messages"].as_array().unwrap();
    let inbound: Vec<_> = msgs
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), 1, "{d}");
    assert_eq!(inbound[0]["body"], "Hello, is the store open?");
    assert!(inbound[0]["provider_message_id"]
        .as_str()
        .unwrap()
        .starts_with("wamid."));

    // Unsupported type: a clear record, not fed to the engine.
    let r = post_signed(
        &s.webhook,
        &fixture("unsupported_image.json"),
        Some(APP_SECRET),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = conv_with(&s.ana, "+12025550161").await;
    let last = d["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["direction"], "inbound");
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("unsupported message type: image"),
        "{last}"
    );

    // Batched entries: two contacts, three messages (one a location).
    let r = post_signed(&s.webhook, &fixture("batched.json"), Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = conv_with(&s.ana, "+12025550163").await;
    let msgs = d["messages"].as_array().unwrap();
    assert_eq!(
        msgs.iter().filter(|m| m["direction"] == "inbound").count(),
        2
    );
    assert!(msgs
        .iter()
        .any(|m| m["error"].as_str().is_some_and(|e| e.contains("location"))));
    conv_with(&s.ana, "+12025550162").await;

    // Secrets never come back from the API.
    let r = s.admin.get("/api/v1/admin/numbers").await;
    for secret in [APP_SECRET, ACCESS_TOKEN, VERIFY_TOKEN] {
        assert!(!r.text.contains(secret), "secret in {}", r.text);
    }
    assert!(r.text.contains("\"configured\":true"), "{}", r.text);
    let me = s.ana.get("/api/v1/me").await;
    assert!(!me.text.contains(APP_SECRET) && !me.text.contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn retry_storm_leaves_exactly_one_message_each() {
    let s = setup().await;
    let mut deliveries = Vec::new();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let n = 40;
    for i in 0..n {
        let body = fixture("text.json")
            .replace("12025550161", &format!("120255502{i:02}"))
            .replace(
                "wamid.HBgLMTIwMjU1NTAxNjEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                &format!("wamid.STORM{i}"),
            )
            .replace(
                "Hello, is the store open?",
                if i % 2 == 0 { "STOP" } else { "hello" },
            );
        for _ in 0..(1 + rnd() % 5) {
            deliveries.push(body.clone());
        }
    }
    for i in (1..deliveries.len()).rev() {
        let j = (rnd() % (i as u64 + 1)) as usize;
        deliveries.swap(i, j);
    }
    let total = deliveries.len();
    let mut tasks = Vec::new();
    for chunk in deliveries.chunks(total / 8 + 1) {
        let c = s.webhook.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut futs = Vec::new();
            for b in chunk {
                let c = c.clone();
                futs.push(async move { post_signed(&c, &b, Some(APP_SECRET)).await.status });
            }
            futures_util::future::join_all(futs).await
        }));
    }
    for t in tasks {
        for st in t.await.unwrap() {
            assert_eq!(st, 200);
        }
    }
    assert_eq!(
        count(&s.server, "SELECT COUNT(*) FROM messages WHERE provider='whatsapp' AND direction='inbound' AND provider_message_id LIKE 'wamid.STORM%'"),
        n
    );
    assert_eq!(
        count(&s.server, "SELECT COUNT(*) FROM (SELECT provider_message_id FROM audit WHERE provider_message_id LIKE 'wamid.STORM%' GROUP BY provider_message_id HAVING COUNT(*) > 1)"),
        0
    );
}

/// The contact writes (window open), accepts, and the agent sends.
async fn accepted_conversation(s: &Setup, phone_digits: &str, n: u32) -> i64 {
    let body = fixture("text.json")
        .replace("12025550161", phone_digits)
        .replace(
            "wamid.HBgLMTIwMjU1NTAxNjEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            &format!("wamid.IN{n}"),
        );
    assert_eq!(
        post_signed(&s.webhook, &body, Some(APP_SECRET))
            .await
            .status,
        200
    );
    // The same conversation, with the contact's zone set to where it is
    // noon (quiet hours never interfere whatever the hour of the run).
    s.ana
        .start_conv(&format!("+{phone_digits}"), "whatsapp")
        .await
}

#[tokio::test]
async fn sends_retry_on_429_and_500_then_succeed_once() {
    let s = setup().await;
    let conv = accepted_conversation(&s, "12025550181", 1).await;
    s.standin.script(vec![
        answer(
            429,
            json!({"error": {"code": 130429, "message": "Rate limit hit"}}),
        ),
        answer(
            500,
            json!({"error": {"code": 131000, "message": "Something went wrong"}}),
        ),
    ]);
    let r = s.ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    assert_eq!(r.body["messages"][0]["status"], "queued");
    let m = s.ana.wait_status(conv, msg, "sent").await;
    assert_eq!(m["provider_message_id"], "wamid.OUT3");
    let reqs = s.standin.requests();
    assert_eq!(reqs.len(), 3, "{reqs:?}");
    for q in &reqs {
        assert_eq!(q.path, format!("/v21.0/{PNID}/messages"));
        assert_eq!(q.authorization, format!("Bearer {ACCESS_TOKEN}"));
        let b: Value = serde_json::from_str(&q.body).unwrap();
        // The contact wrote a moment ago, so the window is open, yet the
        // engine says the opt-in request is a template: it goes out as one.
        assert_eq!(b["type"], "template", "{b}");
        assert_eq!(b["template"]["name"], "optin_request", "{b}");
        assert_eq!(b["to"], "12025550181");
    }
    assert_eq!(
        count(
            &s.server,
            &format!("SELECT attempts FROM messages WHERE id = {msg}")
        ),
        3
    );
    assert_eq!(
        count(&s.server, &format!("SELECT COUNT(*) FROM messages WHERE direction='outbound' AND conversation_id = {conv}")),
        1
    );

    // A status for it, and a later one that arrives twice, out of order.
    let delivered = fixture("status_delivered.json").replace("WAMID_PLACEHOLDER", "wamid.OUT3");
    let read = delivered.replace("\"delivered\"", "\"read\"");
    assert_eq!(
        post_signed(&s.webhook, &read, Some(APP_SECRET))
            .await
            .status,
        200
    );
    assert_eq!(
        post_signed(&s.webhook, &delivered, Some(APP_SECRET))
            .await
            .status,
        200
    );
    s.ana.wait_status(conv, msg, "read").await;
}

#[tokio::test]
async fn a_status_before_its_message_is_kept_and_applied() {
    let s = setup().await;
    let conv = accepted_conversation(&s, "12025550182", 2).await;
    // The provider answers slowly; its "delivered" report overtakes the answer.
    s.standin.script(vec![Answer {
        status: 200,
        body: json!({"messages": [{"id": "wamid.EARLY"}]}),
        delay_ms: 600,
    }]);
    let r = s.ana.request_opt_in(conv).await;
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    s.standin.wait_requests(1).await;
    let early = fixture("status_delivered.json").replace("WAMID_PLACEHOLDER", "wamid.EARLY");
    assert_eq!(
        post_signed(&s.webhook, &early, Some(APP_SECRET))
            .await
            .status,
        200
    );
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 1);
    s.ana.wait_status(conv, msg, "delivered").await;
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 0);
}

#[tokio::test]
async fn permanent_failures_are_shown_on_the_message() {
    let s = setup().await;
    let conv = accepted_conversation(&s, "12025550183", 3).await;
    s.standin.script(vec![answer(
        400,
        json!({"error": {"code": 131026, "message": "Message undeliverable", "type": "OAuthException"}}),
    )]);
    let r = s.ana.request_opt_in(conv).await;
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ana.wait_status(conv, msg, "failed").await;
    assert!(m["error"].as_str().unwrap().contains("131026"), "{m}");
    assert_eq!(s.standin.requests().len(), 1, "a 400 is not retried");
    // The failure is logged, without any secret.
    let log = std::fs::read_to_string(s.server.log.as_ref().unwrap()).unwrap();
    assert!(log.contains("131026"), "{log}");
    for secret in [APP_SECRET, ACCESS_TOKEN, VERIFY_TOKEN] {
        assert!(!log.contains(secret), "secret in the log: {log}");
    }

    // Out of attempts on transient errors: failed, 4 attempts, one row.
    let conv2 = accepted_conversation(&s, "12025550184", 4).await;
    s.standin
        .script((0..4).map(|_| answer(503, json!({}))).collect());
    let r = s.ana.request_opt_in(conv2).await;
    let msg2 = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ana.wait_status(conv2, msg2, "failed").await;
    assert!(
        m["error"]
            .as_str()
            .unwrap()
            .contains("gave up after 4 attempts"),
        "{m}"
    );
    assert_eq!(
        count(
            &s.server,
            &format!("SELECT attempts FROM messages WHERE id = {msg2}")
        ),
        4
    );

    // A failed status report (after "sent") carries the provider's error.
    let conv3 = accepted_conversation(&s, "12025550185", 5).await;
    let r = s.ana.request_opt_in(conv3).await;
    let msg3 = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ana.wait_status(conv3, msg3, "sent").await;
    let pmid = m["provider_message_id"].as_str().unwrap().to_string();
    let failed = fixture("status_failed.json").replace("WAMID_PLACEHOLDER", &pmid);
    assert_eq!(
        post_signed(&s.webhook, &failed, Some(APP_SECRET))
            .await
            .status,
        200
    );
    let m = s.ana.wait_status(conv3, msg3, "failed").await;
    assert!(m["error"].as_str().unwrap().contains("131047"), "{m}");
}

#[tokio::test]
async fn outside_the_window_the_opt_in_request_is_the_template() {
    let standin = StandIn::start().await;
    let server = Server::start(&["--demo", "--whatsapp-base-url", &standin.base]);
    let admin = Client::login(&server, ADMIN.0, ADMIN.1).await;
    let id = admin.number_id(ANA_NUMBER).await;
    // Validation names the field.
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(json!({"provider": {"kind": "whatsapp", "app_secret": "x"}})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "provider.verify_token");
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(json!({"provider": {"kind": "fax"}})),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "provider.kind");
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(json!({"provider": {
                "kind": "whatsapp", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
                "access_token": ACCESS_TOKEN, "phone_number_id": PNID,
                "template_name": "optin_request", "template_language": "en_US"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["provider"], "whatsapp");
    assert_eq!(r.body["provider_settings"]["phone_number_id"], PNID);
    // Changing the template keeps the secrets.
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(json!({"provider": {"kind": "whatsapp", "template_name": "optin_v2"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["provider_settings"]["template_name"], "optin_v2");

    let ana = Client::login(&server, ANA.0, ANA.1).await;
    let conv = ana.start_conv("+12025550191", "whatsapp").await;
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reqs = standin.wait_requests(1).await;
    let b: Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert_eq!(b["type"], "template", "{b}");
    assert_eq!(b["template"]["name"], "optin_v2");
    assert_eq!(b["template"]["language"]["code"], "en_US");
    assert_eq!(b["to"], "12025550191");
}

#[tokio::test]
async fn a_send_timeout_is_retried() {
    let standin = StandIn::start().await;
    let server = Server::start(&[
        "--demo",
        "--whatsapp-base-url",
        &standin.base,
        "--send-retry-base-ms",
        "20",
        "--send-timeout-ms",
        "300",
    ]);
    let admin = Client::login(&server, ADMIN.0, ADMIN.1).await;
    let id = admin.number_id(ANA_NUMBER).await;
    let patch = |base_pnid: &str| {
        json!({"provider": {
            "kind": "whatsapp", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
            "access_token": ACCESS_TOKEN, "phone_number_id": base_pnid,
            "template_name": "optin_request", "template_language": "en_US"}})
    };
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(patch(PNID)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ana = Client::login(&server, ANA.0, ANA.1).await;
    // The first answer comes after the timeout: retried, sent once accepted.
    standin.script(vec![Answer {
        status: 200,
        body: json!({"messages": [{"id": "wamid.SLOW"}]}),
        delay_ms: 1500,
    }]);
    let conv = ana.start_conv("+12025550192", "whatsapp").await;
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = ana.wait_status(conv, msg, "sent").await;
    assert_eq!(m["provider_message_id"], "wamid.OUT2");
    assert_eq!(
        count(
            &server,
            &format!("SELECT attempts FROM messages WHERE id = {msg}")
        ),
        2
    );
}

#[tokio::test]
async fn a_message_queued_when_the_server_dies_is_marked_failed_not_resent() {
    let s = setup().await;
    let conv = accepted_conversation(&s, "12025550186", 6).await;
    s.standin.script(vec![Answer {
        status: 200,
        body: json!({"messages": [{"id": "wamid.NEVER"}]}),
        delay_ms: 10_000,
    }]);
    let r = s.ana.request_opt_in(conv).await;
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    s.standin.wait_requests(1).await;
    let Setup {
        server, standin, ..
    } = s;
    let (dir, db, static_dir) = server.kill();
    let server = Server::start_with(dir, db, static_dir, &["--whatsapp-base-url", &standin.base]);
    let ana = Client::login(&server, ANA.0, ANA.1).await;
    let m = ana.wait_status(conv, msg, "failed").await;
    assert!(m["error"].as_str().unwrap().contains("not resent"), "{m}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(standin.requests().len(), 1);
}

#[tokio::test]
async fn a_free_form_message_whose_window_closes_before_its_retry_fails_with_the_window_text() {
    let s = setup_with(&["--test-clock", "--send-retry-base-ms", "600"]).await;
    let conv = accepted_conversation(&s, "12025550187", 7).await;
    // The request goes out, the contact accepts: the agent may write.
    let r = s.ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    s.standin.wait_requests(1).await;
    let yes = fixture("text.json")
        .replace("12025550161", "12025550187")
        .replace(
            "wamid.HBgLMTIwMjU1NTAxNjEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            "wamid.YES7",
        )
        .replace("Hello, is the store open?", "YES");
    let body: Value = serde_json::from_str(&yes).unwrap();
    assert_eq!(
        body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"], "YES",
        "fixture shape changed"
    );
    assert_eq!(
        post_signed(&s.webhook, &yes, Some(APP_SECRET)).await.status,
        200
    );
    assert_eq!(s.ana.consent_state(conv).await, "accepted");
    s.standin.wait_requests(2).await; // the opt-in confirmation
                                      // The agent's message is allowed now, but WhatsApp is rate limiting:
                                      // the retry comes after the 24-hour window closed.
    s.standin.script(vec![answer(
        429,
        json!({"error": {"code": 130429, "message": "Rate limit hit"}}),
    )]);
    let r = s.ana.send(conv, "Your visit is confirmed.").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    s.standin.wait_requests(3).await;
    s.admin
        .post(
            "/api/v1/test/clock",
            json!({"advance_seconds": 24 * 3600 + 60}),
        )
        .await;
    let m = s.ana.wait_status(conv, msg, "failed").await;
    assert_eq!(
        m["error"],
        optline_engine::texts::WHATSAPP_WINDOW_CLOSED,
        "failed with the engine's words: {m}"
    );
    // Never swapped for another message: no fourth request was made.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(s.standin.requests().len(), 3, "{:?}", s.standin.requests());
}
