//! Webhook signing secrets are sealed at rest with OPTLINE_SECRET_KEY (as
//! provider settings are), still sign deliveries, and move to a new key on
//! rotation. (One test per file: the key goes through the environment.)

mod common;
use common::receiver::Receiver;
use common::*;
use serde_json::json;

const KEY_1: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="; // 32 × 0x01
const KEY_2: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="; // 32 × 0x02

fn stored(s: &Server) -> (String, Option<String>) {
    s.sql(|c| {
        c.query_row(
            "SELECT secret, previous_secret FROM webhook_endpoints",
            NO_PARAMS,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    })
}

#[tokio::test]
async fn webhook_secrets_are_sealed_and_move_to_a_new_key() {
    std::env::set_var("OPTLINE_SECRET_KEY", KEY_1);
    let flags = ["--demo", "--allow-private-webhooks"];
    let rx = Receiver::start().await;
    let s = Server::start(&flags);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let r = admin
        .post(
            "/api/v1/admin/webhooks",
            json!({"url": rx.url, "event_types": ["consent.changed"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["endpoint"]["id"].as_i64().unwrap();
    let first = r.body["secret"].as_str().unwrap().to_string();
    let r = admin
        .post(
            &format!("/api/v1/admin/webhooks/{id}/rotate-secret"),
            json!({}),
        )
        .await;
    let second = r.body["secret"].as_str().unwrap().to_string();
    let (cur, prev) = stored(&s);
    assert!(
        cur.starts_with("sealed:v1:") && !cur.contains(&second[6..]),
        "{cur}"
    );
    let prev = prev.unwrap();
    assert!(
        prev.starts_with("sealed:v1:") && !prev.contains(&first[6..]),
        "{prev}"
    );

    // Rotation of the server key: resealed at start, still signing.
    let (dir, db, st) = s.kill();
    std::env::set_var("OPTLINE_SECRET_KEY", KEY_2);
    std::env::set_var("OPTLINE_SECRET_KEY_PREVIOUS", KEY_1);
    let s = Server::start_with(dir, db, st, &flags);
    let (cur2, prev2) = stored(&s);
    assert!(cur2.starts_with("sealed:v1:") && cur2 != cur, "resealed");
    assert!(prev2.is_some_and(|p| p != prev));
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let r = admin
        .post(&format!("/api/v1/admin/webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let got = rx.wait(10, "the test event", |g| !g.is_empty()).await;
    assert!(got[0].verifies_with(&second));
    assert!(got[0].verifies_with(&first), "the previous secret's grace");
    std::env::remove_var("OPTLINE_SECRET_KEY");
    std::env::remove_var("OPTLINE_SECRET_KEY_PREVIOUS");
}
