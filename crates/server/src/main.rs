use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use optline_server::storage::{Db, Location};
use optline_server::{app, seed, AppConfig};

/// Optline server: REST API, live events, simulator channel, and the built SPA.
#[derive(Parser, Debug)]
#[command(name = "optline-server", version, about)]
struct Cli {
    /// Address to bind.
    #[arg(long, env = "OPTLINE_BIND", default_value = "127.0.0.1", global = true)]
    bind: std::net::IpAddr,
    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "OPTLINE_PORT", default_value_t = 8080, global = true)]
    port: u16,
    /// The database: an SQLite file (created on first start, parent
    /// folders too), or `postgres://user@host/db` for PostgreSQL, which
    /// several server processes can share.
    #[arg(
        long,
        env = "OPTLINE_DB",
        default_value = "data/optline.sqlite",
        global = true
    )]
    db: String,
    /// Folder of the built SPA (Trunk's dist/).
    #[arg(
        long,
        env = "OPTLINE_STATIC_DIR",
        default_value = "dist",
        global = true
    )]
    static_dir: PathBuf,
    /// Seed a demo organization when the database is empty and print its logins.
    #[arg(long, env = "OPTLINE_DEMO", global = true)]
    demo: bool,
    /// Enable the injectable test clock (POST /api/v1/test/clock). Never in production.
    #[arg(long, env = "OPTLINE_TEST_CLOCK", global = true)]
    test_clock: bool,
    /// Enable the built-in simulator (/api/v1/sim/…): anyone reaching the
    /// server can play a contact of a simulator number. For demos and tests.
    #[arg(long, env = "OPTLINE_SIMULATOR", global = true)]
    simulator: bool,
    /// Allow --simulator, --demo or --test-clock on a non-loopback --bind.
    #[arg(long, env = "OPTLINE_ALLOW_PUBLIC_DEMO", global = true)]
    allow_public_demo: bool,
    /// Public origin of this server as providers reach it (e.g.
    /// https://optline.example.com); Twilio signs webhooks over it.
    #[arg(long, env = "OPTLINE_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    /// WhatsApp Cloud API base URL.
    #[arg(
        long,
        env = "OPTLINE_WHATSAPP_BASE_URL",
        default_value = "https://graph.facebook.com",
        global = true
    )]
    whatsapp_base_url: String,
    /// WhatsApp Graph API version.
    #[arg(
        long,
        env = "OPTLINE_WHATSAPP_API_VERSION",
        default_value = "v21.0",
        global = true
    )]
    whatsapp_api_version: String,
    /// Twilio REST API base URL.
    #[arg(
        long,
        env = "OPTLINE_TWILIO_BASE_URL",
        default_value = "https://api.twilio.com",
        global = true
    )]
    twilio_base_url: String,
    /// Attempts per outbound message (transient failures are retried).
    #[arg(
        long,
        env = "OPTLINE_SEND_MAX_ATTEMPTS",
        default_value_t = 5,
        global = true
    )]
    send_max_attempts: u32,
    /// First retry delay in ms (doubles per retry, capped at 30 s).
    #[arg(
        long,
        env = "OPTLINE_SEND_RETRY_BASE_MS",
        default_value_t = 500,
        global = true
    )]
    send_retry_base_ms: u64,
    /// Per-request timeout of a send, in ms.
    #[arg(
        long,
        env = "OPTLINE_SEND_TIMEOUT_MS",
        default_value_t = 10_000,
        global = true
    )]
    send_timeout_ms: u64,
    /// Minutes of inactivity after which a login session ends (sessions
    /// also end 12 hours after login).
    #[arg(
        long,
        env = "OPTLINE_SESSION_IDLE_MINUTES",
        default_value_t = 120,
        value_parser = clap::value_parser!(i64).range(1..=720),
        global = true
    )]
    session_idle_minutes: i64,
    /// Writer connections of this process on PostgreSQL, each committing
    /// its own batches (SQLite has one writer).
    #[arg(
        long,
        env = "OPTLINE_DB_WRITERS",
        default_value_t = optline_server::storage::DEFAULT_POSTGRES_WRITERS as u64,
        value_parser = clap::value_parser!(u64).range(1..=64),
        global = true
    )]
    db_writers: u64,
    /// With several server processes on one PostgreSQL database: a process
    /// not heard from this long has stopped, and its queued sends are
    /// taken over (never-started ones sent, started ones failed).
    #[arg(
        long,
        env = "OPTLINE_PEER_TIMEOUT_SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(2..=3600),
        global = true
    )]
    peer_timeout_secs: u64,
    /// Allow outgoing webhooks to loopback, private and link-local
    /// addresses, and plain http:// to loopback. For local tests only.
    #[arg(long, env = "OPTLINE_ALLOW_PRIVATE_WEBHOOKS", global = true)]
    allow_private_webhooks: bool,
    /// First retry delay of a failed webhook delivery in ms (doubles per
    /// attempt, with jitter, up to 10 hours; retried for 3 days).
    #[arg(
        long,
        env = "OPTLINE_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 5_000,
        global = true
    )]
    webhook_retry_base_ms: u64,
    /// Per-attempt timeout of a webhook delivery, in ms.
    #[arg(
        long,
        env = "OPTLINE_WEBHOOK_TIMEOUT_MS",
        default_value_t = 10_000,
        global = true
    )]
    webhook_timeout_ms: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Create an organization and its first admin, then exit.
    InitOrg {
        /// Organization name.
        #[arg(long)]
        name: String,
        /// The first admin's e-mail (their login).
        #[arg(long)]
        admin_email: String,
        /// The first admin's password (at least 8 characters).
        #[arg(long, env = "OPTLINE_ADMIN_PASSWORD")]
        admin_password: String,
        /// Name of the first line of business.
        #[arg(long, default_value = "General")]
        line_of_business: String,
    },
    /// Write realistic consent volume (opt-in requests, answers, opt-outs,
    /// failed sends) into an organization, for the insights and their
    /// benchmark; then exit.
    SeedAudit {
        /// Audit records to write (whole threads; at least this many).
        #[arg(long)]
        rows: u64,
        /// The organization (default: the first one).
        #[arg(long)]
        org: Option<i64>,
        /// Spread over this many days before now.
        #[arg(long, default_value_t = 120)]
        days: i64,
        /// Seed of the generator (same seed, same data shape).
        #[arg(long, default_value_t = 16)]
        seed: u64,
    },
    /// Copy an SQLite database into an empty PostgreSQL database (every
    /// table, ids and audit as they are; row counts verified; all or
    /// nothing), then exit. Stop the server on the SQLite file first.
    MigrateToPostgres {
        /// The SQLite file (the --db the server ran with).
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database: postgres://user@host/database. It may
        /// have the schema already but no rows.
        #[arg(long)]
        to: String,
    },
}

