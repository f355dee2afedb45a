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
    let mut args = vec!["--demo", "--send-max-attempts", "4"];
    // The stand-in unless the test points elsewhere.
    if !extra.contains(&"--whatsapp-base-url") {
        args.extend(["--whatsapp-base-url", &standin.base]);
    }
    args.extend_from_slice(extra);
    let server = Server::start_logged(&args);
    let admin = Client::login(&server, ADMIN.0, ADMIN.1).await;
    let r = admin
        .update_number(
            ANA_NUMBER,
            json!({"provider": {
                "kind": "whatsapp", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
                "access_token": ACCESS_TOKEN, "phone_number_id": PNID,
                "template_name": "optin_request", "template_language": "en_US"}}),
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

fn count(s: &Server, sql: &str) -> i64 {
    s.sql(|c| c.query_row(sql, NO_PARAMS, |r| r.get(0)))
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
        count(&s.server, "SELECT COUNT(*) FROM (SELECT provider_message_id FROM audit WHERE provider_message_id LIKE 'wamid.STORM%' GROUP BY provider_message_id HAVING COUNT(*) > 1) AS repeated"),
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
    // The same conversation; an admin moves the contact to where it is noon
    // (quiet hours never interfere whatever the hour of the run).
    let conv = s
        .ana
        .start_conv(&format!("+{phone_digits}"), "whatsapp")
        .await;
    s.admin
        .move_contact_to_noon(s.ana.contact_id(conv).await)
        .await;
    conv
}

#[tokio::test]
async fn sends_retry_only_on_429_honouring_retry_after_then_succeed_once() {
    let s = setup().await;
    let conv = accepted_conversation(&s, "12025550181", 1).await;
    s.standin.script(vec![
        Answer {
            status: 429,
            body: json!({"error": {"code": 130429, "message": "Rate limit hit"}}),
            retry_after: Some(1),
            ..Default::default()
        },
        answer(
            429,
            json!({"error": {"code": 130429, "message": "Rate limit hit"}}),
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
    // Retry-After: 1 is honoured (the backoff alone would be 20 ms).
    let waited = reqs[1].at - reqs[0].at;
    assert!(
        waited >= std::time::Duration::from_millis(900),
        "{waited:?}"
    );
    for q in &reqs {
        assert_eq!(q.path, format!("/v21.0/{PNID}/messages"));
        assert_eq!(q.authorization, format!("Bearer {ACCESS_TOKEN}"));
        let b: Value = serde_json::from_str(&q.body).unwrap();
        // The contact wrote a moment ago, so the window is open, yet the
        // engine says the opt-in request is a template: it goes out as one.
        assert_eq!(b["type"], "template", "{b}");
        assert_eq!(b["template"]["name"], "optin_request", "{b}");
        assert_eq!(b["to"], "12025550181");
        // Meta echoes this on the message's statuses.
        assert_eq!(b["biz_opaque_callback_data"], format!("optline:{msg}"));
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
        ..Default::default()
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

    // Out of attempts on rate limits: failed, 4 attempts, one row.
    let conv2 = accepted_conversation(&s, "12025550184", 4).await;
    s.standin
        .script((0..4).map(|_| answer(429, json!({}))).collect());
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
async fn a_timeout_or_a_5xx_is_never_resent_and_the_status_report_settles_it() {
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
    let r = admin
        .update_number(
            ANA_NUMBER,
            json!({"provider": {
                "kind": "whatsapp", "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
                "access_token": ACCESS_TOKEN, "phone_number_id": PNID,
                "template_name": "optin_request", "template_language": "en_US"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ana = Client::login(&server, ANA.0, ANA.1).await;
    let hook = Client::new(&server);
    // The answer comes after the timeout: Meta may well have taken it.
    standin.script(vec![Answer {
        status: 200,
        body: json!({"messages": [{"id": "wamid.SLOW"}]}),
        delay_ms: 1500,
        ..Default::default()
    }]);
    let conv = ana.start_conv("+12025550192", "whatsapp").await;
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = ana.wait_status(conv, msg, "unknown").await;
    assert!(m["error"].as_str().unwrap().contains("not resent"), "{m}");
    assert_eq!(m["provider_message_id"], Value::Null);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(standin.requests().len(), 1, "sent once, never twice");
    // Its status report names it by the id the send carried.
    let delivered = fixture("status_delivered.json")
        .replace("WAMID_PLACEHOLDER", "wamid.SLOW")
        .replace(
            "\"status\":\"delivered\"",
            &format!("\"status\":\"delivered\",\"biz_opaque_callback_data\":\"optline:{msg}\""),
        );
    assert_eq!(
        post_signed(&hook, &delivered, Some(APP_SECRET))
            .await
            .status,
        200
    );
    let m = ana.wait_status(conv, msg, "delivered").await;
    assert_eq!(m["provider_message_id"], "wamid.SLOW");
    assert_eq!(m["error"], Value::Null, "{m}");
    assert_eq!(
        count(
            &server,
            &format!("SELECT attempts FROM messages WHERE id = {msg}")
        ),
        1
    );

    // A 5xx after the request went out: unknown too, never retried.
    standin.script(vec![answer(
        500,
        json!({"error": {"code": 131000, "message": "Something went wrong"}}),
    )]);
    let conv2 = ana.start_conv("+12025550193", "whatsapp").await;
    let r = ana.request_opt_in(conv2).await;
    let msg2 = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = ana.wait_status(conv2, msg2, "unknown").await;
    assert!(m["error"].as_str().unwrap().contains("131000"), "{m}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(standin.requests().len(), 2, "{:?}", standin.requests());
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_is_retried() {
    // Nothing listens there: the request surely never reached anyone.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let s = setup_with(&["--send-retry-base-ms", "20", "--whatsapp-base-url", &base]).await;
    let conv = s.ana.start_conv("+12025550194", "whatsapp").await;
    let r = s.ana.request_opt_in(conv).await;
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ana.wait_status(conv, msg, "failed").await;
    assert!(
        m["error"]
            .as_str()
            .unwrap()
            .contains("gave up after 4 attempts"),
        "{m}"
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
        ..Default::default()
    }]);
    let r = s.ana.request_opt_in(conv).await;
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    s.standin.wait_requests(1).await;
    let Setup {
        server, standin, ..
    } = s;
    let (dir, db, static_dir) = server.kill();
    // On PostgreSQL the stopped process is recognised after the peer timeout.
    let server = Server::start_with(
        dir,
        db,
        static_dir,
        &[
            "--whatsapp-base-url",
            &standin.base,
            "--peer-timeout-secs",
            "2",
        ],
    );
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

/// Gives Ben's number its own WhatsApp app (another secret, another id).
async fn second_whatsapp_number(s: &Setup) {
    let id = s.admin.number_id(BEN_NUMBER).await;
    let r = s
        .admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(json!({"provider": {
                "kind": "whatsapp", "app_secret": "other-app-secret", "verify_token": "v2",
                "access_token": "t2", "phone_number_id": "2222222222",
                "template_name": "optin_request", "template_language": "en_US"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn the_signature_comes_first_and_unknown_numbers_are_skipped_with_200() {
    let s = setup().await;
    second_whatsapp_number(&s).await;
    // Not even JSON: refused on its signature, before it is read.
    let junk = "this is not a notification";
    assert_eq!(post_signed(&s.webhook, junk, None).await.status, 401);
    let r = post_signed(&s.webhook, junk, Some("wrong-secret")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "bad_signature");
    // Signed by an app here: now it is read (and is not a notification).
    let r = post_signed(&s.webhook, junk, Some(APP_SECRET)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "malformed_json");

    // Signed, for a phone_number_id that is no number here: Meta would
    // retry a refusal for days, so 200, a log line, nothing stored.
    let unknown = fixture("text.json").replace("1234567890", "5550001111");
    let r = post_signed(&s.webhook, &unknown, Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Naming Ben's number but signed with Ana's app secret: not Ben's.
    let foreign = fixture("text.json").replace("1234567890", "2222222222");
    let r = post_signed(&s.webhook, &foreign, Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        count(
            &s.server,
            "SELECT COUNT(*) FROM messages WHERE provider='whatsapp'"
        ),
        0
    );
    let log = std::fs::read_to_string(s.server.log.as_ref().unwrap()).unwrap();
    assert!(log.contains("5550001111"), "{log}");
    // Signed with Ben's app's own secret: stored on Ben's number.
    let r = post_signed(&s.webhook, &foreign, Some("other-app-secret")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ben = Client::login(&s.server, BEN.0, BEN.1).await;
    conv_with(&ben, "+12025550161").await;
}

#[tokio::test]
async fn a_signed_message_from_an_address_the_phone_library_rejects_is_kept_and_its_stop_counts() {
    let s = setup().await;
    let stop = fixture("text.json")
        .replace("12025550161", "999123")
        .replace("Hello, is the store open?", "STOP");
    let r = post_signed(&s.webhook, &stop, Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = conv_with(&s.ana, "999123").await;
    let m = &d["messages"][0];
    assert_eq!(m["body"], "STOP");
    assert_eq!(m["sender_unverified"], true, "{m}");
    assert_eq!(d["conversation"]["consent"]["state"], "opted_out", "{d}");
    let a = s
        .admin
        .get("/api/v1/admin/audit?action=opted_out:keyword")
        .await;
    assert!(
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["contact_phone"] == "999123"),
        "{}",
        a.text
    );
}

#[tokio::test]
async fn statuses_move_only_the_signing_numbers_messages() {
    let s = setup().await;
    second_whatsapp_number(&s).await;
    let conv = accepted_conversation(&s, "12025550188", 8).await;
    let r = s.ana.request_opt_in(conv).await;
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ana.wait_status(conv, msg, "sent").await;
    let pmid = m["provider_message_id"].as_str().unwrap().to_string();
    // Ben's app reports Ana's message failed: not its message, ignored.
    let failed = fixture("status_failed.json")
        .replace("WAMID_PLACEHOLDER", &pmid)
        .replace("1234567890", "2222222222");
    let r = post_signed(&s.webhook, &failed, Some("other-app-secret")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    s.ana.wait_status(conv, msg, "sent").await;
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 0);

    // The same before the answer: it waits under Ben's number and is not
    // applied to Ana's message when that gets the id.
    let conv2 = accepted_conversation(&s, "12025550189", 9).await;
    s.standin.script(vec![Answer {
        status: 200,
        body: json!({"messages": [{"id": "wamid.RACE"}]}),
        delay_ms: 600,
        ..Default::default()
    }]);
    let r = s.ana.request_opt_in(conv2).await;
    let msg2 = r.body["messages"][0]["id"].as_i64().unwrap();
    s.standin.wait_requests(2).await;
    let early = failed.replace(&pmid, "wamid.RACE");
    let r = post_signed(&s.webhook, &early, Some("other-app-secret")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 1);
    s.ana.wait_status(conv2, msg2, "sent").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    s.ana.wait_status(conv2, msg2, "sent").await;
}

#[tokio::test]
async fn a_delivery_over_the_item_cap_is_refused_whole() {
    let s = setup().await;
    let statuses: Vec<Value> = (0..1001)
        .map(|i| json!({"id": format!("wamid.CAP{i}"), "status": "delivered"}))
        .collect();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"metadata": {"phone_number_id": PNID}, "statuses": statuses}}]}]})
    .to_string();
    let r = post_signed(&s.webhook, &body, Some(APP_SECRET)).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "too_many_items");
    assert_eq!(r.body["error"]["field"], "entry");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("1000"));
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 0);
}

#[tokio::test]
async fn waiting_statuses_are_pruned_after_a_day() {
    let s = setup_with(&["--test-clock", "--send-retry-base-ms", "20"]).await;
    let ghost = |id: &str| fixture("status_delivered.json").replace("WAMID_PLACEHOLDER", id);
    let r = post_signed(&s.webhook, &ghost("wamid.GHOST1"), Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 1);
    s.admin
        .post("/api/v1/test/clock", json!({"advance_seconds": 25 * 3600}))
        .await;
    let r = post_signed(&s.webhook, &ghost("wamid.GHOST2"), Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        count(
            &s.server,
            "SELECT COUNT(*) FROM pending_statuses WHERE provider_message_id = 'wamid.GHOST2'"
        ),
        1
    );
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 1);
}

#[tokio::test]
async fn audit_records_name_the_evidence_source_and_the_template_sent() {
    let s = setup().await;
    let conv = accepted_conversation(&s, "12025550190", 10).await;
    let r = s.ana.request_opt_in(conv).await;
    let request_text = r.body["messages"][0]["body"].as_str().unwrap().to_string();
    s.standin.wait_requests(1).await;
    let yes = fixture("text.json")
        .replace("12025550161", "12025550190")
        .replace(
            "wamid.HBgLMTIwMjU1NTAxNjEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            "wamid.YES10",
        )
        .replace("Hello, is the store open?", "YES");
    assert_eq!(
        post_signed(&s.webhook, &yes, Some(APP_SECRET)).await.status,
        200
    );
    let a = s
        .admin
        .get("/api/v1/admin/audit?contact=%2B12025550190")
        .await;
    // Leave out the admin's time-zone change made by the setup.
    let items: Vec<&Value> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] != "time_zone_changed")
        .collect();
    assert_eq!(items.len(), 2, "{}", a.text);
    assert_eq!(items[0]["source"], "whatsapp", "{}", a.text);
    // The request: the flow's words and the template the contact saw.
    assert_eq!(items[0]["to_state"], "pending");
    assert_eq!(items[0]["source"], "whatsapp");
    assert_eq!(items[0]["signature_verified"], false);
    assert_eq!(items[0]["evidence"], request_text);
    assert_eq!(items[0]["template_name"], "optin_request");
    assert_eq!(items[0]["template_language"], "en_US");
    // The answer: from a webhook whose signature was verified.
    assert_eq!(items[1]["to_state"], "accepted");
    assert_eq!(items[1]["source"], "whatsapp");
    assert_eq!(items[1]["signature_verified"], true);
    assert_eq!(items[1]["provider_message_id"], "wamid.YES10");
    assert_eq!(items[1]["template_name"], Value::Null);
    let csv = s
        .admin
        .get("/api/v1/admin/audit.csv?contact=%2B12025550190")
        .await;
    let lines: Vec<&str> = csv
        .text
        .lines()
        .filter(|l| !l.contains("time_zone_changed"))
        .collect();
    assert!(
        lines[0].ends_with(",source,signature_verified,template_name,template_language"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(",whatsapp,false,optin_request,en_US"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(",wamid.YES10,whatsapp,true,,"),
        "{}",
        lines[2]
    );
}

/// Rule 14: a WhatsApp flow whose template has body parameters and
/// quick-reply buttons (accept OPTIN_YES, decline OPTIN_NO).
async fn buttons_flow(s: &Setup) {
    let nums = s.admin.get("/api/v1/admin/numbers").await;
    let lob = nums.body["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["phone"] == ANA_NUMBER)
        .unwrap()["line_of_business_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/flows/{lob}/whatsapp");
    let mut flow = s.admin.get(&path).await.body["flow"].clone();
    flow["whatsapp_template"] = json!({
        "name": "optin_buttons", "language": "en_US",
        "body_parameters": ["company", "agent"],
        "accept_payload": "OPTIN_YES", "decline_payload": "OPTIN_NO"
    });
    let r = s
        .admin
        .req("PUT", &path, Some(json!({ "flow": flow })))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Requests opt-in from `phone` and returns (conversation, the send's JSON).
async fn requested(s: &Setup, phone: &str, nth_send: usize) -> (i64, Value) {
    let conv = s.ana.start_conv(phone, "whatsapp").await;
    let r = s.ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reqs = s.standin.wait_requests(nth_send).await;
    let body: Value = serde_json::from_str(&reqs[nth_send - 1].body).unwrap();
    (conv, body)
}

#[tokio::test]
async fn a_tapped_template_button_gives_consent_by_its_payload() {
    let s = setup().await;
    buttons_flow(&s).await;
    let (conv, b) = requested(&s, "+12025550191", 1).await;

    // The stand-in saw the flow's template, its body parameters in the
    // flow's order, and a quick-reply payload per button.
    assert_eq!(b["type"], "template", "{b}");
    assert_eq!(b["template"]["name"], "optin_buttons", "{b}");
    assert_eq!(b["template"]["language"]["code"], "en_US");
    let me = s.ana.get("/api/v1/me").await.body;
    let components = b["template"]["components"].as_array().unwrap();
    assert_eq!(
        components[0],
        json!({"type": "body", "parameters": [
            {"type": "text", "text": me["organization"]["name"]},
            {"type": "text", "text": me["user"]["name"]},
        ]})
    );
    assert_eq!(
        components[1],
        json!({"type": "button", "sub_type": "quick_reply", "index": "0",
               "parameters": [{"type": "payload", "payload": "OPTIN_YES"}]})
    );
    assert_eq!(components[2]["index"], "1");
    assert_eq!(components[2]["parameters"][0]["payload"], "OPTIN_NO");

    // The recorded `button` webhook: accepted, by the payload.
    let r = post_signed(&s.webhook, &fixture("button.json"), Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.ana.consent_state(conv).await, "accepted");
    let d = s
        .ana
        .get(&format!("/api/v1/conversations/{conv}"))
        .await
        .body;
    let inbound: Vec<_> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .cloned()
        .collect();
    assert_eq!(inbound.len(), 1, "{d}");
    assert_eq!(inbound[0]["body"], "Yes, message me");
    assert!(
        inbound[0]["error"].is_null(),
        "not unsupported: {}",
        inbound[0]
    );

    // The audit keeps the payload and the label, signed by WhatsApp.
    let audit = s
        .admin
        .get("/api/v1/admin/audit?contact=%2B12025550191")
        .await;
    let last = audit.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "accepted:button_reply", "{last}");
    assert_eq!(
        last["evidence"],
        "tapped button \"Yes, message me\" [payload: OPTIN_YES]"
    );
    assert_eq!(last["source"], "whatsapp");
    assert_eq!(last["signature_verified"], true);
    assert_eq!(last["template_name"], Value::Null);
    let audit_all = audit.body["items"].as_array().unwrap().clone();
    assert_eq!(
        audit_all[0]["template_name"], "optin_buttons",
        "{audit_all:?}"
    );
}

#[tokio::test]
async fn an_interactive_button_reply_declines_by_its_id() {
    let s = setup().await;
    buttons_flow(&s).await;
    let (conv, _) = requested(&s, "+12025550192", 1).await;
    let r = post_signed(
        &s.webhook,
        &fixture("interactive_button_reply.json"),
        Some(APP_SECRET),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.ana.consent_state(conv).await, "rejected");
    let audit = s
        .admin
        .get("/api/v1/admin/audit?contact=%2B12025550192")
        .await;
    let last = audit.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "rejected:button_reply", "{last}");
    assert!(last["evidence"].as_str().unwrap().contains("No thanks"));
    assert!(last["evidence"].as_str().unwrap().contains("OPTIN_NO"));
}

#[tokio::test]
async fn an_unknown_payload_is_an_ordinary_reply_never_consent() {
    let s = setup().await;
    buttons_flow(&s).await;
    let (conv, _) = requested(&s, "+12025550191", 1).await;
    // Same label-like payload in another case: not the flow's payload.
    let body = fixture("button.json").replace("\"OPTIN_YES\"", "\"optin_yes\"");
    let r = post_signed(&s.webhook, &body, Some(APP_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.ana.consent_state(conv).await, "pending");
    // …answered by a new request (rule 6), again as the template.
    let reqs = s.standin.wait_requests(2).await;
    let b: Value = serde_json::from_str(&reqs[1].body).unwrap();
    assert_eq!(b["type"], "template", "{b}");
}
