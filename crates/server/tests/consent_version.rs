//! The consent version (issue 17): every view of a conversation's consent
//! state carries a sequence the server raises on each change, so the
//! browser can keep the newest of an action's answer, a live event and a
//! reload, whatever order they arrive in.

mod common;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// Reads SSE data lines of `event: consent` from a stream until `want`
/// consent events arrived.
async fn consent_events(
    stream: &mut reqwest::Response,
    text: &mut String,
    want: usize,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let events: Vec<Value> = text
            .split("\n\n")
            .filter(|block| block.contains("event: consent"))
            .filter_map(|block| block.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
        if events.len() >= want {
            return events;
        }
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("consent events in time")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

fn version(consent: &Value) -> i64 {
    consent["version"].as_i64().expect("a numeric version")
}

#[tokio::test]
async fn every_view_of_consent_carries_a_growing_version() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let contact = "+12025550177";
    let conv = ana.start_conv(contact, "sms").await;
    let path = format!("/api/v1/conversations/{conv}");
    let fresh = ana.get(&path).await.body;
    let v0 = version(&fresh["conversation"]["consent"]);

    let mut stream = ana
        .http
        .get(s.url("/api/v1/events"))
        .header("cookie", ana.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    while !text.contains("event: ready") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }

    // The request's answer: pending, a newer version than before.
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let pending = &r.body["conversation"]["consent"];
    assert_eq!(pending["state"], "pending");
    let v1 = version(pending);
    assert!(v1 > v0, "the request raised the version ({v0} → {v1})");

    // The contact accepts: the live consent event is newer again, and the
    // message event's summary carries the same version.
    ana.inbound(contact, ANA_NUMBER, "sms", "YES").await;
    let events = consent_events(&mut stream, &mut text, 2).await;
    assert_eq!(events[0]["consent"]["state"], "pending");
    assert_eq!(version(&events[0]["consent"]), v1, "live and answer agree");
    let accepted = &events[1]["consent"];
    assert_eq!(accepted["state"], "accepted");
    let v2 = version(accepted);
    assert!(
        v2 > v1,
        "acceptance is newer than the request ({v1} → {v2})"
    );
    let message_versions: Vec<i64> = text
        .split("\n\n")
        .filter(|b| b.contains("event: message") && b.contains("\"accepted\""))
        .filter_map(|b| b.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .map(|e| version(&e["conversation"]["consent"]))
        .collect();
    assert!(
        message_versions.contains(&v2),
        "{message_versions:?} lack {v2}"
    );

    // A reload and the inbox row show the newest version.
    let now = ana.get(&path).await.body;
    assert_eq!(version(&now["conversation"]["consent"]), v2);
    assert_eq!(now["conversation"]["consent"]["state"], "accepted");
    let list = ana.get("/api/v1/conversations").await.body;
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == conv)
        .unwrap()
        .clone();
    assert_eq!(version(&row["consent"]), v2);
}

#[tokio::test]
async fn versions_are_per_conversation_and_survive_a_restart() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let a = ana.start_conv("+12025550178", "sms").await;
    let b = ana.start_conv("+12025550179", "sms").await;
    assert_eq!(ana.request_opt_in(a).await.status, 200);
    let va = version(
        &ana.get(&format!("/api/v1/conversations/{a}")).await.body["conversation"]["consent"],
    );
    let vb = version(
        &ana.get(&format!("/api/v1/conversations/{b}")).await.body["conversation"]["consent"],
    );
    assert!(
        va > vb,
        "only the conversation that changed moved ({va} vs {vb})"
    );
    // The version is stored, not counted in memory.
    let (dir, db, static_dir) = s.kill();
    let s2 = Server::start_with(dir, db, static_dir, &["--simulator"]);
    let ana = Client::login(&s2, ANA.0, ANA.1).await;
    let again = version(
        &ana.get(&format!("/api/v1/conversations/{a}")).await.body["conversation"]["consent"],
    );
    assert_eq!(again, va);
}
