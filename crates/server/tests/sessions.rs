//! Sessions end when they should: live streams close on logout,
//! deactivation and password change; a password change ends the user's
//! other sessions; idle sessions time out; dead sessions are pruned.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

/// Opens the live stream and waits for its `ready` event.
async fn open_stream(s: &Server, c: &Client) -> reqwest::Response {
    let mut stream = c
        .http
        .get(s.url("/api/v1/events"))
        .header("cookie", c.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut text = String::new();
    while !text.contains("event: ready") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .expect("ready in time")
            .unwrap()
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    stream
}

/// Reads until the server ends the stream; fails if it is still open
/// after 5 s.
async fn assert_stream_ends(stream: &mut reqwest::Response) {
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.chunk().await {
                Ok(Some(_)) => continue, // keep-alives, events
                Ok(None) | Err(_) => return,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the live stream is still open after 5 s");
}

#[tokio::test]
async fn live_stream_ends_on_logout() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let other = Client::login(&s, ANA.0, ANA.1).await;
    let mut stream = open_stream(&s, &ana).await;
    let mut other_stream = open_stream(&s, &other).await;
    assert_eq!(
        ana.req("POST", "/api/v1/auth/logout", None).await.status,
        204
    );
    assert_stream_ends(&mut stream).await;
    // Ana's other session (another browser) keeps its stream.
    let still = tokio::time::timeout(Duration::from_millis(500), other_stream.chunk()).await;
    assert!(still.is_err(), "the other session's stream stays open");
    assert_eq!(other.get("/api/v1/me").await.status, 200);
}

#[tokio::test]
async fn live_stream_ends_on_deactivation() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let mut stream = open_stream(&s, &ana).await;
    let id = ana.me_id().await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_stream_ends(&mut stream).await;
    assert_eq!(ana.get("/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn password_change_ends_the_users_other_sessions_and_streams() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let ana2 = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ben = Client::login(&s, BEN.0, BEN.1).await;
    let mut stream = open_stream(&s, &ana).await;
    let id = ana.me_id().await;
    // An admin changes Ana's password: every session of Ana's ends.
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            Some(json!({"password": "a-new-password"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_stream_ends(&mut stream).await;
    assert_eq!(ana.get("/api/v1/me").await.status, 401);
    assert_eq!(ana2.get("/api/v1/me").await.status, 401);
    // Nobody else is logged out.
    assert_eq!(admin.get("/api/v1/me").await.status, 200);
    assert_eq!(ben.get("/api/v1/me").await.status, 200);
    Client::login(&s, ANA.0, "a-new-password").await;

    // Admins changing their own password keep the session they did it in.
    let admin2 = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let mut admin2_stream = open_stream(&s, &admin2).await;
    let mut own_stream = open_stream(&s, &admin).await;
    let me = admin.me_id().await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/users/{me}"),
            Some(json!({"password": "admin-new-password"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_stream_ends(&mut admin2_stream).await;
    assert_eq!(admin2.get("/api/v1/me").await.status, 401);
    assert_eq!(admin.get("/api/v1/me").await.status, 200);
    let still = tokio::time::timeout(Duration::from_millis(500), own_stream.chunk()).await;
    assert!(still.is_err(), "the changing session's stream stays open");
    // A name change ends nothing.
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/users/{me}"),
            Some(json!({"name": "Boss"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(admin.get("/api/v1/me").await.status, 200);
}

fn ago(secs: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(secs))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn last_seen(s: &Server, user_email: &str) -> Vec<String> {
    s.sql(|c| {
        c.prepare_cached(
            "SELECT s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE u.email = ?1 ORDER BY s.created_at",
        )?
        .query_map([user_email], |r| r.get(0))?
        .collect()
    })
}

fn set_last_seen(s: &Server, at: String) {
    s.sql(|c| c.execute("UPDATE sessions SET last_seen_at = ?1", [at]));
}

#[tokio::test]
async fn idle_sessions_time_out_and_use_is_recorded_at_most_once_a_minute() {
    let s = Server::start(&["--demo", "--session-idle-minutes", "2"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let first = last_seen(&s, ANA.0);
    assert_eq!(first.len(), 1);
    // Requests within the minute do not write.
    for _ in 0..3 {
        assert_eq!(ana.get("/api/v1/me").await.status, 200);
    }
    assert_eq!(last_seen(&s, ANA.0), first);
    // Last seen 90 s ago (inside the 2-minute idle limit): still valid, and
    // this request records the use.
    set_last_seen(&s, ago(90));
    assert_eq!(ana.get("/api/v1/me").await.status, 200);
    let touched = last_seen(&s, ANA.0);
    assert!(touched[0] > ago(10), "last_seen_at moved: {touched:?}");
    // Idle for 3 minutes: the session is over although it has not expired.
    set_last_seen(&s, ago(180));
    assert_eq!(ana.get("/api/v1/me").await.status, 401);
    // A fresh login works.
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    assert_eq!(ana.get("/api/v1/me").await.status, 200);
}

#[tokio::test]
async fn expired_and_idle_sessions_are_pruned_at_start() {
    let s = Server::start(&["--demo"]);
    let _ana = Client::login(&s, ANA.0, ANA.1).await;
    let _ben = Client::login(&s, BEN.0, BEN.1).await;
    let cleo = Client::login(&s, CLEO.0, CLEO.1).await;
    let (dir, db_path, static_dir) = s.kill();
    // Ana's expired (12 h), Ben's idle (3 h), Cleo's alive.
    common::sql_at(&db_path, |c| {
        c.execute(
            "UPDATE sessions SET expires_at = ?1 WHERE user_id =
                 (SELECT id FROM users WHERE email = ?2)",
            [ago(60), ANA.0.to_string()],
        )?;
        c.execute(
            "UPDATE sessions SET last_seen_at = ?1 WHERE user_id =
                 (SELECT id FROM users WHERE email = ?2)",
            [ago(3 * 3600), BEN.0.to_string()],
        )
    });
    let s = Server::start_with(dir, db_path, static_dir, &[]);
    let mut left = Vec::new();
    for _ in 0..100 {
        left = s.sql(|c| {
            c.prepare_cached("SELECT u.email FROM sessions s JOIN users u ON u.id = s.user_id")?
                .query_map(NO_PARAMS, |r| r.get::<String>(0))?
                .collect::<StorageResult<Vec<_>>>()
        });
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, [CLEO.0.to_string()]);
    let cleo = Client {
        base: s.base.clone(),
        ..cleo
    };
    assert_eq!(cleo.get("/api/v1/me").await.status, 200);
}

/// The app's session probe (issue 17): always 200, so a visitor's page load
/// logs no error, and it tells a visitor nothing a 401 would not have.
#[tokio::test]
async fn the_session_probe_answers_200_with_or_without_a_session() {
    let s = Server::start(&["--demo"]);
    let visitor = Client::new(&s).get("/api/v1/session").await;
    assert_eq!(visitor.status, 200, "{}", visitor.text);
    assert_eq!(visitor.body, json!({ "me": null }));

    let mut forged = Client::new(&s);
    forged.cookie = Some("optline_session=forged-token".into());
    let r = forged.get("/api/v1/session").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({ "me": null }),
        "a forged cookie looks like none"
    );

    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let r = ana.get("/api/v1/session").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["me"]["user"]["email"], ANA.0);
    assert_eq!(
        r.body["me"],
        ana.get("/api/v1/me").await.body,
        "the same as /me"
    );

    assert_eq!(
        ana.req("POST", "/api/v1/auth/logout", None).await.status,
        204
    );
    let r = ana.get("/api/v1/session").await;
    assert_eq!(r.body, json!({ "me": null }), "gone after logout");
    // /me keeps its 401 for API clients.
    assert_eq!(ana.get("/api/v1/me").await.status, 401);
}
