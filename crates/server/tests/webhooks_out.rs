//! Outgoing webhooks (#15) through the real binary: a small HTTP receiver
//! inside the test plays the customer's endpoint, and every delivery's
//! signature is checked with an independent implementation (the
//! `standardwebhooks` crate). Retries, order per contact, secret rotation,
//! private-address refusal, SIGKILL between commit and delivery, the 3-day
//! give-up, the admin API's checks and the proof of consent.

mod common;
use common::*;

use common::receiver::{accepted, Got, Receiver};

use std::time::Duration;

use serde_json::{json, Value};

const FLAGS: &[&str] = &[
    "--demo",
    "--allow-private-webhooks",
    "--webhook-retry-base-ms",
    "200",
];

/// Registers an endpoint; returns (id, secret).
async fn register(admin: &Client, url: &str, types: &[&str]) -> (i64, String) {
    let r = admin
        .post(
            "/api/v1/admin/webhooks",
            json!({"url": url, "event_types": types, "description": "CRM"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (r.body["endpoint"]["id"].as_i64().unwrap(), secret)
}

async fn deliveries(admin: &Client, endpoint: i64) -> Vec<Value> {
    let r = admin
        .get(&format!("/api/v1/admin/webhooks/{endpoint}/deliveries"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn consent_changes_arrive_signed_with_their_evidence() {
    let rx = Receiver::start().await;
    let s = Server::start(FLAGS);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let (_, secret) = register(&admin, &rx.url, &["consent.changed", "message.received"]).await;

    let contact = "+12025550141";
    let conv = ana.start_conv(contact, "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    let request_text = ana.phone_received(contact).await[0].clone();
    ana.inbound(contact, ANA_NUMBER, "sms", "Yes").await;
    assert_eq!(ana.consent_state(conv).await, "accepted");

    let got = rx
        .wait(10, "two consent changes and one message", |g| g.len() >= 3)
        .await;
    for g in &got {
        assert!(g.verifies_with(&secret), "signature of {}", g.body);
        assert!(g.id().starts_with("msg_"));
        assert_eq!(g.headers["content-type"], "application/json");
    }
    // An independent check that refuses a wrong secret.
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert!(!got[0].verifies_with(other));
    let kinds: Vec<String> = got.iter().map(Got::kind).collect();
    // One contact's events in the order they happened.
    assert_eq!(
        kinds,
        ["consent.changed", "message.received", "consent.changed"]
    );
    let requested = got[0].json();
    assert_eq!(requested["data"]["from_state"], "not_requested");
    assert_eq!(requested["data"]["to_state"], "pending");
    assert_eq!(requested["data"]["request_text"], request_text.as_str());
    assert!(requested["data"]["actor"]
        .as_str()
        .unwrap()
        .starts_with("user:"));

    let received = got[1].json();
    assert_eq!(received["data"]["body"], "Yes");
    assert_eq!(received["data"]["contact"], contact);
    assert_eq!(received["data"]["business_number"], ANA_NUMBER);

    let accepted = got[2].json();
    assert!(accepted["timestamp"].is_string());
    let d = &accepted["data"];
    assert_eq!(d["contact"], contact);
    assert_eq!(d["business_number"], ANA_NUMBER);
    assert_eq!(d["channel"], "sms");
    assert_eq!(d["from_state"], "pending");
    assert_eq!(d["to_state"], "accepted");
    assert_eq!(d["actor"], "contact");
    assert_eq!(d["evidence"], "Yes");
    assert_eq!(d["evidence_source"], "simulator");
    assert_eq!(d["keyword"], "YES");
    assert_eq!(d["request_text"], request_text.as_str());
    assert_eq!(
        d["provider_message_id"], received["data"]["provider_message_id"],
        "the evidence names the inbound message"
    );
    assert!(d["provider_message_id"].is_string());
    // The audit row it restates.
    let audit = admin
        .get(&format!("/api/v1/admin/audit?contact=%2B{}", &contact[1..]))
        .await;
    let last = audit.body["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(d["audit_id"], last["id"]);
    assert_eq!(d["at"], last["at"]);
}

#[tokio::test]
async fn failed_deliveries_are_retried_in_order_per_contact() {
    let rx = Receiver::start().await;
    let first = "+12025550142";
    let second = "+12025550143";
    // The first contact's first event fails three times.
    rx.inner.lock().unwrap().fail_containing = Some((first.to_string(), 3));
    let s = Server::start(FLAGS);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let (endpoint, secret) = register(&admin, &rx.url, &["message.received"]).await;

    ana_writes(&s, first, &["one", "two"]).await;
    ana_writes(&s, second, &["three"]).await;

    let got = rx
        .wait(20, "every message accepted", |g| accepted(g).len() == 3)
        .await;
    let bodies: Vec<(String, u16, String)> = got
        .iter()
        .map(|g| {
            (
                g.json()["data"]["body"].as_str().unwrap().to_string(),
                g.answered,
                g.id(),
            )
        })
        .collect();
    // "one" failed three times with one stable id, then went through.
    let ones: Vec<&(String, u16, String)> = bodies.iter().filter(|b| b.0 == "one").collect();
    assert_eq!(
        ones.iter().map(|b| b.1).collect::<Vec<_>>(),
        [500, 500, 500, 200],
        "{bodies:?}"
    );
    assert!(
        ones.iter().all(|b| b.2 == ones[0].2),
        "webhook-id stable: {bodies:?}"
    );
    // "two" (same contact) only after "one" was accepted; "three" (another
    // contact) did not wait for it.
    let pos = |body: &str| {
        bodies
            .iter()
            .position(|b| b.0 == body && b.1 == 200)
            .unwrap()
    };
    let first_try_of_two = bodies.iter().position(|b| b.0 == "two").unwrap();
    assert!(first_try_of_two > pos("one"), "{bodies:?}");
    assert!(pos("three") < pos("one"), "{bodies:?}");
    for g in &got {
        assert!(g.verifies_with(&secret));
    }
    // The delivery log tells the story.
    let log = deliveries(&admin, endpoint).await;
    let one = log
        .iter()
        .find(|d| d["body"].as_str().unwrap().contains("\"one\""))
        .unwrap();
    assert_eq!(one["state"], "delivered");
    assert_eq!(one["attempts"], 4);
    assert_eq!(one["last_status_code"], 200);
    assert!(one["next_attempt_at"].is_null());
    assert_eq!(one["event_type"], "message.received");
}

/// Ana's contact `phone` writes `texts` to her number (SMS), one by one.
async fn ana_writes(s: &Server, phone: &str, texts: &[&str]) {
    let sim = Client::new(s);
    for t in texts {
        sim.inbound(phone, ANA_NUMBER, "sms", t).await;
    }
}

#[tokio::test]
async fn a_rotated_secret_keeps_signing_for_24_hours() {
    let rx = Receiver::start().await;
    let mut flags = FLAGS.to_vec();
    flags.push("--test-clock");
    let s = Server::start(&flags);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let (endpoint, old) = register(&admin, &rx.url, &["consent.changed"]).await;

    let r = admin
        .post(
            &format!("/api/v1/admin/webhooks/{endpoint}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.body["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let e = admin
        .get(&format!("/api/v1/admin/webhooks/{endpoint}"))
        .await;
    assert_eq!(
        e.body["previous_secret_valid_until"],
        r.body["previous_valid_until"]
    );
    // The secret is never shown again.
    assert!(!e.text.contains(&new) && !e.text.contains(&old));

    let test = admin
        .post(
            &format!("/api/v1/admin/webhooks/{endpoint}/test"),
            json!({}),
        )
        .await;
    assert_eq!(test.status, 202, "{}", test.text);
    let got = rx.wait(10, "the test event", |g| g.len() == 1).await;
    assert_eq!(got[0].kind(), "webhook.test");
    let sig = got[0].headers["webhook-signature"].to_str().unwrap();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
    assert!(got[0].verifies_with(&new), "new secret");
    assert!(got[0].verifies_with(&old), "old secret during the grace");

    // A day later only the new secret signs.
    let r = admin
        .post(
            "/api/v1/test/clock",
            json!({"advance_seconds": 24 * 3600 + 60}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    admin
        .post(
            &format!("/api/v1/admin/webhooks/{endpoint}/test"),
            json!({}),
        )
        .await;
    let got = rx.wait(10, "the second test event", |g| g.len() == 2).await;
    assert_eq!(
        got[1].headers["webhook-signature"]
            .to_str()
            .unwrap()
            .split(' ')
            .count(),
        1
    );
    assert!(got[1].verifies_with(&new));
    assert!(!got[1].verifies_with(&old));
    let e = admin
        .get(&format!("/api/v1/admin/webhooks/{endpoint}"))
        .await;
    assert!(e.body["previous_secret_valid_until"].is_null());
}

#[tokio::test]
async fn private_destinations_are_refused_without_the_flag() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    for (url, code) in [
        ("https://127.0.0.1/hooks", "private_address"),
        ("https://localhost:8443/hooks", "private_address"),
        (
            "https://169.254.169.254/latest/meta-data",
            "private_address",
        ),
        ("https://10.0.0.7/hooks", "private_address"),
        ("https://[::1]/hooks", "private_address"),
        ("https://[fd00::1]/hooks", "private_address"),
        ("http://127.0.0.1:9/hooks", "private_address"),
        ("http://no-such-host.invalid/hooks", "https_required"),
        ("ftp://crm.example.com/x", "invalid_url"),
    ] {
        let r = admin
            .post(
                "/api/v1/admin/webhooks",
                json!({"url": url, "event_types": ["consent.changed"]}),
            )
            .await;
        assert_eq!(r.status, 422, "{url}: {}", r.text);
        assert_eq!(r.body["error"]["field"], "url", "{url}");
        assert_eq!(r.body["error"]["code"], code, "{url}: {}", r.text);
    }
    let list = admin.get("/api/v1/admin/webhooks").await;
    assert_eq!(list.body["endpoints"], json!([]));
}

#[tokio::test]
async fn deliveries_to_a_private_address_are_refused_at_delivery_time_too() {
    // Registered while private addresses were allowed, delivered after a
    // restart without the flag: nothing goes out, the log says why.
    let rx = Receiver::start().await;
    let s = Server::start(FLAGS);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let (endpoint, _) = register(&admin, &rx.url, &["message.received"]).await;
    let (dir, db, st) = s.kill();
    let s = Server::start_with(
        dir,
        db,
        st,
        &["--simulator", "--webhook-retry-base-ms", "200"],
    );
    ana_writes(&s, "+12025550144", &["hello"]).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let mut log = Vec::new();
    for _ in 0..100 {
        log = deliveries(&admin, endpoint).await;
        if log
            .first()
            .is_some_and(|d| d["attempts"].as_i64() > Some(0))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = &log[0];
    assert_eq!(d["state"], "pending", "{d}");
    assert!(d["last_status_code"].is_null(), "{d}");
    let why = d["last_response"].as_str().unwrap();
    assert!(why.contains("loopback, private or link-local"), "{why}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.got().is_empty(), "nothing reached the private address");
}

#[tokio::test]
async fn sigkill_between_commit_and_delivery_delivers_once_after_restart() {
    let rx = Receiver::start().await;
    // Nothing is accepted before the kill.
    rx.set_default(503);
    let s = Server::start(FLAGS);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let (endpoint, secret) = register(&admin, &rx.url, &["message.received"]).await;
    let sim = Client::new(&s);
    let r = sim
        .post(
            "/api/v1/sim/inbound",
            json!({"from": "+12025550145", "to": ANA_NUMBER, "channel": "sms", "body": "before the crash"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Committed (acknowledged); killed at once, before any delivery.
    let (dir, db, st) = s.kill();
    let before = rx.got();
    assert!(before.iter().all(|g| g.answered == 503));
    rx.set_default(200);

    let s = Server::start_with(dir, db, st, FLAGS);
    let got = rx
        .wait(15, "the event after the restart", |g| {
            !accepted(g).is_empty()
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_all = rx.got();
    let ok = accepted(&got_all);
    assert_eq!(ok.len(), 1, "delivered once: {got:#?}");
    assert_eq!(ok[0].json()["data"]["body"], "before the crash");
    assert!(ok[0].verifies_with(&secret));
    // Same webhook-id as any attempt before the crash.
    assert!(before.iter().all(|g| g.id() == ok[0].id()));
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let log = deliveries(&admin, endpoint).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["event_id"], ok[0].id().as_str());
}

#[tokio::test]
async fn three_days_of_failure_disable_the_endpoint_until_an_admin_resends() {
    let rx = Receiver::start().await;
    rx.set_default(500);
    let mut flags = FLAGS.to_vec();
    flags.push("--test-clock");
    let s = Server::start(&flags);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let (endpoint, _) = register(&admin, &rx.url, &["message.received"]).await;
    ana_writes(&s, "+12025550146", &["are you there?"]).await;
    rx.wait(10, "a first failed attempt", |g| !g.is_empty())
        .await;

    let r = admin
        .post(
            "/api/v1/test/clock",
            json!({"advance_seconds": 3 * 24 * 3600 + 60}),
        )
        .await;
    assert_eq!(r.status, 200);
    let mut e = Value::Null;
    for _ in 0..200 {
        e = admin
            .get(&format!("/api/v1/admin/webhooks/{endpoint}"))
            .await
            .body;
        if e["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(e["enabled"], false, "{e}");
    let reason = e["disabled_reason"].as_str().unwrap();
    assert!(
        reason.contains("3 days") && reason.contains("HTTP 500"),
        "{reason}"
    );
    let log = deliveries(&admin, endpoint).await;
    assert_eq!(log[0]["state"], "failed");
    assert_eq!(log[0]["last_status_code"], 500);
    let attempts = rx.got().len();

    // Disabled: new events are not queued for it, nothing is attempted.
    ana_writes(&s, "+12025550146", &["hello?"]).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rx.got().len(), attempts);
    assert_eq!(deliveries(&admin, endpoint).await.len(), 1);

    // Fixed, enabled again, resent.
    rx.set_default(200);
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/webhooks/{endpoint}"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["disabled_reason"].is_null());
    let id = log[0]["id"].as_i64().unwrap();
    let r = admin
        .post(
            &format!("/api/v1/admin/webhooks/{endpoint}/deliveries/{id}/resend"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "pending");
    let got = rx
        .wait(10, "the resent event", |g| !accepted(g).is_empty())
        .await;
    assert_eq!(accepted(&got)[0].json()["data"]["body"], "are you there?");
}

fn init_org(s: &Server, name: &str, email: &str, password: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_optline-server"))
        .args(["init-org", "--name", name, "--admin-email", email])
        .arg("--admin-password")
        .arg(password)
        .arg("--db")
        .arg(s.db_arg())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_admin_api_checks_input_roles_and_tenants() {
    let rx = Receiver::start().await;
    let s = Server::start(FLAGS);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(&s, ANA.0, ANA.1).await;

    let r = ana.get("/api/v1/admin/webhooks").await;
    assert_eq!(r.status, 403);
    let r = ana
        .post(
            "/api/v1/admin/webhooks",
            json!({"url": rx.url, "event_types": ["consent.changed"]}),
        )
        .await;
    assert_eq!(r.status, 403);

    for (body, field, code) in [
        (
            json!({"url": rx.url, "event_types": []}),
            "event_types",
            "empty",
        ),
        (
            json!({"url": rx.url, "event_types": ["consent.changed", "consent.maybe"]}),
            "event_types[1]",
            "unknown_event_type",
        ),
        (
            json!({"url": rx.url, "event_types": ["webhook.test"]}),
            "event_types[0]",
            "unknown_event_type",
        ),
        (
            json!({"url": "", "event_types": ["consent.changed"]}),
            "url",
            "empty",
        ),
        (
            json!({"url": "not a url", "event_types": ["consent.changed"]}),
            "url",
            "invalid_url",
        ),
        (
            json!({"url": "http://10.0.0.1/x", "event_types": ["consent.changed"]}),
            "url",
            "https_required",
        ),
        (
            json!({"url": rx.url, "event_types": ["consent.changed"], "description": "x".repeat(201)}),
            "description",
            "too_long",
        ),
    ] {
        let r = admin.post("/api/v1/admin/webhooks", body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.body["error"]["field"], field, "{body}");
        assert_eq!(r.body["error"]["code"], code, "{body}");
    }
    let r = admin
        .post("/api/v1/admin/webhooks", json!({"url": rx.url}))
        .await;
    assert!((400..500).contains(&r.status), "{}", r.text);

    let (endpoint, _) = register(&admin, &rx.url, &["consent.changed"]).await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/webhooks/{endpoint}"),
            Some(json!({"event_types": ["nope"]})),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "event_types[0]");
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/webhooks/{endpoint}"),
            Some(json!({"event_types": ["message.status", "ownership.changed"], "enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["event_types"],
        json!(["message.status", "ownership.changed"])
    );
    assert_eq!(r.body["enabled"], false);

    // Another organization sees none of it.
    init_org(&s, "Other Corp", "boss@other.example", "other-password");
    let boss = Client::login(&s, "boss@other.example", "other-password").await;
    let list = boss.get("/api/v1/admin/webhooks").await;
    assert_eq!(list.body["endpoints"], json!([]));
    for (m, path) in [
        ("GET", format!("/api/v1/admin/webhooks/{endpoint}")),
        ("PATCH", format!("/api/v1/admin/webhooks/{endpoint}")),
        ("DELETE", format!("/api/v1/admin/webhooks/{endpoint}")),
        (
            "POST",
            format!("/api/v1/admin/webhooks/{endpoint}/rotate-secret"),
        ),
        ("POST", format!("/api/v1/admin/webhooks/{endpoint}/test")),
        (
            "GET",
            format!("/api/v1/admin/webhooks/{endpoint}/deliveries"),
        ),
        (
            "POST",
            format!("/api/v1/admin/webhooks/{endpoint}/deliveries/1/resend"),
        ),
    ] {
        let body = (m == "PATCH").then(|| json!({"enabled": true}));
        let r = boss.req(m, &path, body).await;
        assert_eq!(r.status, 404, "{m} {path}: {}", r.text);
    }
    let contact = {
        let conv = ana.start_conv("+12025550147", "sms").await;
        ana.contact_id(conv).await
    };
    let r = boss
        .get(&format!("/api/v1/admin/contacts/{contact}/consent-proof"))
        .await;
    assert_eq!(r.status, 404);

    let r = admin
        .req(
            "DELETE",
            &format!("/api/v1/admin/webhooks/{endpoint}"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = admin
        .get(&format!("/api/v1/admin/webhooks/{endpoint}"))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn ownership_and_status_events_are_sent_to_subscribers_only() {
    let rx = Receiver::start().await;
    let s = Server::start(FLAGS);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let (_, secret) = register(&admin, &rx.url, &["message.status", "ownership.changed"]).await;
    let contact = "+12025550148";
    let conv = ana.start_conv(contact, "whatsapp").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    let got = rx
        .wait(10, "ownership and delivered", |g| {
            g.iter().any(|x| x.kind() == "ownership.changed")
                && g.iter().any(|x| x.json()["data"]["status"] == "delivered")
        })
        .await;
    for g in &got {
        assert!(g.verifies_with(&secret));
        assert!(
            ["ownership.changed", "message.status"].contains(&g.kind().as_str()),
            "not subscribed: {}",
            g.body
        );
    }
    let own = got
        .iter()
        .find(|g| g.kind() == "ownership.changed")
        .unwrap()
        .json();
    assert_eq!(own["data"]["contact"], contact);
    assert_eq!(own["data"]["user_id"], ana.me_id().await);
    let status = got
        .iter()
        .find(|g| g.kind() == "message.status")
        .unwrap()
        .json();
    assert_eq!(status["data"]["conversation_id"], conv);
    assert_eq!(status["data"]["channel"], "whatsapp");

    // An admin hands the contact to Ben: one event, naming Ben.
    let ben = Client::login(&s, BEN.0, BEN.1).await.me_id().await;
    let lob = admin.get("/api/v1/me").await.body["lines_of_business"][0]["id"].clone();
    let r = admin
        .post(
            "/api/v1/admin/ownership/reassign",
            json!({"line_of_business_id": lob, "contact_phone": contact, "user_id": ben}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let owners = |g: &[common::receiver::Got]| -> Vec<Value> {
        g.iter()
            .filter(|x| x.kind() == "ownership.changed")
            .map(|x| x.json()["data"]["user_id"].clone())
            .collect()
    };
    rx.wait(10, "the reassignment", |g| owners(g).len() >= 2)
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(owners(&rx.got()), [json!(ana.me_id().await), json!(ben)]);
    // Released: null.
    let r = admin
        .post(
            "/api/v1/admin/ownership/release",
            json!({"line_of_business_id": lob, "contact_phone": contact}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    rx.wait(10, "the release", |g| owners(g).len() >= 3).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(owners(&rx.got())[2..], [Value::Null]);
}

#[tokio::test]
async fn the_proof_of_consent_holds_every_thread_with_exact_texts() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let contact = "+12025550149";
    let sms = ana.start_conv(contact, "sms").await;
    assert_eq!(ana.request_opt_in(sms).await.status, 200);
    let request_text = ana.phone_received(contact).await[0].clone();
    ana.inbound(contact, ANA_NUMBER, "sms", "YES").await;
    ana.inbound(contact, ANA_NUMBER, "sms", "STOP").await;
    let wa = ana.start_conv(contact, "whatsapp").await;
    assert_eq!(ana.request_opt_in(wa).await.status, 200);
    let id = ana.contact_id(sms).await;

    let r = admin
        .get(&format!("/api/v1/admin/contacts/{id}/consent-proof"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = &r.body;
    assert_eq!(p["contact_phone"], contact);
    assert_eq!(p["organization"], "Acme Home Services");
    let threads = p["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 2, "{p:#}");
    let sms_t = threads.iter().find(|t| t["channel"] == "sms").unwrap();
    assert_eq!(sms_t["business_number"], ANA_NUMBER);
    assert_eq!(sms_t["current_state"], "opted_out");
    let recs = sms_t["records"].as_array().unwrap();
    assert_eq!(recs[0]["request_text"], request_text.as_str());
    let yes = recs.iter().find(|r| r["to_state"] == "accepted").unwrap();
    assert!(yes["evidence"].as_str().unwrap().starts_with("YES"));
    assert_eq!(yes["source"], "simulator");
    assert_eq!(yes["request_text"], request_text.as_str());
    assert!(yes["provider_message_id"].is_string());
    let stop = recs.iter().find(|r| r["to_state"] == "opted_out").unwrap();
    assert!(stop["evidence"].as_str().unwrap().starts_with("STOP"));
    let wa_t = threads.iter().find(|t| t["channel"] == "whatsapp").unwrap();
    assert_eq!(wa_t["current_state"], "pending");
    // Ids in order: the history reads oldest first.
    let ids: Vec<i64> = recs.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    // The same document by the contact's number.
    let by_phone = admin
        .get(&format!(
            "/api/v1/admin/consent-proof?phone=%2B{}",
            &contact[1..]
        ))
        .await;
    assert_eq!(by_phone.status, 200, "{}", by_phone.text);
    assert_eq!(by_phone.body["threads"], p["threads"]);
    let r = admin.get("/api/v1/admin/consent-proof?phone=banana").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "phone");
    let r = admin.get("/api/v1/admin/consent-proof").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "phone");
    let r = admin
        .get("/api/v1/admin/consent-proof?phone=%2B12025550100")
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Agents cannot export it.
    let r = ana
        .get(&format!("/api/v1/admin/contacts/{id}/consent-proof"))
        .await;
    assert_eq!(r.status, 403);
    let r = admin
        .get("/api/v1/admin/contacts/999999/consent-proof")
        .await;
    assert_eq!(r.status, 404);
}
