//! Load generator for the inbound path (HTTP → engine → SQLite → SSE fan-out).
//!
//! Build the release server and run:
//!
//! ```text
//! cargo build --release -p optline-server --examples
//! target/release/examples/loadgen [--seconds 10] [--workers 64] [--streams 200]
//!                                 [--conversations 10000] [--bin target/release/optline-server]
//!                                 [--mode sim|whatsapp] [--webhooks N]
//!                                 [--db sqlite|postgres://user@host/db] [--servers N]
//! ```
//!
//! `--db postgres://…` runs the server on PostgreSQL: a fresh database is
//! created on that PostgreSQL server for the run (the URL names one the
//! user may create databases from) and dropped after it. `--servers N`
//! (PostgreSQL only) starts N server processes on that one database, each
//! on its own port; the first seeds the demo, the others start once it
//! listens. Requests and event streams are spread round-robin over them;
//! server CPU is summed over all of them, and the PostgreSQL server's own
//! CPU (its processes' utime + stime in /proc, when it runs on this
//! machine) is reported per message beside it.
//!
//! `--webhooks N` registers N outgoing webhook endpoints (every event type)
//! pointing at a receiver inside this process before the run, and reports
//! how many events were delivered during the run and how long the outbox
//! took to drain after it.
//!
//! `--mode whatsapp` configures every load number as a WhatsApp Cloud API
//! number (one app secret, like one Meta app) and sends signed webhook
//! notifications to `/api/v1/webhooks/whatsapp` instead of simulator
//! messages: signature checking and de-duplication on (one request in ten
//! re-delivers an earlier message id, as Meta's retries do). Outbound
//! replies go to a stand-in Cloud API inside this process.
//!
//! It starts the server on a free loopback port with a fresh temporary
//! database (`--demo`), creates one agent (with a business number) per event
//! stream, opens the streams, warms up one conversation per contact, then
//! sends inbound simulator messages from `--workers` concurrent connections
//! for `--seconds` and prints throughput, latency percentiles, events
//! received, and the server's resident memory. Every request loop is bounded
//! and only talks to 127.0.0.1.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

struct Args {
    seconds: u64,
    workers: usize,
    streams: usize,
    conversations: usize,
    bin: std::path::PathBuf,
    whatsapp: bool,
    webhooks: usize,
    /// `None`: a temporary SQLite file; otherwise the PostgreSQL server's URL.
    postgres: Option<String>,
    servers: usize,
}

/// A bad flag: says which and what to do, exits 2 (no panic).
fn usage(msg: &str) -> ! {
    eprintln!("loadgen: {msg}");
    std::process::exit(2)
}

/// The customer's endpoint: counts deliveries (answers 200).
async fn webhook_receiver() -> (String, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let n = Arc::new(AtomicU64::new(0));
    let count = n.clone();
    let app = axum::Router::new().fallback(move || {
        count.fetch_add(1, Ordering::Relaxed);
        async { "ok" }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, n)
}

const APP_SECRET: &str = "load-app-secret";

fn phone_number_id(i: usize) -> String {
    format!("9{i:09}")
}

/// A signed WhatsApp notification with one text message.
fn wa_notification(pnid: &str, from: &str, id: &str, text: &str) -> (String, String) {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": pnid},
        "contacts": [{"profile": {"name": "Load"}, "wa_id": from.trim_start_matches('+')}],
        "messages": [{"from": from.trim_start_matches('+'), "id": id, "timestamp": "1749416383",
                      "type": "text", "text": {"body": text}}]}}]}]})
    .to_string();
    let sig = optline_server::providers::whatsapp::sign(APP_SECRET, body.as_bytes());
    (body, sig)
}

