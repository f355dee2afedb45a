//! Production hardening: login limits, cross-site write checks, security
//! headers and cookies, and who may act in a conversation.

mod common;
use common::*;
use serde_json::json;

async fn login_raw(
    http: &reqwest::Client,
    s: &Server,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut rb = http
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}));
    if let Some(ip) = forwarded_for {
        rb = rb.header("x-forwarded-for", ip);
    }
    rb.send().await.unwrap()
}

#[tokio::test]
async fn hammered_account_gets_429_while_another_logs_in_at_once() {
    let s = Server::start(&["--demo"]);
    let http = reqwest::Client::new();
    let mut limited = None;
    for i in 0..40 {
        let r = login_raw(&http, &s, ANA.0, "wrong-password", None).await;
        match r.status().as_u16() {
            401 => {}
            429 => {
                limited = Some((i, r));
                break;
            }
            other => panic!("attempt {i}: unexpected {other}"),
        }
    }
    let (i, r) = limited.expect("a hammered account is rate-limited");
    assert!(i <= 6, "limited after {i} failures");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_attempts");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("this account"));
    // Even the right password waits: the account is locked.
    let r = login_raw(&http, &s, ANA.0, ANA.1, None).await;
    assert_eq!(r.status(), 429);
    // Keep hammering (refused at once, not counted against the address) …
    for _ in 0..30 {
        let r = login_raw(&http, &s, ANA.0, "wrong-password", None).await;
        assert_eq!(r.status(), 429);
    }
    // … while another account on the same address logs in at once.
    let t = std::time::Instant::now();
    let r = login_raw(&http, &s, BEN.0, BEN.1, None).await;
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_limited_behind_the_proxy() {
    // With --public-url the proxy's X-Forwarded-For names the client.
    let s = Server::start(&["--demo", "--public-url", "http://optline.test"]);
    let http = reqwest::Client::new();
    let mut limited = false;
    for i in 0..40 {
        let email = format!("nobody{i}@acme.example");
        let r = login_raw(&http, &s, &email, "wrong-password", Some("203.0.113.7")).await;
        match r.status().as_u16() {
            401 => {}
            429 => {
                let body: serde_json::Value = r.json().await.unwrap();
                assert!(body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("your network"));
                limited = true;
                break;
            }
            other => panic!("attempt {i}: unexpected {other}"),
        }
    }
    assert!(limited, "an address trying many accounts is limited");
    // Another client behind the same proxy is not.
    let r = login_raw(&http, &s, ANA.0, ANA.1, Some("198.51.100.9")).await;
    assert_eq!(r.status(), 200);
    // Without --public-url the header is not trusted: the socket peer counts.
    let s2 = Server::start(&["--demo"]);
    for i in 0..25 {
        let email = format!("nobody{i}@acme.example");
        let ip = format!("203.0.113.{i}");
        let _ = login_raw(&http, &s2, &email, "wrong-password", Some(&ip)).await;
    }
    let r = login_raw(&http, &s2, ANA.0, ANA.1, Some("198.51.100.9")).await;
    assert_eq!(r.status(), 429, "spoofed X-Forwarded-For is ignored");
}

#[tokio::test]
async fn password_checks_beyond_the_cores_get_an_immediate_503() {
    let s = Server::start(&["--demo", "--public-url", "http://optline.test"]);
    let http = reqwest::Client::new();
    // More than the server admits at once (a hash per core, four waiting
    // per core), all at the same moment.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n = cores * 5 + 60;
    let mut tasks = Vec::new();
    for i in 0..n {
        let http = http.clone();
        let url = s.url("/api/v1/auth/login");
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .header("x-forwarded-for", format!("10.0.{}.{}", i / 200, i % 200))
                .json(&json!({"email": format!("x{i}@acme.example"), "password": "wrong-password"}))
                .send()
                .await
                .unwrap()
        }));
    }
    let mut busy = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status().as_u16() {
            401 => {}
            503 => {
                busy += 1;
                assert_eq!(r.headers()["retry-after"], "1");
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["error"]["code"], "busy");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        busy > 0,
        "{n} concurrent password checks: some are turned away"
    );
    // Once the burst is over, logins work again.
    let r = login_raw(&http, &s, ANA.0, ANA.1, Some("10.9.9.9")).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn cross_site_logout_is_refused_and_the_session_survives() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let cookie = ana.cookie.clone().unwrap();
    let http = reqwest::Client::new();
    let post = |ct: Option<&'static str>,
                origin: Option<&'static str>,
                fetch_site: Option<&'static str>| {
        let mut rb = http
            .post(s.url("/api/v1/auth/logout"))
            .header("cookie", &cookie);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct).body("x");
        }
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        if let Some(f) = fetch_site {
            rb = rb.header("sec-fetch-site", f);
        }
        rb.send()
    };
    // The attack of the issue: a text/plain form post from another site.
    let r = post(Some("text/plain"), Some("https://evil.example"), None)
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "Content-Type");
    // JSON but from another origin.
    let r = post(Some("application/json"), Some("https://evil.example"), None)
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_origin");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("evil.example"));
    // JSON with no origin at all.
    let r = post(Some("application/json"), None, None).await.unwrap();
    assert_eq!(r.status(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "Origin");
    // A cross-site Sec-Fetch-Site does not stand in for Origin.
    let r = post(Some("application/json"), None, Some("cross-site"))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Other writes are checked the same way.
    let conv = ana.start_conv("+12025550160", "sms").await;
    let r = http
        .post(s.url(&format!("/api/v1/conversations/{conv}/opt-in-request")))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The session is still alive after all of that.
    assert_eq!(ana.get("/api/v1/me").await.status, 200);

    // Without the session cookie nothing changes: the handler answers.
    let r = http
        .post(s.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .header("origin", "https://evil.example")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // Provider webhooks are not cookie-authenticated: not checked here.
    let r = http
        .post(s.url("/api/v1/webhooks/twilio/1"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("From=%2B12025550160&Body=STOP")
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 403);

    // Same-origin by Sec-Fetch-Site (no Origin sent), then by Origin: works.
    let r = post(Some("application/json"), None, Some("same-origin"))
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(ana.get("/api/v1/me").await.status, 401);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let r = ana.req("POST", "/api/v1/auth/logout", None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(ana.get("/api/v1/me").await.status, 401);
}

const INLINE: &str = "\nimport init from '/optline-app-0123456789abcdef.js';\nawait init();\n";

fn server_with_inline_script(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("optline.sqlite");
    let static_dir = dir.path().join("dist");
    std::fs::create_dir_all(&static_dir).unwrap();
    std::fs::write(
        static_dir.join("index.html"),
        format!("<!doctype html><html><head><script type=\"module\">{INLINE}</script></head><body></body></html>"),
    )
    .unwrap();
    Server::start_with(dir, db, static_dir, extra)
}

fn sha256_b64(s: &str) -> String {
    use base64::Engine;
    use sha2_010::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2_010::Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn security_headers_on_api_and_app_with_the_inline_script_hash() {
    let s = server_with_inline_script(&["--demo"]);
    let c = Client::new(&s);
    let hash = format!("'sha256-{}'", sha256_b64(INLINE));
    for path in [
        "/",
        "/conversations/3",
        "/api/health",
        "/api/v1/me",
        "/api/nope",
    ] {
        let r = c.get(path).await;
        let h = &r.headers;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' {hash};")),
            "{path}: {csp}"
        );
        for part in [
            "default-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {part} missing in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "plain http");
    }
}

#[tokio::test]
async fn https_public_url_gives_host_prefixed_secure_cookies_and_hsts() {
    let origin = "https://optline.example.com";
    let s = Server::start(&["--demo", "--public-url", origin]);
    let http = reqwest::Client::new();
    let r = login_raw(&http, &s, ANA.0, ANA.1, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.starts_with("__Host-optline_session="), "{set}");
    assert!(set.contains("; Secure") && set.contains("Path=/"), "{set}");
    assert!(!set.contains("Domain"), "{set}");
    let pair = set.split(';').next().unwrap().to_string();
    let token = pair.split_once('=').unwrap().1.to_string();
    let me = |cookie: String| {
        http.get(s.url("/api/v1/me"))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(me(pair.clone()).await.unwrap().status(), 200);
    // The unprefixed name is not read behind https.
    assert_eq!(
        me(format!("optline_session={token}"))
            .await
            .unwrap()
            .status(),
        401
    );
    // Writes must come from the public origin, not the Host.
    let logout = |o: &'static str| {
        http.post(s.url("/api/v1/auth/logout"))
            .header("cookie", &pair)
            .header("content-type", "application/json")
            .header("origin", o)
            .send()
    };
    assert_eq!(logout("http://127.0.0.1").await.unwrap().status(), 403);
    let r = logout(origin).await.unwrap();
    assert_eq!(r.status(), 204);
    let cleared = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("__Host-optline_session=;"), "{cleared}");
    assert!(cleared.contains("Secure"), "{cleared}");
}

#[tokio::test]
async fn only_the_numbers_agent_acts_in_its_conversations() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let conv = ana.start_conv("+12025550161", "sms").await;
    // The admin reads the conversation …
    assert_eq!(
        admin
            .get(&format!("/api/v1/conversations/{conv}"))
            .await
            .status,
        200
    );
    // … but neither requests opt-in nor messages in it.
    for r in [
        admin.request_opt_in(conv).await,
        admin.send(conv, "Hello from the admin").await,
    ] {
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.body["error"]["code"], "not_your_number");
        assert_eq!(
            r.body["error"]["message"],
            "Only the agent whose number this is can message in this conversation. Give yourself a number to message."
        );
    }
    // Nothing happened: the agent still starts from scratch.
    assert_eq!(ana.consent_state(conv).await, "not_requested");
    let msgs = ana
        .get(&format!("/api/v1/conversations/{conv}/messages"))
        .await;
    assert_eq!(
        msgs.body["messages"].as_array().map(Vec::len),
        Some(0),
        "{}",
        msgs.text
    );
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
}
