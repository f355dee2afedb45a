//! Production is the default: the simulator, the demo and the test clock
//! are switched on by their own flags, refused on a reachable address, and
//! the simulator never touches a number carried by a real provider.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn without_simulator_flag_there_is_no_simulator() {
    let s = Server::start_production(&["--demo"]);
    let c = Client::new(&s);
    let r = c
        .post(
            "/api/v1/sim/inbound",
            json!({"from": "+12025550131", "to": ANA_NUMBER, "channel": "sms", "body": "YES"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "no_such_endpoint");
    assert_eq!(c.get("/api/v1/sim/numbers").await.status, 404);
    assert_eq!(
        c.get("/api/v1/sim/phones/+12025550131/messages")
            .await
            .status,
        404
    );
    // The rest of the API is there.
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    assert_eq!(admin.get("/api/v1/me").await.status, 200);
}

#[test]
fn demo_flags_are_refused_on_a_public_address() {
    for flag in ["--demo", "--simulator", "--test-clock"] {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_optline-server"))
            .args(["--bind", "0.0.0.0", "--port", "0", flag, "--db"])
            .arg(dir.path().join("x.sqlite"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "names the flag: {err}");
        assert!(
            err.contains("--allow-public-demo"),
            "names the way out: {err}"
        );
        assert!(
            !dir.path().join("x.sqlite").exists(),
            "refused before touching the database"
        );
    }
}

#[test]
fn an_unreachable_postgresql_is_a_clear_error_without_its_password() {
    // Nothing listens on port 1 of the loopback.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_optline-server"))
        .args([
            "--port",
            "0",
            "--db",
            "postgres://optline:s3cret-pw@127.0.0.1:1/optline",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "could not connect to PostgreSQL at postgres://optline:***@127.0.0.1:1/optline"
        ),
        "names the database: {err}"
    );
    assert!(
        !err.contains("s3cret-pw"),
        "never prints the password: {err}"
    );
}

#[tokio::test]
async fn the_simulator_never_touches_a_real_provider_number() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let r = admin
        .update_number(
            ANA_NUMBER,
            json!({"provider": {"kind": "twilio", "account_sid": "AC0123456789",
                "auth_token": "secret-token", "from": ANA_NUMBER}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = Client::new(&s);
    // Not listed, not writable: an SMS "YES" here would be a forged consent
    // and its confirmation would go out through the tenant's Twilio account.
    let dir = c.get("/api/v1/sim/numbers").await;
    assert!(
        !dir.text.contains(ANA_NUMBER),
        "a Twilio number is not offered: {}",
        dir.text
    );
    assert!(dir.text.contains(BEN_NUMBER), "{}", dir.text);
    let r = c
        .post(
            "/api/v1/sim/inbound",
            json!({"from": "+12025550132", "to": ANA_NUMBER, "channel": "sms", "body": "YES"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "to");
    let n: i64 = s.sql(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM contacts WHERE e164 = '+12025550132'",
            NO_PARAMS,
            |r| r.get(0),
        )
    });
    assert_eq!(n, 0, "nothing stored");
}

#[tokio::test]
async fn internal_errors_show_a_request_id_not_internals() {
    let s = Server::start_logged(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let conv = ana.start_conv("+12025550133", "sms").await;
    // A stored consent state the engine cannot read: the server refuses to
    // guess, and must not leak what it found.
    s.sql(|c| {
        c.execute(
            "UPDATE conversations SET thread = '{\"consent\":{\"state\":\"maybe\"}}' WHERE id = ?1",
            [conv],
        )
    });
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "internal");
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        !msg.contains("maybe") && !msg.contains("unreadable"),
        "{msg}"
    );
    let id = msg
        .rsplit("request id ")
        .next()
        .unwrap()
        .trim_end_matches('.')
        .to_string();
    assert_eq!(id.len(), 12, "{msg}");
    let log = std::fs::read_to_string(s.log.as_ref().unwrap()).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(&id) && l.contains("unreadable")),
        "the log has the details under the same id:\n{log}"
    );
    assert!(
        !log.contains("12025550133"),
        "no contact number in the log:\n{log}"
    );
    // Nothing was stored: the thread is unchanged and no request went out.
    assert_eq!(
        ana.get(&format!("/api/v1/conversations/{conv}"))
            .await
            .status,
        200
    );
}