/// A stand-in Cloud API answering every send with a message id.
async fn stand_in() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let n = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().fallback(move || {
        let id = n.fetch_add(1, Ordering::Relaxed);
        async move {
            axum::Json(json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.load{id}")}]}))
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10,
        workers: 64,
        streams: 200,
        conversations: 10_000,
        bin: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent()?.parent().map(|d| d.join("optline-server")))
            .unwrap_or_else(|| "target/release/optline-server".into()),
        whatsapp: false,
        webhooks: 0,
        postgres: None,
        servers: 1,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let next = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--seconds" => a.seconds = next.parse().expect("--seconds N"),
            "--workers" => a.workers = next.parse().expect("--workers N"),
            "--streams" => a.streams = next.parse().expect("--streams N"),
            "--conversations" => a.conversations = next.parse().expect("--conversations N"),
            "--bin" => a.bin = next.into(),
            "--webhooks" => a.webhooks = next.parse().expect("--webhooks N"),
            "--db" => {
                a.postgres = match next.as_str() {
                    "sqlite" => None,
                    url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                        Some(url.to_string())
                    }
                    other => usage(&format!(
                        "--db takes sqlite or a postgres://user@host/database URL, not {other:?}"
                    )),
                }
            }
            "--servers" => {
                a.servers = match next.parse() {
                    Ok(n @ 1..=16) => n,
                    _ => usage(&format!(
                        "--servers takes a number from 1 to 16, not {next:?}"
                    )),
                }
            }
            "--mode" => {
                a.whatsapp = match next.as_str() {
                    "whatsapp" => true,
                    "sim" => false,
                    m => panic!("--mode sim|whatsapp, not {m}"),
                }
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a.seconds = a.seconds.clamp(1, 300);
    a.streams = a.streams.clamp(1, 1000);
    if a.servers > 1 && a.postgres.is_none() {
        usage("--servers above 1 needs --db postgres://… (processes share one PostgreSQL database; an SQLite file has one writer)");
    }
    a
}

/// A database created on a PostgreSQL server for one run, dropped after it.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create(admin: &str) -> PgDatabase {
        let name = format!(
            "loadgen_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let sql = format!("CREATE DATABASE {name}");
        if let Err(e) = pg_admin(admin, sql) {
            usage(&format!(
                "cannot create a database for the run with --db {}: {e}",
                optline_server::storage::postgres_schema::redact(admin)
            ));
        }
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        PgDatabase {
            admin: admin.to_string(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = pg_admin(&self.admin, sql) {
            eprintln!("loadgen: could not drop database {}: {e}", self.name);
        }
    }
}

/// Runs one statement on the admin database, on a thread of its own (the
/// blocking client must not run on the async runtime).
fn pg_admin(admin: &str, sql: String) -> Result<(), String> {
    let admin = admin.to_string();
    std::thread::spawn(move || {
        let mut c =
            postgres::Client::connect(&admin, postgres::NoTls).map_err(|e| e.to_string())?;
        c.batch_execute(&sql).map_err(|e| e.to_string())
    })
    .join()
    .unwrap_or_else(|_| Err("the PostgreSQL thread panicked".into()))
}

/// The processes of the PostgreSQL server on `url`'s port: its postmaster
/// and every backend it forked (owned by the `postgres` user). Empty when
/// that server does not run on this machine as `postgres`.
fn postgres_pids(url: &str) -> Vec<u32> {
    let port = url
        .rsplit_once('@')
        .map_or(url, |(_, host)| host)
        .split('/')
        .next()
        .and_then(|h| h.rsplit_once(':'))
        .map_or("5432", |(_, p)| p)
        .to_string();
    let Some(uid) = std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
        p.lines()
            .find(|l| l.starts_with("postgres:"))
            .and_then(|l| l.split(':').nth(2).map(str::to_string))
    }) else {
        return Vec::new();
    };
    let procs: Vec<(u32, u32, Vec<String>)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let field = |k: &str| {
                status
                    .lines()
                    .find(|l| l.starts_with(k))
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
            };
            if field("Uid:")? != uid {
                return None;
            }
            let ppid = field("PPid:")?.parse().ok()?;
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            Some((pid, ppid, cmd.split('\0').map(str::to_string).collect()))
        })
        .collect();
    let postmaster = procs.iter().find(|(_, _, args)| {
        args.windows(2).any(|w| w[0] == "-p" && w[1] == port)
            || args.iter().any(|a| *a == format!("--port={port}"))
    });
    match postmaster {
        Some((pm, _, _)) => procs
            .iter()
            .filter(|(pid, ppid, _)| pid == pm || ppid == pm)
            .map(|(pid, _, _)| *pid)
            .collect(),
        // Port not on its command line (set in its config): all of them.
        None => procs.iter().map(|(pid, _, _)| *pid).collect(),
    }
}

/// CPU seconds of the PostgreSQL server: its live processes' own time plus
/// what the postmaster collected from backends that have exited.
fn postgres_cpu_secs(url: &str) -> f64 {
    postgres_pids(url)
        .into_iter()
        .map(|pid| cpu_secs(pid) + children_cpu_secs(pid))
        .sum()
}

/// One server process: its pid and base URL (its stdout is drained).
struct Running {
    child: std::process::Child,
    base: String,
}

