//! Accounts, roles and tenant isolation, sessions, live events, OpenAPI.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

fn init_org(s: &Server, name: &str, email: &str, password: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_optline-server"))
        .args(["init-org", "--name", name, "--admin-email", email])
        .arg("--admin-password")
        .arg(password)
        .arg("--db")
        .arg(s.db_arg())
        .output()
        .unwrap()
}

#[tokio::test]
async fn login_logout_me_and_cookie_flags() {
    let s = Server::start(&["--demo"]);
    assert!(
        s.banner
            .iter()
            .any(|l| l.contains(ANA.0) && l.contains(ANA.1)),
        "demo logins printed: {:?}",
        s.banner
    );
    let anon = Client::new(&s);
    let r = anon.get("/api/v1/me").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"]["code"], "unauthenticated");

    let bad = anon
        .post(
            "/api/v1/auth/login",
            json!({"email": ANA.0, "password": "wrong-password"}),
        )
        .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body["error"]["code"], "invalid_credentials");

    let r = anon
        .post(
            "/api/v1/auth/login",
            json!({"email": "ANA@acme.example ", "password": ANA.1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "plain http on loopback");
    assert_eq!(r.body["user"]["role"], "agent");
    assert_eq!(r.body["user"]["number"]["phone"], ANA_NUMBER);

    let ana = Client::login(&s, ANA.0, ANA.1).await;
    assert_eq!(ana.get("/api/v1/me").await.status, 200);
    let out = ana.req("POST", "/api/v1/auth/logout", None).await;
    assert_eq!(out.status, 204);
    assert_eq!(ana.get("/api/v1/me").await.status, 401, "session gone");
}

#[tokio::test]
async fn agents_see_only_their_conversations_and_no_admin_api() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let ben = Client::login(&s, BEN.0, BEN.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let conv = ana.start_conv("+12025550130", "sms").await;
    assert_eq!(
        ben.get(&format!("/api/v1/conversations/{conv}"))
            .await
            .status,
        404
    );
    assert_eq!(ben.request_opt_in(conv).await.status, 404);
    assert_eq!(ben.send(conv, "x").await.status, 404);
    let list = ben.get("/api/v1/conversations?limit=200").await;
    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["business_number"] == BEN_NUMBER));
    // The admin sees the organization.
    assert_eq!(
        admin
            .get(&format!("/api/v1/conversations/{conv}"))
            .await
            .status,
        200
    );
    for path in [
        "/api/v1/admin/users",
        "/api/v1/admin/numbers",
        "/api/v1/admin/audit",
        "/api/v1/admin/ownership",
        "/api/v1/admin/flows/1/sms",
    ] {
        let r = ana.get(path).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.body["error"]["code"], "forbidden");
    }
}

