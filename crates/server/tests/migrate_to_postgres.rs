//! `optline-server migrate-to-postgres`: an installation moves from its
//! SQLite file to PostgreSQL with its data (seen through the API), a
//! target with data is refused untouched, a missing file is refused.
//! Needs PostgreSQL (`OPTLINE_TEST_POSTGRES`); skipped without it unless
//! `OPTLINE_REQUIRE_POSTGRES=1`.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Output};

use optline_server::storage::{postgres_schema, Location};

/// The PostgreSQL server to copy into, or `None` (test skipped).
fn postgres() -> Option<String> {
    let url = postgres_admin_url();
    if url.is_none() {
        assert!(
            std::env::var("OPTLINE_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "OPTLINE_REQUIRE_POSTGRES=1 but OPTLINE_TEST_POSTGRES is not set"
        );
        eprintln!("skipped: set OPTLINE_TEST_POSTGRES");
    }
    url
}

/// A fresh database on the test server, dropped when the test ends
/// (declared before the servers using it, so dropped after them).
struct Database {
    admin: String,
    url: String,
}

impl Database {
    fn new(admin: &str) -> Database {
        Database {
            admin: admin.to_string(),
            url: fresh_postgres_database(admin),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let name = self.url.rsplit('/').next().unwrap_or_default().to_string();
        let admin = self.admin.clone();
        // The blocking client must not run on the test's async runtime.
        let _ = std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls)?;
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        })
        .join();
    }
}

