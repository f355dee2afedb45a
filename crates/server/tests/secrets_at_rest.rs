//! Provider secrets are sealed in the database when OPTLINE_SECRET_KEY is
//! set, keep working, and move to a new key on rotation. (One test per
//! file: the key is passed through this process's environment.)

mod common;
use common::*;
use serde_json::json;

const ACCESS_TOKEN: &str = "EAAG-sealed-access-token-93b1";
const KEY_1: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="; // 32 × 0x01
const KEY_2: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="; // 32 × 0x02

fn stored(s: &Server) -> String {
    s.sql(|c| {
        c.query_row(
            "SELECT provider_config FROM numbers WHERE provider = 'whatsapp'",
            NO_PARAMS,
            |r| r.get(0),
        )
    })
}

#[tokio::test]
async fn provider_secrets_are_sealed_and_rotate() {
    std::env::set_var("OPTLINE_SECRET_KEY", KEY_1);
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let r = admin
        .update_number(
            ANA_NUMBER,
            json!({"provider": {
                "kind": "whatsapp", "app_secret": "app-secret-1", "verify_token": "verify-1",
                "access_token": ACCESS_TOKEN, "phone_number_id": "5550001",
                "template_name": "optin_request", "template_language": "en_US"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = stored(&s);
    assert!(v.starts_with("sealed:v1:"), "{v}");
    assert!(!v.contains(ACCESS_TOKEN) && !v.contains("app-secret-1"));
    // Still usable: the verification handshake reads the sealed token.
    let hs = Client::new(&s)
        .get("/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-1&hub.challenge=42")
        .await;
    assert_eq!(hs.status, 200);
    assert_eq!(hs.text, "42");

    // Rotation: the new key, the old one as previous; resealed at start.
    let (dir, db, st) = s.kill();
    std::env::set_var("OPTLINE_SECRET_KEY", KEY_2);
    std::env::set_var("OPTLINE_SECRET_KEY_PREVIOUS", KEY_1);
    let s2 = Server::start_with(dir, db, st, &[]);
    let v2 = stored(&s2);
    assert!(v2.starts_with("sealed:v1:") && v2 != v, "resealed");
    let hs = Client::new(&s2)
        .get("/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-1&hub.challenge=43")
        .await;
    assert_eq!(hs.text, "43");

    // Only the new key now: still opens (it was resealed).
    let (dir, db, st) = s2.kill();
    std::env::remove_var("OPTLINE_SECRET_KEY_PREVIOUS");
    let s3 = Server::start_with(dir, db, st, &[]);
    let hs = Client::new(&s3)
        .get("/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-1&hub.challenge=44")
        .await;
    assert_eq!(hs.text, "44");

    // A malformed key stops the server with a message naming the variable.
    let (dir, db, _st) = s3.kill();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_optline-server"))
        .args(["--port", "0", "--db"])
        .arg(&db)
        .env("OPTLINE_SECRET_KEY", "too-short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPTLINE_SECRET_KEY"));
    drop(dir);
}