#[tokio::test]
async fn tenants_are_isolated_with_404() {
    let s = Server::start(&["--demo"]);
    let out = init_org(&s, "Other Corp", "boss@other.example", "other-password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Same e-mail twice is refused.
    let again = init_org(&s, "Other Corp", "boss@other.example", "other-password");
    assert!(!again.status.success());

    let boss = Client::login(&s, "boss@other.example", "other-password").await;
    let me = boss.get("/api/v1/me").await;
    assert_eq!(me.body["organization"]["name"], "Other Corp");
    let lob = me.body["lines_of_business"][0]["id"].as_i64().unwrap();
    // The new admin creates an agent with a number.
    let r = boss
        .post(
            "/api/v1/admin/users",
            json!({"email": "zed@other.example", "name": "Zed", "password": "zed-password",
                   "role": "agent", "line_of_business_id": lob, "phone": "+13125550150"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let zed = Client::login(&s, "zed@other.example", "zed-password").await;

    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let conv = ana.start_conv("+12025550131", "sms").await;
    for c in [&boss, &zed] {
        assert_eq!(
            c.get(&format!("/api/v1/conversations/{conv}")).await.status,
            404
        );
        assert_eq!(c.request_opt_in(conv).await.status, 404);
    }
    // Other org's numbers, users, flows, line of business: 404.
    let nums = admin.get("/api/v1/admin/numbers").await;
    let acme_num = nums.body["numbers"][0]["id"].as_i64().unwrap();
    let r = boss
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{acme_num}"),
            Some(json!({"whatsapp_enabled": false})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = boss
        .req(
            "PATCH",
            "/api/v1/admin/users/2",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(boss.get("/api/v1/admin/flows/1/sms").await.status, 404);
    let users = boss.get("/api/v1/admin/users").await;
    assert_eq!(users.body["users"].as_array().unwrap().len(), 2);
    // The other org's audit holds none of Acme's records.
    let audit = boss.get("/api/v1/admin/audit").await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 0);
    // Nor can the other org's admin move Acme's contacts' quiet hours.
    let r = boss
        .req(
            "PUT",
            "/api/v1/admin/contacts/1/time-zone",
            Some(json!({"time_zone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Zed talks to the same phone independently.
    let zc = zed.start_conv("+12025550131", "sms").await;
    assert_eq!(zed.request_opt_in(zc).await.status, 200);
}

#[tokio::test]
async fn admin_manages_users_and_deactivation_ends_sessions() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let r = admin
        .post(
            "/api/v1/admin/users",
            json!({"email": "dan@acme.example", "name": "Dan", "password": "short", "role": "agent", "phone": "+14155550109"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "password");
    let r = admin
        .post(
            "/api/v1/admin/users",
            json!({"email": "dan@acme.example", "name": "Dan", "password": "dan-password", "role": "agent", "phone": "not a phone"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["field"], "phone");
    let r = admin
        .post(
            "/api/v1/admin/users",
            json!({"email": "dan@acme.example", "name": "Dan", "password": "dan-password", "role": "agent", "phone": ANA_NUMBER}),
        )
        .await;
    assert_eq!(r.status, 409, "number taken: {}", r.text);
    let r = admin
        .post(
            "/api/v1/admin/users",
            json!({"email": "dan@acme.example", "name": "Dan", "password": "dan-password", "role": "agent", "phone": "+1 415 555 0109"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["number"]["phone"], "+14155550109");
    let id = r.body["id"].as_i64().unwrap();
    let dan = Client::login(&s, "dan@acme.example", "dan-password").await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(dan.get("/api/v1/me").await.status, 401);
}

#[tokio::test]
async fn live_events_reach_the_agent() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let conv = ana.start_conv("+12025550132", "sms").await;
    let mut stream = ana
        .http
        .get(s.url("/api/v1/events"))
        .header("cookie", ana.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    // Another agent's stream gets nothing of Ana's.
    let ben = Client::login(&s, BEN.0, BEN.1).await;
    let mut ben_stream = ben
        .http
        .get(s.url("/api/v1/events"))
        .header("cookie", ben.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();

    let mut text = String::new();
    // Wait for the ready event before acting.
    while !text.contains("event: ready") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    ana.inbound("+12025550132", ANA_NUMBER, "sms", "YES").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !(text.contains("event: consent")
        && text.contains("\"state\":\"accepted\"")
        && text.contains("event: status"))
    {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: message"));
    assert!(text.contains("\"kind\":\"contact\""));
    assert!(
        text.contains("\"status\":\"delivered\""),
        "delivery reported"
    );

    let mut btext = String::new();
    while let Ok(Ok(Some(chunk))) =
        tokio::time::timeout(Duration::from_millis(300), ben_stream.chunk()).await
    {
        btext.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(!btext.contains("event: message"), "{btext}");
}

#[tokio::test]
async fn openapi_document_is_served() {
    let s = Server::start(&[]);
    let r = Client::new(&s).get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3."));
    assert!(r.body["paths"]["/api/v1/sim/inbound"]["post"].is_object());
    assert!(r.body["components"]["schemas"]["ConversationSummary"].is_object());
}

#[tokio::test]
async fn conversation_list_pages_and_searches() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    for i in 0..7 {
        ana.inbound(
            &format!("+1202555016{i}"),
            ANA_NUMBER,
            "sms",
            &format!("note {i} kiwi"),
        )
        .await;
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/conversations?limit=3&cursor={}", urlenc(c)),
            None => "/api/v1/conversations?limit=3".to_string(),
        };
        let r = ana.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        for it in r.body["items"].as_array().unwrap() {
            assert!(seen.insert(it["id"].as_i64().unwrap()), "no duplicates");
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9, "7 new + 2 seeded");
    let r = ana.get("/api/v1/conversations?q=kiwi").await;
    assert_eq!(r.body["total"], 7);
    let r = ana.get("/api/v1/conversations?q=Maria").await;
    assert_eq!(r.body["total"], 1);
    let r = ana.get("/api/v1/conversations?state=accepted").await;
    assert_eq!(r.body["total"], 1);
    let r = ana.get("/api/v1/conversations?channel=whatsapp").await;
    assert_eq!(r.body["total"], 1);
    let r = ana.get("/api/v1/conversations?q=%25").await;
    assert_eq!(r.body["total"], 0, "LIKE wildcards are escaped");
    // Mark read.
    let id = ana.get("/api/v1/conversations?q=kiwi").await.body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = ana
        .req("POST", &format!("/api/v1/conversations/{id}/read"), None)
        .await;
    assert_eq!(r.status, 204);
    let d = ana.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(d.body["conversation"]["unread"], 0);
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