/// Starts a server on `db` and waits until it listens.
fn start_server(
    a: &Args,
    dir: &std::path::Path,
    db: &std::ffi::OsStr,
    demo: bool,
    wa_base: &str,
) -> Running {
    let mut child = std::process::Command::new(&a.bin)
        .args(["--port", "0", "--simulator", "--static-dir"])
        .arg(dir)
        .arg("--whatsapp-base-url")
        .arg(wa_base)
        .arg("--db")
        .arg(db)
        .args(if demo { &["--demo"][..] } else { &[] })
        .args(if a.webhooks > 0 {
            &["--allow-private-webhooks"][..]
        } else {
            &[]
        })
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", a.bin.display()));
    let out = child.stdout.take().unwrap();
    let mut reader = std::io::BufReader::new(out);
    let base = loop {
        let mut line = String::new();
        use std::io::BufRead;
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("server exited");
        }
        if let Some(u) = line.trim().strip_prefix("Optline listening on ") {
            break u.to_string();
        }
    };
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut s = String::new();
        while reader.read_line(&mut s).map(|n| n > 0).unwrap_or(false) {
            s.clear();
        }
    });
    Running { child, base }
}

fn rss_kb(pid: u32) -> (u64, u64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (get("VmRSS:"), get("VmHWM:"))
}

