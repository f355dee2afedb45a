//! Test harness: starts the real `optline-server` binary on a free port with
//! a temporary database and static folder, and talks to it over HTTP.
#![allow(dead_code)]

pub mod receiver;
pub mod standin;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[allow(unused_imports)]
pub use optline_server::storage::sql::NO_PARAMS;
#[allow(unused_imports)]
pub use optline_server::storage::StorageResult;
use optline_server::storage::{Conn, Location};
use serde_json::Value;

pub struct Server {
    pub child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub static_dir: PathBuf,
    /// Everything the server printed before its listening line.
    pub banner: Vec<String>,
    /// Where its stderr goes when started with `start_logged`.
    pub log: Option<PathBuf>,
    /// The PostgreSQL database it runs on, when the suite runs on
    /// PostgreSQL (`OPTLINE_TEST_POSTGRES`); otherwise it runs on `db`.
    pub postgres: Option<String>,
}

/// The PostgreSQL server the suite runs against, as a URL of a database
/// the test user may create databases from (`scripts/test.sh` starts one
/// and sets it); unset, every server runs on its own SQLite file.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("OPTLINE_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Runs `f` on the database a server started with `db` used (also after
/// it was killed), on a thread of its own: the blocking PostgreSQL client
/// must not run on the test's async runtime.
pub fn sql_at<R: Send>(
    db: &std::path::Path,
    f: impl FnOnce(&Conn) -> StorageResult<R> + Send,
) -> R {
    let location = match std::fs::read_to_string(db.with_extension("postgres-url")) {
        Ok(url) => Location::Postgres(url),
        Err(_) => Location::Sqlite(db.to_path_buf()),
    };
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let conn = Conn::open(&location).expect("open the test database");
                f(&conn).expect("test SQL")
            })
            .join()
            .expect("test SQL thread")
    })
}

/// A new, empty PostgreSQL database for one server; its URL.
pub fn fresh_postgres_database(admin: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let (admin_url, create) = (admin.to_string(), name.clone());
    // The blocking client must not run on the test's async runtime.
    std::thread::spawn(move || {
        let mut c =
            postgres::Client::connect(&admin_url, postgres::NoTls).expect("connect to PostgreSQL");
        c.batch_execute(&format!("CREATE DATABASE {create}"))
            .expect("create database");
    })
    .join()
    .unwrap();
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

pub const INDEX_HTML: &str =
    "<!doctype html><html><head><title>Optline</title></head><body><div id=app></div>\
     <script type=module src=/optline-app-0123456789abcdef.js></script></body></html>";

pub fn hashed_js() -> String {
    // Long enough to be worth compressing.
    "console.log('optline');\n".repeat(200)
}

fn with_simulator<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--simulator"];
    v.extend_from_slice(extra);
    v
}

impl Server {
    /// Starts with the simulator on and `extra` arguments (e.g. `--demo`,
    /// `--test-clock`): most tests play contacts through it.
    pub fn start(extra: &[&str]) -> Server {
        Self::start_inner(&with_simulator(extra), false)
    }

    /// Like `start`, with stderr written to `self.log` (to inspect logs).
    pub fn start_logged(extra: &[&str]) -> Server {
        Self::start_inner(&with_simulator(extra), true)
    }

    /// A second server process on `first`'s PostgreSQL database (simulator
    /// on, `extra` arguments), with its own port and static folder.
    pub fn start_peer(first: &Server, extra: &[&str]) -> Server {
        assert!(
            first.postgres.is_some(),
            "peers share a PostgreSQL database"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let static_dir = dir.path().join("dist");
        std::fs::create_dir_all(&static_dir).unwrap();
        std::fs::write(static_dir.join("index.html"), INDEX_HTML).unwrap();
        Self::spawn(
            dir,
            first.db.clone(),
            static_dir,
            &with_simulator(extra),
            Stdio::inherit(),
        )
    }

    /// Starts as in production: no simulator unless `extra` asks for it.
    pub fn start_production(extra: &[&str]) -> Server {
        Self::start_inner(extra, true)
    }

    fn start_inner(extra: &[&str], logged: bool) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("nested/dir/optline.sqlite");
        let static_dir = dir.path().join("dist");
        std::fs::create_dir_all(&static_dir).unwrap();
        std::fs::write(static_dir.join("index.html"), INDEX_HTML).unwrap();
        std::fs::write(
            static_dir.join("optline-app-0123456789abcdef.js"),
            hashed_js(),
        )
        .unwrap();
        if logged {
            let log = dir.path().join("server.log");
            let f = std::fs::File::create(&log).unwrap();
            let mut s = Self::spawn(dir, db, static_dir, extra, Stdio::from(f));
            s.log = Some(log);
            return s;
        }
        Self::start_with(dir, db, static_dir, extra)
    }

