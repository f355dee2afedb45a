//! The foundation contract, checked on the real binary: listening line,
//! health, the SPA with history fallback, cache headers, compression, the
//! database file created on first start, JSON 404s under /api.

mod common;
use common::*;

#[tokio::test]
async fn serves_app_and_health() {
    let s = Server::start(&[]);
    assert!(s.base.starts_with("http://127.0.0.1:"));
    assert!(!s.base.ends_with(":0"));
    assert!(
        s.postgres.is_some() || s.db.exists(),
        "database file created with its parent folders"
    );
    let c = Client::new(&s);

    let h = c.get("/api/health").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.body["status"], "ok");
    assert!(h.body["version"].is_string());
    assert!(h.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));

    let index = c.get("/").await;
    assert_eq!(index.status, 200);
    assert_eq!(index.text, INDEX_HTML);
    assert_eq!(index.headers["cache-control"], "no-cache");

    // History-API fallback: a deep link gets index.html.
    let deep = c.get("/conversations/42").await;
    assert_eq!(deep.status, 200);
    assert_eq!(deep.text, INDEX_HTML);

    // A missing file is a 404, not the app's HTML under a 200.
    let missing = c.get("/missing-logo.png").await;
    assert_eq!(missing.status, 404);

    // Hashed asset: long cache.
    let js = c.get("/optline-app-0123456789abcdef.js").await;
    assert_eq!(js.status, 200);
    assert_eq!(js.text, hashed_js());
    assert_eq!(
        js.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );

    // Unknown API path: JSON 404, not the SPA.
    let nf = c.get("/api/v1/nope").await;
    assert_eq!(nf.status, 404);
    assert_eq!(nf.body["error"]["code"], "no_such_endpoint");
}

#[tokio::test]
async fn compresses_with_gzip_and_brotli() {
    let s = Server::start(&[]);
    let http = reqwest::Client::new();
    for enc in ["gzip", "br"] {
        let r = http
            .get(s.url("/optline-app-0123456789abcdef.js"))
            .header("accept-encoding", enc)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-encoding"], enc);
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.len() < hashed_js().len() / 4, "{enc} compressed");
    }
}

#[tokio::test]
async fn restarts_on_the_same_file() {
    let s = Server::start(&[]);
    let (dir, db, st) = s.kill();
    let s2 = Server::start_with(dir, db, st, &[]);
    let h = Client::new(&s2).get("/api/health").await;
    assert_eq!(h.status, 200);
}

#[tokio::test]
async fn sigterm_shuts_down_even_with_open_event_streams() {
    let mut s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let mut stream = ana
        .http
        .get(s.url("/api/v1/events"))
        .header("cookie", ana.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("ready"));
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(s.child.id() as i32, libc::SIGTERM);
    }
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(4),
            "still running after SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}