/// CPU seconds (user + system) the process has used so far.
fn cpu_secs(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields after the command: state is 0, utime is 11, stime is 12.
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds of the process's children that have exited and been waited
/// for (cutime + cstime).
fn children_cpu_secs(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(13) + ticks(14)) / 100.0
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().unwrap();
    let pg = a.postgres.as_deref().map(PgDatabase::create);
    let db: std::ffi::OsString = match &pg {
        Some(d) => d.url.clone().into(),
        None => dir.path().join("load.sqlite").into(),
    };
    let wa_base = if a.whatsapp {
        stand_in().await
    } else {
        "http://127.0.0.1:9".to_string()
    };
    // The first seeds the demo; the others join the database it made.
    let mut servers = vec![start_server(&a, dir.path(), &db, true, &wa_base)];
    if let Some(d) = &pg {
        // A server binary from before PostgreSQL support takes the URL for
        // a file name and measures SQLite: refuse to report that.
        let url = d.url.clone();
        if pg_admin(&url, "SELECT 1 FROM optline_schema LIMIT 1".into()).is_err() {
            usage(&format!(
                "{} did not create its schema in the PostgreSQL database: is it an old build? \
                 cargo build --release -p optline-server --bins --examples",
                a.bin.display()
            ));
        }
    }
    for _ in 1..a.servers {
        servers.push(start_server(&a, dir.path(), &db, false, &wa_base));
    }
    let pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let rss_sum = |pids: &[u32]| -> (u64, u64) {
        pids.iter()
            .map(|p| rss_kb(*p))
            .fold((0, 0), |(r, h), (r1, h1)| (r + r1, h + h1))
    };
    for s in &servers {
        println!(
            "server pid {} at {}; rss at start {} KB",
            s.child.id(),
            s.base,
            rss_kb(s.child.id()).0
        );
    }
    println!(
        "database: {}",
        match &pg {
            Some(d) => optline_server::storage::postgres_schema::redact(&d.url),
            None => "SQLite (temporary file)".to_string(),
        }
    );
    let base = bases[0].clone();

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.workers + 8)
        .build()
        .unwrap();
    let login = |email: String, password: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string()
        }
    };
    let admin = login("admin@acme.example".into(), "optline-admin").await;

    // One agent + business number per stream.
    let t = Instant::now();
    let mut numbers = Vec::new();
    for i in 0..a.streams {
        let phone = format!("+1646555{:04}", 1000 + i);
        let r = http
            .post(format!("{base}/api/v1/admin/users"))
            .header("cookie", &admin)
            .header("origin", &base)
            .json(
                &json!({"email": format!("load{i}@acme.example"), "name": format!("Load {i}"),
                          "password": "load-password", "role": "agent",
                          "line_of_business_id": 1 + (i % 2), "phone": phone}),
            )
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap_or_default();
        assert!(text.contains("\"number\""), "{text}");
        if a.whatsapp {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let id = v["number"]["id"].as_i64().unwrap();
            let r = http
                .patch(format!("{base}/api/v1/admin/numbers/{id}"))
                .header("cookie", &admin)
                .header("origin", &base)
                .json(
                    &json!({"provider": {"kind": "whatsapp", "app_secret": APP_SECRET,
                    "verify_token": "load", "access_token": "load-token",
                    "phone_number_id": phone_number_id(i), "template_name": "optin_request",
                    "template_language": "en_US"}}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        }
        numbers.push(phone);
    }
    println!(
        "created {} agents in {:.1}s",
        a.streams,
        t.elapsed().as_secs_f64()
    );

    // Outgoing webhooks: N endpoints, every event type.
    let (hook_url, delivered) = webhook_receiver().await;
    for _ in 0..a.webhooks {
        let r = http
            .post(format!("{base}/api/v1/admin/webhooks"))
            .header("cookie", &admin)
            .header("origin", &base)
            .json(&json!({"url": hook_url, "event_types":
                ["consent.changed", "message.received", "message.status", "ownership.changed"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }

    // Streams.
    let events = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut stream_tasks = Vec::new();
    for i in 0..a.streams {
        let cookie = login(format!("load{i}@acme.example"), "load-password").await;
        let http = http.clone();
        // Each stream on its own server, round-robin (a session is valid
        // on every process).
        let base = bases[i % bases.len()].clone();
        let events = events.clone();
        let stop = stop.clone();
        stream_tasks.push(tokio::spawn(async move {
            let mut r = http
                .get(format!("{base}/api/v1/events"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            while !stop.load(Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_millis(500), r.chunk()).await {
                    Ok(Ok(Some(c))) => {
                        let n = c.windows(7).filter(|w| w == b"event: ").count();
                        events.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    Ok(_) => break,
                    Err(_) => {}
                }
            }
        }));
    }
    println!("{} event streams open", a.streams);

    let bodies = [
        "Hi, is my appointment still on for tomorrow?",
        "Thanks!",
        "Can you send me the invoice again please",
        "YES",
        "What time does the technician arrive?",
        "ok",
        "¿Tienen disponibilidad el lunes?",
        "HELP",
        "The sink is leaking again 😬",
        "no",
    ];
    let contact = |k: usize| format!("+1718555{:04}", k % 10_000);
    let contacts = a.conversations.clamp(1, 10_000);

    // Warm up: one conversation per contact.
    let t = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut warm = Vec::new();
    for _ in 0..a.workers {
        let http = http.clone();
        let bases = bases.clone();
        let next = next.clone();
        let numbers = numbers.clone();
        let whatsapp = a.whatsapp;
        warm.push(tokio::spawn(async move {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed) as usize;
                if k >= contacts {
                    break;
                }
                let base = &bases[k % bases.len()];
                let r = if whatsapp {
                    let (body, sig) = wa_notification(
                        &phone_number_id(k % numbers.len()),
                        &contact(k),
                        &format!("wamid.warm-{k}"),
                        "Hello",
                    );
                    http.post(format!("{base}/api/v1/webhooks/whatsapp"))
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", sig)
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                } else {
                    http.post(format!("{base}/api/v1/sim/inbound"))
                        .json(
                            &json!({"from": contact(k), "to": numbers[k % numbers.len()],
                                  "channel": (["whatsapp", "sms", "sms"][k % 3]),
                                  "body": "Hello"}),
                        )
                        .send()
                        .await
                        .unwrap()
                };
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for w in warm {
        w.await.unwrap();
    }
    println!(
        "warm-up: {contacts} conversations in {:.1}s; rss {} KB",
        t.elapsed().as_secs_f64(),
        rss_sum(&pids).0
    );

    // Measured run (after the warm-up's webhooks went out).
    if a.webhooks > 0 {
        let mut last = u64::MAX;
        while delivered.load(Ordering::Relaxed) != last {
            last = delivered.load(Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
    }
    let hooks0 = delivered.load(Ordering::Relaxed);
    let ev0 = events.load(Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    let seq = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let server_cpu = |pids: &[u32]| pids.iter().map(|p| cpu_secs(*p)).sum::<f64>();
    let pg_cpu = || a.postgres.as_deref().map(postgres_cpu_secs);
    let cpu0 = server_cpu(&pids);
    let pg0 = pg_cpu();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.workers {
        let http = http.clone();
        let bases = bases.clone();
        let seq = seq.clone();
        let errors = errors.clone();
        let numbers = numbers.clone();
        let whatsapp = a.whatsapp;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            while Instant::now() < deadline {
                let n = seq.fetch_add(1, Ordering::Relaxed) as usize;
                let k = (n * 7919) % contacts;
                let base = &bases[n % bases.len()];
                let req = if whatsapp {
                    // One in ten re-delivers an earlier message id (de-duplicated).
                    let id = if n % 10 == 9 { n - 5 } else { n };
                    let k = (id * 7919) % contacts;
                    let (body, sig) = wa_notification(
                        &phone_number_id(k % numbers.len()),
                        &contact(k),
                        &format!("wamid.load-{id}"),
                        bodies[id % bodies.len()],
                    );
                    http.post(format!("{base}/api/v1/webhooks/whatsapp"))
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", sig)
                        .body(body)
                } else {
                    let body = json!({"from": contact(k), "to": numbers[k % numbers.len()],
                                  "channel": (["whatsapp", "sms", "sms"][k % 3]),
                                  "body": bodies[n % bodies.len()]});
                    http.post(format!("{base}/api/v1/sim/inbound")).json(&body)
                };
                let s = Instant::now();
                let r = req.send().await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        lat.push(s.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = server_cpu(&pids) - cpu0;
    let pg_run = pg_cpu().zip(pg0).map(|(after, before)| after - before);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ev = events.load(Ordering::Relaxed) - ev0;
    all.sort_unstable();
    let (rss, hwm) = rss_sum(&pids);
    println!("---------------------------------------------------------------");
    println!(
        "inbound ({}): {} ok, {} errors in {:.2}s → {:.0} msg/s ({} workers, {} streams, {} conversations)",
        if a.whatsapp { "signed WhatsApp webhooks, de-dup on" } else { "simulator" },
        all.len(),
        errors.load(Ordering::Relaxed),
        secs,
        all.len() as f64 / secs,
        a.workers,
        a.streams,
        contacts
    );
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        pct(&all, 0.50),
        pct(&all, 0.90),
        pct(&all, 0.99),
        pct(&all, 0.999),
        pct(&all, 1.0)
    );
    println!("SSE events received during the run: {ev}");
    println!(
        "server CPU ({} process{}): {:.2} core-seconds for the run = {:.0} µs per message → {:.0} msg/s per fully available core",
        pids.len(),
        if pids.len() == 1 { "" } else { "es, summed" },
        cpu,
        cpu * 1e6 / all.len().max(1) as f64,
        all.len() as f64 / cpu.max(1e-9)
    );
    match pg_run {
        Some(pg) if pg > 0.0 => println!(
            "PostgreSQL server CPU: {:.2} core-seconds = {:.0} µs per message (every client of that server counts) → server + PostgreSQL {:.0} µs per message",
            pg,
            pg * 1e6 / all.len().max(1) as f64,
            (cpu + pg) * 1e6 / all.len().max(1) as f64
        ),
        Some(_) => println!("PostgreSQL server CPU: not measured (its processes are not visible here as user postgres)"),
        None => {}
    }
    println!(
        "machine load average during the run (other work competes for the 2 cores): {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "server memory: rss {} MB, peak {} MB",
        rss / 1024,
        hwm / 1024
    );
    if a.webhooks > 0 {
        let during = delivered.load(Ordering::Relaxed) - hooks0;
        let t = Instant::now();
        let mut last = u64::MAX;
        // Drained when nothing more arrives for 2 s.
        while delivered.load(Ordering::Relaxed) != last {
            last = delivered.load(Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let total = last - hooks0;
        let drain = (t.elapsed().as_secs_f64() - 2.0).max(0.0);
        println!(
            "webhooks ({} endpoints): {during} delivered during the run, {total} in all after {drain:.1}s more → {:.0} deliveries/s overall",
            a.webhooks,
            total as f64 / (secs + drain)
        );
    }
    stop.store(true, Ordering::Relaxed);
    for t in stream_tasks {
        let _ = t.await;
    }
    for mut s in servers {
        let _ = s.child.kill();
        let _ = s.child.wait();
    }
    drop(pg);
    if a.postgres.is_none() {
        let ingest = all.len() as f64 / secs;
        let raw = sqlite_insert_rate(dir.path(), Duration::from_secs(a.seconds.min(5)));
        println!(
            "raw SQLite (WAL, synchronous=NORMAL, one row per transaction, same disk): {raw:.0} inserts/s → ingest is {:.0} % of it",
            ingest * 100.0 / raw.max(1e-9)
        );
    }
}

/// The ceiling of a one-row-per-commit writer on this disk: single-row
/// INSERT transactions into a WAL database for `time`, no server around it.
fn sqlite_insert_rate(dir: &std::path::Path, time: Duration) -> f64 {
    let c = rusqlite::Connection::open(dir.join("raw.sqlite")).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "NORMAL").unwrap();
    c.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL, at TEXT NOT NULL)",
    )
    .unwrap();
    let mut st = c
        .prepare("INSERT INTO t(body, at) VALUES (?1, ?2)")
        .unwrap();
    let t = Instant::now();
    let mut n = 0u64;
    while t.elapsed() < time {
        st.execute(rusqlite::params![
            "hello, is the store open?",
            "2026-01-05T15:00:00Z"
        ])
        .unwrap();
        n += 1;
    }
    n as f64 / t.elapsed().as_secs_f64()
}