/// mimalloc: the inbound path allocates many small short-lived buffers
/// (HTTP, JSON, rows, events) across threads; glibc's malloc spent about a
/// tenth of the server's CPU on them, and its arenas kept argon2's 19 MiB
/// blocks for good. mimalloc is faster here and returns large blocks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    // Logs go to stderr; RUST_LOG filters them (default: info).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    // The copy is blocking work of its own (no runtime, no --db).
    if let Some(Command::MigrateToPostgres { from, to }) = &cli.command {
        std::process::exit(migrate_to_postgres(from, to));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(run(cli));
    std::process::exit(code);
}

/// The demo switches open doors (anyone may play a contact, move the clock,
/// log in with printed passwords): refuse them on a reachable address
/// unless the operator says so explicitly.
fn check_demo_flags(cli: &Cli) -> Result<(), String> {
    let on: Vec<&str> = [
        (cli.simulator, "--simulator"),
        (cli.demo, "--demo"),
        (cli.test_clock, "--test-clock"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    if on.is_empty() || cli.bind.is_loopback() || cli.allow_public_demo {
        return Ok(());
    }
    Err(format!(
        "refusing to serve {} on the non-loopback address {}: they are for demos and tests. \
         Bind 127.0.0.1, leave them off in production, or pass --allow-public-demo to do it anyway.",
        on.join(", "),
        cli.bind
    ))
}

async fn run(cli: Cli) -> i32 {
    if matches!(cli.command, Some(Command::Serve) | None) {
        if let Err(e) = check_demo_flags(&cli) {
            eprintln!("optline-server: {e}");
            return 2;
        }
    }
    let sealing = match optline_server::secrets::init_from_env() {
        Ok(on) => on,
        Err(e) => {
            eprintln!("optline-server: {e}");
            return 2;
        }
    };
    let location = Location::parse(&cli.db);
    let db = match Db::open_with_writers(
        &location,
        optline_server::storage::DEFAULT_QUEUE,
        cli.db_writers as usize,
    ) {
        Ok(db) => db,
        Err(e) => {
            eprintln!(
                "optline-server: cannot open database {}: {e}",
                location.describe()
            );
            return 2;
        }
    };
    match cli.command {
        Some(Command::InitOrg {
            name,
            admin_email,
            admin_password,
            line_of_business,
        }) => {
            match seed::init_org(&db, &name, &admin_email, &admin_password, &line_of_business).await
            {
                Ok(()) => {
                    println!("Created organization {name:?} with admin {admin_email}");
                    0
                }
                Err(e) => {
                    eprintln!("optline-server: {}", e.message);
                    1
                }
            }
        }
        Some(Command::SeedAudit {
            rows,
            org,
            days,
            seed,
        }) => {
            let started = std::time::Instant::now();
            let progress = |r: &optline_server::seed_audit::SeedReport| {
                eprintln!(
                    "seed-audit: {} audit rows, {} threads…",
                    r.audit_rows, r.threads
                );
            };
            match optline_server::seed_audit::seed_audit(&db, org, rows, days, seed, progress).await
            {
                Ok(r) => {
                    println!(
                        "Seeded {} audit rows in {} threads ({} failed sends) in {:.1} s",
                        r.audit_rows,
                        r.threads,
                        r.failed_sends,
                        started.elapsed().as_secs_f64()
                    );
                    0
                }
                Err(e) => {
                    eprintln!("optline-server: seed-audit: {e}");
                    1
                }
            }
        }
        Some(Command::MigrateToPostgres { .. }) => {
            unreachable!("migrate-to-postgres runs in main, before the database is opened")
        }
        Some(Command::Serve) | None => {
            if let Err(e) = optline_server::outbox::recovery::announce(&db).await {
                eprintln!("optline-server: cannot write to the database: {e}");
                return 1;
            }
            if sealing {
                match db.write(reseal_provider_settings).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        "sealed the provider settings of {n} number(s) with the current key"
                    ),
                    Err(e) => {
                        eprintln!("optline-server: cannot seal provider settings: {e}");
                        return 1;
                    }
                }
                match db.write(optline_server::integrations::reseal_secrets).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        "sealed the webhook secrets of {n} endpoint(s) with the current key"
                    ),
                    Err(e) => {
                        eprintln!("optline-server: cannot seal webhook secrets: {e}");
                        return 1;
                    }
                }
            }
            if cli.demo {
                match seed::demo(&db).await {
                    Ok(Some(text)) => println!("{text}"),
                    Ok(None) => println!(
                        "Demo: the database already has data; not seeding (logins unchanged)."
                    ),
                    Err(e) => {
                        eprintln!("optline-server: demo seed failed: {}", e.message);
                        return 1;
                    }
                }
            }
            let config = AppConfig {
                static_dir: cli.static_dir.clone(),
                test_clock: cli.test_clock,
                simulator: cli.simulator,
                providers: optline_server::providers::retry::ProvidersConfig {
                    public_url: cli.public_url.clone(),
                    whatsapp_base_url: cli.whatsapp_base_url.clone(),
                    whatsapp_api_version: cli.whatsapp_api_version.clone(),
                    twilio_base_url: cli.twilio_base_url.clone(),
                    max_attempts: cli.send_max_attempts.clamp(1, 20),
                    retry_base_ms: cli.send_retry_base_ms,
                    retry_cap_ms: 30_000,
                    timeout_ms: cli.send_timeout_ms.max(1),
                },
                session_idle_minutes: cli.session_idle_minutes,
                peer_timeout: std::time::Duration::from_secs(cli.peer_timeout_secs),
                webhooks: optline_server::integrations::Config {
                    allow_private: cli.allow_private_webhooks,
                    retry_base_ms: cli.webhook_retry_base_ms,
                    timeout_ms: cli.webhook_timeout_ms.max(1),
                    ..Default::default()
                },
            };
            let addr = SocketAddr::new(cli.bind, cli.port);
            let listener = match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("optline-server: cannot listen on {addr}: {e}");
                    return 2;
                }
            };
            let local = listener.local_addr().expect("local addr");
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let router = app::router_with_shutdown(db, config, stop_rx);
            if std::env::var_os("OPTLINE_WRITER_STATS").is_some() {
                tokio::spawn(async {
                    use optline_server::storage::{COMMITS, JOBS};
                    use std::sync::atomic::Ordering::Relaxed;
                    let (mut j0, mut c0) = (0, 0);
                    loop {
                        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                        let (j, c) = (JOBS.load(Relaxed), COMMITS.load(Relaxed));
                        if c > c0 {
                            eprintln!(
                                "writer: {} jobs in {} commits (avg batch {:.1})",
                                j - j0,
                                c - c0,
                                (j - j0) as f64 / (c - c0) as f64
                            );
                        }
                        (j0, c0) = (j, c);
                    }
                });
            }
            println!("Optline listening on http://{local}");
            let _ = std::io::stdout().flush();
            let serve = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                let _ = stop_tx.send(true);
                // Do not wait for slow clients for ever.
                tokio::spawn(async {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    std::process::exit(0);
                });
            });
            if let Err(e) = serve.await {
                eprintln!("optline-server: {e}");
                return 1;
            }
            0
        }
    }
}