    pub fn start_with(
        dir: tempfile::TempDir,
        db: PathBuf,
        static_dir: PathBuf,
        extra: &[&str],
    ) -> Server {
        Self::spawn(dir, db, static_dir, extra, Stdio::inherit())
    }

    /// A server on an SQLite file whatever backend the suite runs on
    /// (simulator on, `extra` arguments).
    pub fn start_on_sqlite(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("optline.sqlite");
        let static_dir = dir.path().join("dist");
        std::fs::create_dir_all(&static_dir).unwrap();
        std::fs::write(static_dir.join("index.html"), INDEX_HTML).unwrap();
        Self::spawn_on(
            dir,
            db,
            static_dir,
            &with_simulator(extra),
            Stdio::inherit(),
            None,
        )
    }

    fn spawn(
        dir: tempfile::TempDir,
        db: PathBuf,
        static_dir: PathBuf,
        extra: &[&str],
        stderr: Stdio,
    ) -> Server {
        let admin = postgres_admin_url();
        Self::spawn_on(dir, db, static_dir, extra, stderr, admin.as_deref())
    }

    /// Starts the binary on `db`, or on PostgreSQL when `postgres_admin`
    /// is given.
    fn spawn_on(
        dir: tempfile::TempDir,
        db: PathBuf,
        static_dir: PathBuf,
        extra: &[&str],
        stderr: Stdio,
        postgres_admin: Option<&str>,
    ) -> Server {
        // On PostgreSQL, a restarted server (same `db` path) finds its
        // database again: the URL is kept in a file beside the path.
        let postgres = postgres_admin.map(|admin| {
            let marker = db.with_extension("postgres-url");
            match std::fs::read_to_string(&marker) {
                Ok(url) => url,
                Err(_) => {
                    let url = fresh_postgres_database(admin);
                    if let Some(parent) = marker.parent() {
                        std::fs::create_dir_all(parent).unwrap();
                    }
                    std::fs::write(&marker, &url).unwrap();
                    url
                }
            }
        });
        let db_arg = match &postgres {
            Some(url) => std::ffi::OsString::from(url),
            None => db.clone().into_os_string(),
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_optline-server"))
            .arg("--port")
            .arg("0")
            .arg("--db")
            .arg(&db_arg)
            .arg("--static-dir")
            .arg(&static_dir)
            .args(extra)
            .env_remove("OPTLINE_PORT")
            .env_remove("OPTLINE_BIND")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn optline-server");
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut banner = Vec::new();
        let base = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("read stdout");
            assert!(n > 0, "server exited before listening; output: {banner:?}");
            let line = line.trim_end().to_string();
            if let Some(url) = line.strip_prefix("Optline listening on ") {
                break url.to_string();
            }
            banner.push(line);
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        Server {
            child,
            base,
            dir,
            db,
            static_dir,
            banner,
            log: None,
            postgres,
        }
    }

    /// The `--db` this server runs on (file path or PostgreSQL URL), for
    /// the server's own subcommands run beside it.
    pub fn db_arg(&self) -> std::ffi::OsString {
        match &self.postgres {
            Some(url) => url.into(),
            None => self.db.clone().into_os_string(),
        }
    }

    /// Runs `f` on a connection of this server's database, whichever
    /// backend it is (tests that look at or age stored rows).
    pub fn sql<R: Send>(&self, f: impl FnOnce(&Conn) -> StorageResult<R> + Send) -> R {
        sql_at(&self.db, f)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Stops the process with SIGKILL and hands back its files.
    pub fn kill(mut self) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (dir, self.db.clone(), self.static_dir.clone())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_write(m: &reqwest::Method) -> bool {
    !matches!(
        *m,
        reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::OPTIONS
    )
}

/// A client with its own cookie (session).
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
    /// The `Origin` of its logged-in writes: `base` unless the server has a
    /// `--public-url` (the browser's origin is then the public one).
    pub origin: Option<String>,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: server.base.clone(),
            cookie: None,
            origin: None,
        }
    }

