//! First-run organization creation and the demo seed.

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};

use crate::auth;
use crate::clock::fmt;
use crate::error::{ApiError, ApiResult};
use crate::service::{self, AgentAction, FlowCache};
use crate::storage::{self, Db, NewUser};

/// Creates an organization, its first line of business and its first admin.
pub async fn init_org(
    db: &Db,
    name: &str,
    email: &str,
    password: &str,
    lob: &str,
) -> ApiResult<()> {
    let name = name.trim().to_string();
    let email = email.trim().to_lowercase();
    let lob = lob.trim().to_string();
    if name.is_empty() || lob.is_empty() {
        return Err(ApiError::bad_request(
            "invalid",
            "--name and --line-of-business must not be empty.",
        ));
    }
    if !email.contains('@') {
        return Err(ApiError::bad_request(
            "invalid_email",
            "--admin-email must be an e-mail address.",
        ));
    }
    auth::check_password_rules(password, "--admin-password")?;
    let hash = auth::hash_password(password)?;
    let now = fmt(Utc::now());
    db.write(move |c| {
        let org = storage::org_insert(c, &name, &now)?;
        let lob = storage::lob_insert(c, org, &lob)?;
        storage::user_insert(
            c,
            &NewUser {
                org_id: org,
                lob_id: Some(lob),
                email: &email,
                name: "Administrator",
                role: "admin",
                password_hash: &hash,
            },
            &now,
        )?;
        Ok(())
    })
    .await
}

pub const DEMO_ADMIN: (&str, &str) = ("admin@acme.example", "optline-admin");
pub const DEMO_PASSWORD: &str = "optline-agent";
/// (e-mail, name, line of business index, business number)
pub const DEMO_AGENTS: [(&str, &str, usize, &str); 3] = [
    ("ana@acme.example", "Ana Alvarez", 0, "+14155550101"),
    ("ben@acme.example", "Ben Brooks", 0, "+14155550102"),
    ("cleo@acme.example", "Cleo Chen", 1, "+14155550103"),
];

/// The latest past noon in New York (demo contacts live there), so seeded
/// opt-in requests fall outside quiet hours.
fn seed_time(now: DateTime<Utc>) -> DateTime<Utc> {
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap_or(chrono_tz::UTC);
    let local = now.with_timezone(&tz);
    let noon = local
        .with_hour(12)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now);
    let t = if noon > now {
        noon - Duration::days(1)
    } else {
        noon
    };
    Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(now)
}