fn migrate(from: &Path, to: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_optline-server"))
        .arg("migrate-to-postgres")
        .arg("--from")
        .arg(from)
        .arg("--to")
        .arg(to)
        .output()
        .expect("run migrate-to-postgres")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A server on the PostgreSQL database `url` (the harness finds it through
/// the marker file beside the path it is given).
fn start_on_postgres(url: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("optline.sqlite");
    std::fs::write(db.with_extension("postgres-url"), url).unwrap();
    let static_dir = dir.path().join("dist");
    std::fs::create_dir_all(&static_dir).unwrap();
    std::fs::write(static_dir.join("index.html"), INDEX_HTML).unwrap();
    let s = Server::start_with(dir, db, static_dir, &["--simulator"]);
    assert_eq!(s.postgres.as_deref(), Some(url), "runs on the copy");
    s
}

/// Row counts of every Optline table at `location`.
fn counts(location: Location) -> Vec<(&'static str, i64)> {
    std::thread::spawn(move || {
        let c = optline_server::storage::Conn::open(&location).unwrap();
        postgres_schema::TABLES
            .iter()
            .map(|t| {
                let n = c
                    .query_row(&format!("SELECT COUNT(*) FROM {t}"), NO_PARAMS, |r| {
                        r.get::<i64>(0)
                    })
                    .unwrap();
                (*t, n)
            })
            .collect()
    })
    .join()
    .unwrap()
}

/// What an admin and an agent see: conversation lists, each
/// conversation with its messages, and the whole audit.
async fn snapshot(s: &Server, convs: &[i64]) -> Vec<serde_json::Value> {
    let admin = Client::login(s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(s, ANA.0, ANA.1).await;
    let mut insights = admin.get("/api/v1/admin/insights").await.body;
    // The default period ends at the answer's time, not stored data.
    for key in ["from", "to"] {
        insights.as_object_mut().unwrap().remove(key);
    }
    let mut seen = vec![
        admin.get("/api/v1/admin/audit?limit=1000").await.body,
        insights,
        admin.get("/api/v1/conversations").await.body,
        ana.get("/api/v1/conversations").await.body,
    ];
    for c in convs {
        let r = ana.get(&format!("/api/v1/conversations/{c}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let mut body = r.body;
        // The server's clock at the answer, not stored data.
        body.as_object_mut().unwrap().remove("now");
        seen.push(body);
    }
    seen
}

/// Where two snapshots first differ (a path and both values), if they do.
fn difference(a: &[serde_json::Value], b: &[serde_json::Value]) -> Option<String> {
    fn walk(path: String, a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
        use serde_json::Value::{Array, Object};
        match (a, b) {
            (Object(x), Object(y)) if x.len() == y.len() => x
                .iter()
                .find_map(|(k, v)| walk(format!("{path}.{k}"), v, y.get(k)?)),
            (Array(x), Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| walk(format!("{path}[{i}]"), v, w)),
            _ if a == b => None,
            _ => Some(format!("{path}: {a} before, {b} after")),
        }
    }
    walk(
        String::new(),
        &serde_json::Value::from(a.to_vec()),
        &serde_json::Value::from(b.to_vec()),
    )
}

#[tokio::test]
async fn an_sqlite_installation_moves_to_postgresql_with_its_data() {
    let Some(admin_url) = postgres() else { return };
    let target = Database::new(&admin_url);
    let url = target.url.clone();
    let before = Server::start_on_sqlite(&["--demo"]);
    let ana = Client::login(&before, ANA.0, ANA.1).await;
    let asked = ana.start_conv("+12025550901", "sms").await;
    assert_eq!(ana.request_opt_in(asked).await.status, 200);
    ana.inbound("+12025550901", ANA_NUMBER, "sms", "YES").await;
    assert_eq!(ana.send(asked, "Thanks, see you at 3").await.status, 200);
    // A contact who wrote first, with text COPY must escape.
    ana.inbound("+12025550902", ANA_NUMBER, "sms", "two\tlines\\\nhere")
        .await;
    let convs: Vec<i64> = ana.get("/api/v1/conversations").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(convs.contains(&asked), "{convs:?}");
    assert!(
        convs.len() >= 3,
        "the demo's, the asked and the written-first one: {convs:?}"
    );
    let seen_before = snapshot(&before, &convs).await;
    let (dir, file, _) = before.kill();

    let out = migrate(&file, &url);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("audit"), "{summary}");
    assert!(summary.contains("verified"), "{summary}");
    assert_eq!(
        counts(Location::Sqlite(file.clone())),
        counts(Location::Postgres(url.clone())),
        "every table copied whole"
    );
    drop(dir);

    let after = start_on_postgres(&url);
    // Sessions came along: the agent's login still works.
    let mut kept = Client::new(&after);
    kept.cookie = ana.cookie.clone();
    assert_eq!(kept.get("/api/v1/me").await.status, 200, "session copied");
    let seen_after = snapshot(&after, &convs).await;
    assert_eq!(
        difference(&seen_before, &seen_after),
        None,
        "the same conversations, messages and audit through the API"
    );
    // New rows get fresh ids: the sequences moved past the copied ones.
    let ana = Client::login(&after, ANA.0, ANA.1).await;
    let fresh = ana.start_conv("+12025550903", "sms").await;
    assert!(convs.iter().all(|c| fresh > *c), "{fresh} after {convs:?}");
    // The insight triggers are on again: a new request is rolled up.
    let requests = |s: &Server| {
        s.sql(|c| {
            c.query_row("SELECT COUNT(*) FROM insight_requests", NO_PARAMS, |r| {
                r.get::<i64>(0)
            })
        })
    };
    let rolled_up = requests(&after);
    assert_eq!(ana.request_opt_in(fresh).await.status, 200);
    assert_eq!(requests(&after), rolled_up + 1, "insight trigger on");
    ana.inbound("+12025550903", ANA_NUMBER, "sms", "YES").await;
    assert_eq!(ana.consent_state(fresh).await, "accepted");
    let admin = Client::login(&after, ADMIN.0, ADMIN.1).await;
    let audit = admin.get("/api/v1/admin/audit?limit=1000").await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let old = seen_before[0]["items"].as_array().map_or(0, Vec::len);
    let new = audit.body["items"].as_array().map_or(0, Vec::len);
    assert_eq!(new, old + 2, "the request and its answer appended");
    // The answer is counted once (today's figures come from the audit).
    let accepted = |ins: &serde_json::Value| ins["funnel"]["accepted"].as_i64().unwrap();
    let insights = admin.get("/api/v1/admin/insights").await;
    assert_eq!(insights.status, 200, "{}", insights.text);
    assert_eq!(accepted(&insights.body), accepted(&seen_before[1]) + 1);
}

#[tokio::test]
async fn a_target_with_rows_is_refused_and_left_as_it_was() {
    let Some(admin_url) = postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("optline.sqlite");
    let out = Command::new(env!("CARGO_BIN_EXE_optline-server"))
        .args([
            "init-org",
            "--name",
            "Acme",
            "--admin-email",
            "a@acme.example",
        ])
        .args(["--admin-password", "acme-password", "--db"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The schema exists (a server started on it once) and one table,
    // not the first, has a row.
    let target = Database::new(&admin_url);
    let url = target.url.clone();
    let at = url.clone();
    std::thread::spawn(move || {
        let mut c = postgres_schema::connect(&at).unwrap();
        postgres_schema::migrate(&mut c).unwrap();
        c.batch_execute(
            "INSERT INTO pending_statuses(provider, provider_message_id, status, received_at)
             VALUES ('twilio', 'SM1', 'delivered', '2026-01-05T15:00:00Z')",
        )
        .unwrap();
    })
    .join()
    .unwrap();
    let target_before = counts(Location::Postgres(url.clone()));

    let out = migrate(&file, &url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("not empty"), "{err}");
    assert!(err.contains("pending_statuses"), "names the table: {err}");
    assert_eq!(
        counts(Location::Postgres(url.clone())),
        target_before,
        "nothing written"
    );

    // An empty schema is fine: the same copy goes through once the row is gone.
    let at = url.clone();
    std::thread::spawn(move || {
        let mut c = postgres_schema::connect(&at).unwrap();
        c.batch_execute("DELETE FROM pending_statuses").unwrap();
    })
    .join()
    .unwrap();
    let out = migrate(&file, &url);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // And a second copy into it is refused (now organizations has rows).
    let out = migrate(&file, &url);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("organizations"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_missing_sqlite_file_is_refused_clearly() {
    let Some(admin_url) = postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.sqlite");
    let target = Database::new(&admin_url);
    let url = target.url.clone();
    let out = migrate(&missing, &url);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no database file at"), "{err}");
    assert!(err.contains("typo.sqlite"), "names the path: {err}");
    assert!(!missing.exists(), "not created");
    assert!(
        schema_version(&url).is_none(),
        "the target was not touched (no schema)"
    );
}

/// The target's schema version, `None` when it has no Optline schema.
fn schema_version(url: &str) -> Option<i64> {
    let url = url.to_string();
    std::thread::spawn(move || {
        let mut c = postgres_schema::connect(&url).unwrap();
        match postgres_schema::version(&mut c).unwrap() {
            0 => None,
            v => Some(v),
        }
    })
    .join()
    .unwrap()
}