    pub async fn req(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let write = is_write(&m);
        let mut rb = self.http.request(m, format!("{}{}", self.base, path));
        if let Some(c) = &self.cookie {
            rb = rb.header("cookie", c);
            // As a browser: logged-in writes carry the page's origin and are
            // JSON even without a body (the server refuses them otherwise).
            if write {
                rb = rb.header("origin", self.origin.as_ref().unwrap_or(&self.base));
            }
        }
        match body {
            Some(b) => rb = rb.json(&b),
            None if write && self.cookie.is_some() => {
                rb = rb.header("content-type", "application/json")
            }
            None => {}
        }
        let r = rb.send().await.expect("request");
        Self::resp(r).await
    }

    pub async fn raw(&self, method: &str, path: &str, body: Vec<u8>, ct: Option<&str>) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let m2 = m.clone();
        let mut rb = self
            .http
            .request(m, format!("{}{}", self.base, path))
            .body(body);
        if let Some(c) = &self.cookie {
            rb = rb.header("cookie", c);
            if is_write(&m2) {
                rb = rb.header("origin", self.origin.as_ref().unwrap_or(&self.base));
            }
        }
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        let r = rb.send().await.expect("request");
        Self::resp(r).await
    }

    async fn resp(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    /// Writes as a page served from `origin` (a server's `--public-url`).
    pub fn with_origin(mut self, origin: &str) -> Client {
        self.origin = Some(origin.to_string());
        self
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.req("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.req("POST", path, Some(body)).await
    }

    /// Logs in and keeps the session cookie.
    /// Opens this client's live event stream and reads its `ready` line.
    pub async fn open_events(&self) -> reqwest::Response {
        let mut stream = self
            .http
            .get(format!("{}/api/v1/events", self.base))
            .header("cookie", self.cookie.clone().expect("logged in"))
            .send()
            .await
            .unwrap();
        let first = stream.chunk().await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains("ready"));
        stream
    }

    pub async fn login(server: &Server, email: &str, password: &str) -> Client {
        let mut c = Client::new(server);
        let r = c
            .post(
                "/api/v1/auth/login",
                serde_json::json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "login {email}: {}", r.text);
        let cookie = r
            .headers
            .get("set-cookie")
            .expect("set-cookie")
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        c.cookie = Some(cookie);
        c
    }
}

pub const ADMIN: (&str, &str) = ("admin@acme.example", "optline-admin");
pub const ANA: (&str, &str) = ("ana@acme.example", "optline-agent");
pub const BEN: (&str, &str) = ("ben@acme.example", "optline-agent");
pub const CLEO: (&str, &str) = ("cleo@acme.example", "optline-agent");
pub const ANA_NUMBER: &str = "+14155550101";
pub const BEN_NUMBER: &str = "+14155550102";
pub const CLEO_NUMBER: &str = "+14155550103";

/// An IANA zone where it is about noon now (so quiet hours never interfere).
pub fn noon_zone() -> String {
    use chrono::Timelike;
    let h = chrono::Utc::now().hour() as i32;
    let mut off = 12 - h; // local = utc + off
    if off > 12 {
        off -= 24;
    }
    if off < -11 {
        off += 24;
    }
    // Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
    if off == 0 {
        "Etc/GMT".into()
    } else if off > 0 {
        format!("Etc/GMT-{off}")
    } else {
        format!("Etc/GMT+{}", -off)
    }
}