/// Seeds the demo organization if the database has none; returns the text
/// to print (logins), or `None` when data already exists.
pub async fn demo(db: &Db) -> ApiResult<Option<String>> {
    if db.read(storage::org_count).await? > 0 {
        return Ok(None);
    }
    let admin_hash = auth::hash_password(DEMO_ADMIN.1)?;
    let agent_hash = auth::hash_password(DEMO_PASSWORD)?;
    let t0 = seed_time(Utc::now());
    db.write(move |c| {
        let flows = FlowCache::default();
        let now = fmt(t0);
        let org = storage::org_insert(c, "Acme Home Services", &now)?;
        let lobs = [
            storage::lob_insert(c, org, "Sales")?,
            storage::lob_insert(c, org, "Support")?,
        ];
        storage::user_insert(
            c,
            &NewUser {
                org_id: org,
                lob_id: Some(lobs[0]),
                email: DEMO_ADMIN.0,
                name: "Avery Admin",
                role: "admin",
                password_hash: &admin_hash,
            },
            &now,
        )?;
        let mut agents = Vec::new();
        for (email, name, lob, phone) in DEMO_AGENTS {
            let id = storage::user_insert(
                c,
                &NewUser {
                    org_id: org,
                    lob_id: Some(lobs[lob]),
                    email,
                    name,
                    role: "agent",
                    password_hash: &agent_hash,
                },
                &now,
            )?;
            let num = storage::number_insert(c, org, lobs[lob], Some(id), phone)?;
            agents.push((
                storage::user_by_id(c, id)?.ok_or_else(|| ApiError::internal("seed"))?,
                num,
            ));
        }
        // History, played through the real rules.
        let at = |m: i64| t0 + Duration::minutes(m);
        let inbound =
            |from: &str, to: &str, channel: &str, body: &str, m: i64, n: u32| -> ApiResult<()> {
                let number = storage::number_by_e164(c, to)?
                    .ok_or_else(|| ApiError::internal("seed number"))?;
                service::inbound(
                    c,
                    &flows,
                    at(m),
                    &service::Inbound {
                        from,
                        to: &number,
                        channel,
                        body,
                        provider: "simulator",
                        provider_message_id: &format!("seed-{n}"),
                        guessed_tz: Some("America/New_York"),
                        unsupported: None,
                        carrier_stop: false,
                    },
                )?;
                Ok(())
            };
        let contacts = [
            ("+12125550141", "Maria Garcia"),
            ("+12125550142", "James Smith"),
            ("+12125550143", "Priya Patel"),
            ("+12125550144", "Tom Nguyen"),
            ("+12125550145", "Lena Fischer"),
        ];
        let start =
            |user: &storage::UserRow, idx: usize, channel: &str, m: i64| -> ApiResult<i64> {
                let (phone, name) = contacts[idx];
                let s = service::start_conversation(
                    c,
                    &flows,
                    at(m),
                    user,
                    phone,
                    channel,
                    Some(name),
                    Some("America/New_York"),
                )?;
                Ok(s.id)
            };
        let act = |user: &storage::UserRow, conv: i64, a: AgentAction, m: i64| -> ApiResult<()> {
            service::agent_act(c, &flows, at(m), user, conv, a)?;
            Ok(())
        };
        let (ana, ben, cleo) = (&agents[0].0, &agents[1].0, &agents[2].0);
        // Ana: Maria accepted on SMS and they talk; James pending on WhatsApp.
        let cv = start(ana, 0, "sms", 0)?;
        act(ana, cv, AgentAction::RequestOptIn, 1)?;
        inbound(contacts[0].0, "+14155550101", "sms", "Yes", 5, 1)?;
        act(
            ana,
            cv,
            AgentAction::Send(
                "Thanks Maria! Your technician visit is confirmed for Tuesday at 10am.".into(),
            ),
            6,
        )?;
        inbound(
            contacts[0].0,
            "+14155550101",
            "sms",
            "Great, see you then",
            8,
            2,
        )?;
        let cv = start(ana, 1, "whatsapp", 10)?;
        act(ana, cv, AgentAction::RequestOptIn, 11)?;
        // Ben: Priya rejected; Tom wrote first (not requested yet).
        let cv = start(ben, 2, "sms", 20)?;
        act(ben, cv, AgentAction::RequestOptIn, 21)?;
        inbound(contacts[2].0, "+14155550102", "sms", "NO", 25, 3)?;
        inbound(
            contacts[3].0,
            "+14155550102",
            "sms",
            "Hi, do you service water heaters?",
            30,
            4,
        )?;
        // Cleo: Lena accepted on WhatsApp, then opted out.
        let cv = start(cleo, 4, "whatsapp", 40)?;
        act(cleo, cv, AgentAction::RequestOptIn, 41)?;
        inbound(contacts[4].0, "+14155550103", "whatsapp", "YES", 45, 5)?;
        inbound(contacts[4].0, "+14155550103", "whatsapp", "STOP", 50, 6)?;
        storage::messages_deliver_all_sent(c)?;
        Ok(())
    })
    .await?;
    let mut text = String::new();
    text.push_str("==================== Optline demo organization ====================\n");
    text.push_str("Seeded \"Acme Home Services\" (lines of business: Sales, Support).\n");
    text.push_str(&format!(
        "  admin  {:<22} password: {}\n",
        DEMO_ADMIN.0, DEMO_ADMIN.1
    ));
    for (email, name, lob, phone) in DEMO_AGENTS {
        text.push_str(&format!(
            "  agent  {:<22} password: {}   ({name}, {}, number {phone})\n",
            email,
            DEMO_PASSWORD,
            if lob == 0 { "Sales" } else { "Support" }
        ));
    }
    text.push_str("Contact phone simulator: open /phone in the app.\n");
    text.push_str("===================================================================");
    Ok(Some(text))
}
