//! Bad input (including a property test of arbitrary bodies at every
//! endpoint), the ownership race, and SIGKILL during load.

mod common;
use common::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use std::sync::Arc;

#[tokio::test]
async fn bad_bodies_get_json_4xx_naming_the_field() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let conv = ana.start_conv("+12025550140", "sms").await;
    let path = format!("/api/v1/conversations/{conv}/messages");

    let r = ana
        .raw(
            "POST",
            &path,
            b"{\"body\": ".to_vec(),
            Some("application/json"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "malformed_json");

    let r = ana.post(&path, json!({"body": 42})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "body");

    let r = ana.post(&path, json!({})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "body");

    let r = ana
        .raw(
            "POST",
            &path,
            b"body=hi".to_vec(),
            Some("application/x-www-form-urlencoded"),
        )
        .await;
    // A logged-in write that is not JSON is refused before the handler.
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "Content-Type");
    // Without the session cookie the handler's own check answers.
    let anon = Client::new(&s);
    let r = anon
        .raw(
            "POST",
            "/api/v1/auth/login",
            b"email=a".to_vec(),
            Some("application/x-www-form-urlencoded"),
        )
        .await;
    assert_eq!(r.status, 415);
    assert!(r.body["error"]["message"].is_string());

    // Too large → 413 JSON.
    let big = json!({"body": "x".repeat(400 * 1024)})
        .to_string()
        .into_bytes();
    let r = ana.raw("POST", &path, big, Some("application/json")).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "body_too_large");

    // Too long a message → 422 naming body.
    let r = ana.post(&path, json!({"body": "x".repeat(5000)})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "body");

    // Invalid phone → 422 naming the field.
    let r = ana
        .post(
            "/api/v1/conversations",
            json!({"phone": "12345", "channel": "sms"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["code"], "invalid_phone");
    assert_eq!(r.body["error"]["field"], "phone");
    let r = ana
        .post(
            "/api/v1/conversations",
            json!({"phone": "+12025550140", "channel": "fax"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "channel");
    let r = ana
        .post(
            "/api/v1/sim/inbound",
            json!({"from": "+12025550140", "to": "+19999999999", "channel": "sms", "body": "x"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "to");
    let r = ana
        .post(
            "/api/v1/sim/inbound",
            json!({"from": "+12025550140", "to": "+12125550199", "channel": "sms", "body": "x"}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"]["field"], "to");

    // Unknown and malformed ids.
    for p in [
        "/api/v1/conversations/999999",
        "/api/v1/conversations/abc",
        "/api/v1/conversations/-1",
        "/api/v1/conversations/99999999999999999999999",
    ] {
        let r = ana.get(p).await;
        assert_eq!(r.status, 404, "{p}: {}", r.text);
        assert!(r.body["error"]["code"].is_string());
    }
    // Bad query parameters.
    let r = ana.get("/api/v1/conversations?limit=abc").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["field"], "limit");
    let r = ana.get("/api/v1/conversations?cursor=garbage").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["field"], "cursor");

    // Hostile strings are stored and returned as data.
    let r = ana
        .post(
            "/api/v1/sim/inbound",
            json!({"from": "+12025550140", "to": ANA_NUMBER, "channel": "sms",
                   "body": "<script>alert(1)</script>'; DROP TABLE messages; --\u{202e}💥"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let d = ana.get(&format!("/api/v1/conversations/{conv}")).await;
    let last = d.body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last["body"].as_str().unwrap().starts_with("<script>"));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("+12025550150"),
            Just(ANA_NUMBER),
            Just("sms"),
            Just("whatsapp"),
            Just("YES"),
            Just("admin")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("body".to_string()),
                        Just("phone".to_string()),
                        Just("channel".to_string()),
                        Just("from".to_string()),
                        Just("to".to_string()),
                        Just("email".to_string()),
                        Just("password".to_string()),
                        Just("flow".to_string()),
                        Just("user_id".to_string()),
                        Just("line_of_business_id".to_string()),
                        Just("contact_phone".to_string()),
                        Just("advance_seconds".to_string()),
                        "[a-z_]{1,12}",
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/conversations"),
    ("POST", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/1"),
    ("GET", "/api/v1/conversations/1/messages"),
    ("POST", "/api/v1/conversations/1/messages"),
    ("POST", "/api/v1/conversations/2/opt-in-request"),
    ("POST", "/api/v1/conversations/1/read"),
    ("POST", "/api/v1/sim/inbound"),
    ("GET", "/api/v1/sim/numbers"),
    ("GET", "/api/v1/sim/phones/%2B12125550141/messages"),
    ("GET", "/api/v1/admin/users"),
    ("POST", "/api/v1/admin/users"),
    ("PATCH", "/api/v1/admin/users/3"),
    ("GET", "/api/v1/admin/numbers"),
    ("PATCH", "/api/v1/admin/numbers/1"),
    ("GET", "/api/v1/admin/flows/1/sms"),
    ("PUT", "/api/v1/admin/flows/1/whatsapp"),
    ("POST", "/api/v1/admin/flows/2/sms/validate"),
    ("GET", "/api/v1/admin/ownership"),
    ("POST", "/api/v1/admin/ownership/reassign"),
    ("POST", "/api/v1/admin/ownership/release"),
    ("GET", "/api/v1/admin/audit"),
    ("GET", "/api/v1/admin/audit.csv"),
    ("POST", "/api/v1/test/clock"),
];

#[tokio::test]
async fn property_arbitrary_bodies_never_5xx() {
    let s = Server::start(&["--demo", "--test-clock"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let anon = Client::new(&s);
    let clients = [admin, ana, anon];
    let mut runner = TestRunner::deterministic();
    let strat = (
        0..ENDPOINTS.len(),
        0..3usize,
        prop_oneof![
            3 => arb_json().prop_map(|v| v.to_string().into_bytes()),
            1 => prop::collection::vec(any::<u8>(), 0..64),
        ],
        prop::option::of("[a-z=&%0-9+]{0,24}"),
    );
    let cases = if std::env::var("OPTLINE_FUZZ_CASES").is_ok() {
        std::env::var("OPTLINE_FUZZ_CASES")
            .unwrap()
            .parse()
            .unwrap_or(600)
    } else {
        600
    };
    for i in 0..cases {
        let (e, who, body, query) = strat.new_tree(&mut runner).unwrap().current();
        let (method, path) = ENDPOINTS[e];
        let path = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        let r = clients[who]
            .raw(method, &path, body.clone(), Some("application/json"))
            .await;
        assert!(
            r.status < 500,
            "case {i}: {method} {path} body {:?} → {} {}",
            String::from_utf8_lossy(&body),
            r.status,
            r.text
        );
        if r.status >= 400 {
            assert!(
                r.body["error"]["code"].is_string(),
                "case {i}: {method} {path} → {} non-JSON error {:?}",
                r.status,
                r.text
            );
        }
    }
    // Still healthy afterwards.
    assert_eq!(Client::new(&s).get("/api/health").await.status, 200);
}

#[tokio::test]
async fn ownership_race_has_exactly_one_winner() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    // Eight more agents in the Sales line of business (id 1).
    let mut agents = vec![
        Client::login(&s, ANA.0, ANA.1).await,
        Client::login(&s, BEN.0, BEN.1).await,
    ];
    for i in 0..8 {
        let email = admin.add_racer(i).await;
        agents.push(Client::login(&s, &email, "racer-password").await);
    }
    for round in 0..3 {
        let contact = format!("+1202555019{round}");
        let mut convs = Vec::new();
        for a in &agents {
            convs.push(a.start_conv(&contact, "whatsapp").await);
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(agents.len() * 2));
        let mut tasks = Vec::new();
        for (a, conv) in agents.iter().zip(&convs) {
            for _ in 0..2 {
                let a = a.clone();
                let conv = *conv;
                let b = barrier.clone();
                tasks.push(tokio::spawn(async move {
                    b.wait().await;
                    let r = a.request_opt_in(conv).await;
                    (
                        r.status,
                        r.body["error"]["code"].as_str().map(str::to_string),
                    )
                }));
            }
        }
        let mut ok = 0;
        for t in tasks {
            let (status, code) = t.await.unwrap();
            match status {
                200 => ok += 1,
                409 => assert!(
                    matches!(
                        code.as_deref(),
                        Some("owned_by_other_user") | Some("resend_too_soon")
                    ),
                    "{code:?}"
                ),
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(ok, 1, "round {round}: exactly one winner");
        let own = admin.get("/api/v1/admin/ownership").await;
        let holders: Vec<_> = own.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["contact_phone"] == contact.as_str())
            .collect();
        assert_eq!(holders.len(), 1);
    }
}

#[tokio::test]
async fn sigkill_during_load_loses_no_acknowledged_message() {
    let s = Server::start(&["--demo"]);
    let base = s.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let acked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..32 {
        let http = http.clone();
        let base = base.clone();
        let acked = acked.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && i < 100_000 {
                let from = format!("+1202555{:04}", 2000 + (w * 37 + i) % 5000);
                let r = http
                    .post(format!("{base}/api/v1/sim/inbound"))
                    .json(&json!({"from": from, "to": ANA_NUMBER, "channel": "sms",
                                  "body": "load"}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break, // killed while answering
                        };
                        let pmid = v["provider_message_id"].as_str().unwrap().to_string();
                        acked.lock().unwrap().push(pmid)
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server is gone
                }
                i += 1;
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (dir, db, st) = s.kill(); // SIGKILL mid-load
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 100, "load ran ({} acked)", acked.len());

    // Restart cleanly on the same file.
    let s2 = Server::start_with(dir, db.clone(), st, &[]);
    assert_eq!(Client::new(&s2).get("/api/health").await.status, 200);
    let stored: std::collections::HashSet<String> = common::sql_at(&db, |c| {
        c.prepare_cached(
            "SELECT provider_message_id FROM messages WHERE provider_message_id LIKE 'sim-%'",
        )?
        .query_map(NO_PARAMS, |r| r.get(0))?
        .collect()
    });
    let missing: Vec<_> = acked.iter().filter(|p| !stored.contains(*p)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged messages lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    eprintln!(
        "sigkill: {} acknowledged, {} stored",
        acked.len(),
        stored.len()
    );
}