impl Client {
    /// The id of the business number `phone` (admin only).
    pub async fn number_id(&self, phone: &str) -> i64 {
        let r = self.get("/api/v1/admin/numbers").await;
        r.body["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["phone"] == phone)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// As an admin: changes the business number `phone` (`PATCH` with
    /// `body`, e.g. `{"provider": {…}}`); the caller checks the answer.
    pub async fn update_number(&self, phone: &str, body: Value) -> Resp {
        let id = self.number_id(phone).await;
        self.req("PATCH", &format!("/api/v1/admin/numbers/{id}"), Some(body))
            .await
    }

    /// As an admin: adds agent "Racer `i`" (`racer{i}@acme.example`, password
    /// `racer-password`) to the Sales line of business with a number of
    /// their own; returns the e-mail.
    pub async fn add_racer(&self, i: usize) -> String {
        let email = format!("racer{i}@acme.example");
        let r = self
            .post(
                "/api/v1/admin/users",
                serde_json::json!({"email": email, "name": format!("Racer {i}"),
                    "password": "racer-password", "role": "agent", "line_of_business_id": 1,
                    "phone": format!("+1415555018{i}")}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        email
    }

    /// Waits (up to 5 s) until message `msg` of `conv` has delivery status
    /// `want`; returns the message.
    pub async fn wait_status(&self, conv: i64, msg: i64, want: &str) -> Value {
        for _ in 0..200 {
            let d = self
                .get(&format!("/api/v1/conversations/{conv}"))
                .await
                .body;
            if let Some(m) = d["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == msg)
            {
                if m["status"] == want {
                    return m.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("message {msg} never reached {want}");
    }

    /// Starts a conversation (contact at local noon); returns its id.
    /// Starts a conversation; a new contact is placed where it is noon, so
    /// quiet hours never get in a test's way (an existing contact keeps its
    /// zone: only an admin changes it).
    pub async fn start_conv(&self, phone: &str, channel: &str) -> i64 {
        let mut r = self
            .post(
                "/api/v1/conversations",
                serde_json::json!({"phone": phone, "channel": channel, "time_zone": noon_zone()}),
            )
            .await;
        if r.status == 409 && r.body["error"]["code"] == "time_zone_already_set" {
            r = self.start_conv_in_own_zone(phone, channel).await;
        }
        assert_eq!(r.status, 201, "start conversation: {}", r.text);
        r.body["id"].as_i64().unwrap()
    }

    /// The contact id of conversation `conv`.
    pub async fn contact_id(&self, conv: i64) -> i64 {
        let r = self.get(&format!("/api/v1/conversations/{conv}")).await;
        r.body["conversation"]["contact"]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("conversation {conv}: {}", r.text))
    }

    /// Admin only: moves a contact to where it is noon now (an audited
    /// admin change), for contacts that wrote first and so got their
    /// number's zone.
    pub async fn move_contact_to_noon(&self, contact_id: i64) {
        let r = self
            .req(
                "PUT",
                &format!("/api/v1/admin/contacts/{contact_id}/time-zone"),
                Some(serde_json::json!({"time_zone": noon_zone(), "note": "test: daytime"})),
            )
            .await;
        assert_eq!(r.status, 200, "move contact to noon: {}", r.text);
    }

    /// Starts a conversation with no zone given: the contact's zone comes
    /// from its number.
    pub async fn start_conv_in_own_zone(&self, phone: &str, channel: &str) -> Resp {
        self.post(
            "/api/v1/conversations",
            serde_json::json!({"phone": phone, "channel": channel}),
        )
        .await
    }

    pub async fn request_opt_in(&self, conv: i64) -> Resp {
        self.req(
            "POST",
            &format!("/api/v1/conversations/{conv}/opt-in-request"),
            None,
        )
        .await
    }

    pub async fn send(&self, conv: i64, body: &str) -> Resp {
        self.post(
            &format!("/api/v1/conversations/{conv}/messages"),
            serde_json::json!({ "body": body }),
        )
        .await
    }

    pub async fn inbound(&self, from: &str, to: &str, channel: &str, body: &str) -> Resp {
        let r = self
            .post(
                "/api/v1/sim/inbound",
                serde_json::json!({"from": from, "to": to, "channel": channel, "body": body}),
            )
            .await;
        assert_eq!(r.status, 200, "inbound: {}", r.text);
        r
    }

    /// Bodies the simulated phone received (outbound from the business).
    pub async fn phone_received(&self, phone: &str) -> Vec<String> {
        let r = self
            .get(&format!("/api/v1/sim/phones/{phone}/messages"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "outbound")
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn consent_state(&self, conv: i64) -> String {
        let r = self.get(&format!("/api/v1/conversations/{conv}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["conversation"]["consent"]["state"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The logged-in user's id.
    pub async fn me_id(&self) -> i64 {
        self.get("/api/v1/me").await.body["user"]["id"]
            .as_i64()
            .unwrap()
    }
}
