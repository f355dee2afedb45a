//! First-run organization creation and the demo seed.

use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};

use optline_api::Role;
use optline_engine::Channel;

use crate::clock::fmt;
use crate::consent::agent::{self, AgentAction, NewConversation};
use crate::consent::{self, FlowCache};
use crate::http::auth;
use crate::http::error::{ApiError, ApiResult};
use crate::providers::InboundMessage;
use crate::storage::{self, Db, NewUser, ProviderKind};

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
                role: Role::Admin,
                password_hash: &hash,
            },
            &now,
        )?;
        Ok::<_, ApiError>(())
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

/// How long the seeded history runs from its start (its last event is at
/// minute 50).
const HISTORY_MINUTES: i64 = 60;

/// The latest noon in New York (demo contacts live there, so seeded opt-in
/// requests fall outside quiet hours) whose whole history is past: seeded at
/// 12:10 there, the history is yesterday's, not ten minutes in the past and
/// forty in the future.
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
    let t = if noon + Duration::minutes(HISTORY_MINUTES) > now {
        noon - Duration::days(1)
    } else {
        noon
    };
    Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(now)
}

/// Seeds the demo organization if the database has none; returns the text
/// to print (logins), or `None` when data already exists.
pub async fn demo(db: &Db) -> ApiResult<Option<String>> {
    if db.read(storage::org_count).await.map_err(ApiError::from)? > 0 {
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
                role: Role::Admin,
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
                    role: Role::Agent,
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
        let at = |m: i64| {
            debug_assert!(m <= HISTORY_MINUTES, "seeded history must end in the past");
            t0 + Duration::minutes(m)
        };
        let inbound =
            |from: &str, to: &str, channel: Channel, body: &str, m: i64, n: u32| -> ApiResult<()> {
                let number = storage::number_by_e164(c, to)?
                    .ok_or_else(|| ApiError::internal("seed number"))?;
                consent::inbound::receive(
                    c,
                    &flows,
                    at(m),
                    &InboundMessage {
                        number,
                        channel,
                        from: from.to_string(),
                        body: body.to_string(),
                        provider: ProviderKind::Simulator,
                        provider_message_id: format!("seed-{n}"),
                        unsupported: None,
                        button: None,
                        carrier_opt_out: false,
                        sender_unverified: false,
                        signature_verified: false,
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
            |user: &storage::UserRow, idx: usize, channel: Channel, m: i64| -> ApiResult<i64> {
                let (phone, name) = contacts[idx];
                let s = agent::start_conversation(
                    c,
                    &flows,
                    at(m),
                    user,
                    &NewConversation {
                        phone_e164: phone,
                        channel,
                        name: Some(name),
                        time_zone: Some("America/New_York"),
                    },
                )?;
                Ok(s.id)
            };
        let act = |user: &storage::UserRow, conv: i64, a: AgentAction, m: i64| -> ApiResult<()> {
            agent::act(c, &flows, at(m), user, conv, a)?;
            Ok(())
        };
        let (ana, ben, cleo) = (&agents[0].0, &agents[1].0, &agents[2].0);
        // Ana: Maria accepted on SMS and they talk; James pending on WhatsApp.
        let cv = start(ana, 0, Channel::Sms, 0)?;
        act(ana, cv, AgentAction::RequestOptIn, 1)?;
        inbound(contacts[0].0, "+14155550101", Channel::Sms, "Yes", 5, 1)?;
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
            Channel::Sms,
            "Great, see you then",
            8,
            2,
        )?;
        let cv = start(ana, 1, Channel::WhatsApp, 10)?;
        act(ana, cv, AgentAction::RequestOptIn, 11)?;
        // Ben: Priya rejected; Tom wrote first (not requested yet).
        let cv = start(ben, 2, Channel::Sms, 20)?;
        act(ben, cv, AgentAction::RequestOptIn, 21)?;
        inbound(contacts[2].0, "+14155550102", Channel::Sms, "NO", 25, 3)?;
        inbound(
            contacts[3].0,
            "+14155550102",
            Channel::Sms,
            "Hi, do you service water heaters?",
            30,
            4,
        )?;
        // Cleo: Lena accepted on WhatsApp, then opted out.
        let cv = start(cleo, 4, Channel::WhatsApp, 40)?;
        act(cleo, cv, AgentAction::RequestOptIn, 41)?;
        inbound(
            contacts[4].0,
            "+14155550103",
            Channel::WhatsApp,
            "YES",
            45,
            5,
        )?;
        inbound(
            contacts[4].0,
            "+14155550103",
            Channel::WhatsApp,
            "STOP",
            50,
            6,
        )?;
        storage::messages_deliver_all_sent(c)?;
        Ok::<_, ApiError>(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_seeded_history_is_always_past() {
        // Noon in New York is 17:00 UTC in November (EST).
        let cases = [
            ("2026-11-27T16:59:00Z", "2026-11-26T17:00:00Z"),
            ("2026-11-27T17:10:00Z", "2026-11-26T17:00:00Z"),
            ("2026-11-27T17:59:59Z", "2026-11-26T17:00:00Z"),
            ("2026-11-27T18:00:00Z", "2026-11-27T17:00:00Z"),
            ("2026-11-28T04:00:00Z", "2026-11-27T17:00:00Z"),
        ];
        for (now, start) in cases {
            let t0 = seed_time(utc(now));
            assert_eq!(t0, utc(start), "seeded at {now}");
            assert!(t0 + Duration::minutes(HISTORY_MINUTES) <= utc(now));
        }
    }
}