/// `migrate-to-postgres`: copies, prints a per-table summary (progress of
/// big tables on stderr); exit 2 when refused, 1 when the copy failed.
fn migrate_to_postgres(from: &std::path::Path, to: &str) -> i32 {
    use optline_server::storage::copy_to_postgres::{copy_sqlite_to_postgres, CopyError};
    use optline_server::storage::postgres_schema::redact;
    let started = std::time::Instant::now();
    let progress = |table: &str, done: u64, total: u64| {
        eprintln!("migrate-to-postgres: {table}: {done} of {total} rows copied…");
    };
    match copy_sqlite_to_postgres(from, to, progress) {
        Ok(tables) => {
            println!("Copied {} into {}:", from.display(), redact(to));
            for t in &tables {
                println!("  {:<20} {:>10} rows  {:>6.1} s", t.table, t.rows, t.secs);
            }
            let rows: u64 = tables.iter().map(|t| t.rows).sum();
            println!(
                "{rows} rows in {} tables in {:.1} s; every table's row count verified.",
                tables.len(),
                started.elapsed().as_secs_f64()
            );
            0
        }
        Err(e) => {
            eprintln!("optline-server: migrate-to-postgres: {e}");
            match e {
                CopyError::Refused(_) => 2,
                CopyError::Failed(_) => 1,
            }
        }
    }
}

/// Seals plain provider settings, and those sealed with the previous key,
/// with the current key (a key rotation completes at the first start).
fn reseal_provider_settings(
    c: &optline_server::storage::Conn,
) -> optline_server::storage::StorageResult<usize> {
    use optline_server::{secrets, storage};
    let mut n = 0;
    for (id, stored) in storage::provider_configs(c)? {
        if !secrets::needs_reseal(&stored) {
            continue;
        }
        let Some(plain) = secrets::open(&stored) else {
            tracing::warn!(
                number = id,
                "provider settings sealed with an unknown key; left as they are"
            );
            continue;
        };
        storage::provider_config_put(c, id, &secrets::seal(&plain))?;
        n += 1;
    }
    Ok(n)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
