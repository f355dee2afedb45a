//! `optline-server seed-audit --rows N`: realistic consent volume for the
//! insights and their benchmark — threads of an organization's agents that
//! ask for opt-in and get answers in believable proportions and delays
//! (acceptances after minutes or hours, rejections, STOP and plain-language
//! opt-outs, unclear replies answered by a re-prompt, silence and a resend
//! after the interval, carrier refusals and failed sends), written through
//! the storage layer in batched transactions.
//!
//! Rows are generated, not played through the engine (a million steps would
//! take minutes); the names they carry are the engine's own (`How`,
//! `StateName`) and each thread's final state is stored as the engine's
//! `Thread`, so agents can open the seeded conversations. Only the opt-in
//! requests are written as messages (with their delivery outcome), not the
//! contacts' replies.

use crate::storage::Conn;
use chrono::{DateTime, Duration, Utc};
use optline_api::{DeliveryStatus, Direction, MessageKind};
use optline_engine::{Channel, ConsentState, How, StateName, Thread};

use crate::clock::fmt;
use crate::storage::{self, AuditRow, Db, NewMessage, NumberRow, SendResult, StorageError};

/// What a run wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub audit_rows: u64,
    pub threads: u64,
    pub failed_sends: u64,
}

/// Threads written per transaction: large enough that commits are rare,
/// small enough to report progress and keep the writer's batch modest.
const THREADS_PER_BATCH: u64 = 20_000;
/// The default flow's resend interval (24 hours).
const RESEND_SECS: i64 = 24 * 3600;
const REQUEST_TEXT: &str = "Hi, this is your advisor from Acme Home Services. May we message you here? Reply YES to accept or NO to decline. Reply STOP at any time to opt out.";

/// SplitMix64: small, fast and reproducible for a given `--seed`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Log-normal seconds with the given median; `spread` is sigma.
    fn delay(&mut self, median_secs: f64, spread: f64) -> i64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (median_secs * (spread * z).exp()).round() as i64
    }
}

/// One audit record of a generated thread, with the request message it
/// sent (when it is a request) and that send's failure (if any).
struct Step {
    at: DateTime<Utc>,
    actor: String,
    how: How,
    from: StateName,
    to: StateName,
    evidence: &'static str,
    failure: Option<&'static str>,
}

impl Step {
    fn is_request(&self) -> bool {
        matches!(self.how, How::AgentRequest | How::AutoReprompt)
    }
}

/// Provider errors of failed sends, as the providers word them.
const SMS_FAILURES: [&str; 3] = [
    "30003: Unreachable destination handset",
    "30005: Unknown destination handset",
    "30007: Message filtered by the carrier",
];
const WHATSAPP_FAILURES: [&str; 2] = [
    "131026: Message undeliverable",
    "131047: Re-engagement message outside the 24-hour window",
];
const CARRIER_REFUSAL: &str = "21610: Attempt to send to unsubscribed recipient";

/// The steps of one thread started at `t` by `agent` on `channel`, cut at `now`.
fn thread_steps(
    rng: &mut Rng,
    t: DateTime<Utc>,
    agent: i64,
    channel: Channel,
    now: DateTime<Utc>,
) -> Vec<Step> {
    use StateName::*;
    let agent_actor = format!("user:{agent}");
    let mut steps = Vec::new();
    let step = |at, actor: &str, how, from, to, evidence| Step {
        at,
        actor: actor.to_string(),
        how,
        from,
        to,
        evidence,
        failure: None,
    };
    let mut at = t;
    let mut from = NotRequested;
    for round in 0..2 {
        let mut req = step(
            at,
            &agent_actor,
            How::AgentRequest,
            from,
            Pending,
            REQUEST_TEXT,
        );
        let roll = rng.unit();
        if channel == Channel::Sms && roll < 0.004 {
            // The carrier refuses: the contact had opted out with it.
            req.failure = Some(CARRIER_REFUSAL);
            steps.push(req);
            let s = step(
                at + Duration::seconds(2),
                "system",
                How::ProviderOptOut,
                Pending,
                OptedOut,
                CARRIER_REFUSAL,
            );
            steps.push(s);
            break;
        }
        if roll < 0.03 {
            let list: &[&str] = match channel {
                Channel::Sms => &SMS_FAILURES,
                Channel::WhatsApp => &WHATSAPP_FAILURES,
            };
            req.failure = Some(list[rng.below(list.len() as u64) as usize]);
        }
        let failed = req.failure.is_some();
        steps.push(req);
        if failed {
            break;
        }
        // The answer to this request (or to its re-prompt).
        let mut asked = at;
        let mut reprompted = false;
        loop {
            let r = rng.unit();
            let answer_at =
                asked + Duration::seconds(rng.delay(900.0, 1.8).clamp(5, RESEND_SECS - 60));
            if r < 0.58 {
                steps.push(step(
                    answer_at,
                    "contact",
                    How::Keyword,
                    Pending,
                    Accepted,
                    "YES",
                ));
                // Some accepted contacts opt out later.
                if rng.unit() < 0.05 {
                    let later = answer_at + Duration::seconds(rng.delay(10.0 * 86400.0, 1.0));
                    let (how, evidence) = match rng.below(10) {
                        0..=6 => (How::Keyword, "STOP"),
                        7 | 8 => (How::PlainLanguageRevocation, "please stop texting me"),
                        _ if channel == Channel::Sms => (How::CarrierStop, "STOP"),
                        _ => (How::Keyword, "STOP"),
                    };
                    steps.push(step(later, "contact", how, Accepted, OptedOut, evidence));
                }
                return cut(steps, now);
            } else if r < 0.68 {
                steps.push(step(
                    answer_at,
                    "contact",
                    How::Keyword,
                    Pending,
                    Rejected,
                    "NO",
                ));
                return cut(steps, now);
            } else if r < 0.73 {
                let (how, evidence) = if rng.unit() < 0.75 {
                    (How::Keyword, "STOP")
                } else {
                    (How::PlainLanguageRevocation, "remove me from your list")
                };
                steps.push(step(answer_at, "contact", how, Pending, OptedOut, evidence));
                return cut(steps, now);
            } else if r < 0.81 && !reprompted {
                // An unclear reply: the engine asks again at once.
                let mut s = step(
                    answer_at,
                    "system",
                    How::AutoReprompt,
                    Pending,
                    Pending,
                    REQUEST_TEXT,
                );
                if rng.unit() < 0.01 {
                    s.failure = Some(match channel {
                        Channel::Sms => SMS_FAILURES[0],
                        Channel::WhatsApp => WHATSAPP_FAILURES[0],
                    });
                }
                steps.push(s);
                asked = answer_at;
                reprompted = true;
                continue;
            }
            break;
        }
        // Silence: half the agents ask again once the interval has passed.
        if round == 1 || rng.unit() >= 0.5 {
            break;
        }
        at = asked + Duration::seconds(RESEND_SECS + 3600 + rng.below(72 * 3600) as i64);
        from = Pending;
    }
    cut(steps, now)
}

/// Drops what would happen after `now`.
fn cut(mut steps: Vec<Step>, now: DateTime<Utc>) -> Vec<Step> {
    steps.retain(|s| s.at <= now);
    steps
}

/// The engine's thread after `steps`.
fn final_thread(steps: &[Step]) -> Thread {
    let mut th = Thread::default();
    let mut attempts = 0u32;
    for s in steps {
        th.consent = match s.to {
            StateName::Pending => {
                attempts += s.is_request() as u32;
                ConsentState::Pending {
                    requested_at: s.at,
                    attempts,
                }
            }
            StateName::Accepted => ConsentState::Accepted { at: s.at },
            StateName::Rejected => ConsentState::Rejected { at: s.at },
            StateName::OptedOut => ConsentState::OptedOut { at: s.at },
            StateName::NotRequested => ConsentState::NotRequested,
            StateName::Notified => ConsentState::Notified { at: s.at },
        };
    }
    th
}

/// Writes one thread (contact, conversation, request messages, audit).
fn write_thread(
    c: &Conn,
    org: i64,
    number: &NumberRow,
    contact_phone: &str,
    channel: Channel,
    steps: &[Step],
    report: &mut SeedReport,
) -> Result<(), StorageError> {
    let Some(first) = steps.first() else {
        return Ok(());
    };
    let contact = storage::contact_upsert(c, org, contact_phone, None, "America/New_York")?;
    let (conv, _) = storage::conversation_get_or_create(
        c,
        org,
        number.id,
        contact.id,
        channel,
        &fmt(first.at),
    )?;
    let provider = number.provider.for_channel(channel);
    for s in steps {
        let at = fmt(s.at);
        if s.is_request() {
            let m = storage::message_insert(
                c,
                &NewMessage {
                    conversation_id: conv,
                    direction: Direction::Outbound,
                    kind: MessageKind::Automatic,
                    body: s.evidence,
                    status: if s.failure.is_some() {
                        DeliveryStatus::Queued
                    } else {
                        DeliveryStatus::Delivered
                    },
                    provider,
                    provider_message_id: None,
                    user_id: number.user_id,
                    template: channel == Channel::WhatsApp,
                },
                &at,
            )?;
            if let Some(err) = s.failure {
                storage::outbound_finish(c, m.id, number.id, provider, SendResult::Failed(err), 1)?;
                report.failed_sends += 1;
            }
        }
        storage::audit_insert(
            c,
            &AuditRow {
                id: 0,
                org_id: org,
                at,
                number: number.e164.clone(),
                contact: contact_phone.to_string(),
                channel,
                actor: s.actor.clone(),
                // As the consent layer writes it: `to:how` on a change.
                action: if s.from != s.to {
                    format!("{}:{}", s.to.as_str(), s.how.as_str())
                } else {
                    s.how.as_str().to_string()
                },
                from_state: s.from.as_str().into(),
                to_state: s.to.as_str().into(),
                evidence: s.evidence.to_string(),
                request_text: Some(REQUEST_TEXT.to_string()),
                provider_message_id: None,
                source: Some(provider.as_str().to_string()),
                signature_verified: false,
                template_name: None,
                template_language: None,
            },
        )?;
        report.audit_rows += 1;
    }
    storage::thread_put(c, conv, &final_thread(steps))?;
    report.threads += 1;
    Ok(())
}

/// Seeds at least `rows` audit records (whole threads) for `org` (the first
/// organization when `None`), spread over the `days` before now.
pub async fn seed_audit(
    db: &Db,
    org: Option<i64>,
    rows: u64,
    days: i64,
    seed: u64,
    mut progress: impl FnMut(&SeedReport),
) -> Result<SeedReport, String> {
    let (org, numbers) = db
        .read(move |c| -> Result<_, StorageError> {
            let org = match org {
                Some(o) => Some(o),
                None => c.query_row(
                    "SELECT MIN(id) FROM organizations",
                    crate::storage::sql::NO_PARAMS,
                    |r| r.get(0),
                )?,
            };
            let numbers = match org {
                Some(o) => storage::numbers_in_org(c, o)?,
                None => Vec::new(),
            };
            Ok((org, numbers))
        })
        .await
        .map_err(|e| e.to_string())?;
    let org = org.ok_or("no organization: create one first (init-org or --demo)")?;
    let numbers: Vec<NumberRow> = numbers
        .into_iter()
        .filter(|n| n.user_id.is_some())
        .collect();
    if numbers.is_empty() {
        return Err(format!(
            "organization {org} has no agent with a business number"
        ));
    }
    let now = Utc::now();
    let start = now - Duration::days(days.max(1));
    let span = (now - start).num_seconds();
    // Threads start in time order, so ids follow time roughly as in life.
    let expected_threads = (rows / 2).max(1);
    let mut rng = Rng(seed);
    let mut total = SeedReport::default();
    let mut i: u64 = 0;
    // A random block of contact numbers per run, so runs do not collide.
    let base = rng.below(1_000_000) * 1000;
    while total.audit_rows < rows {
        let mut batch = Vec::new();
        for _ in 0..THREADS_PER_BATCH {
            let offset =
                (i.min(expected_threads) as i128 * span as i128 / expected_threads as i128) as i64;
            let t = (start + Duration::seconds(offset + rng.below(600) as i64))
                .min(now - Duration::minutes(1));
            let number = numbers[rng.below(numbers.len() as u64) as usize].clone();
            let channel = if rng.unit() < 0.7 {
                Channel::Sms
            } else {
                Channel::WhatsApp
            };
            let steps = thread_steps(&mut rng, t, number.user_id.unwrap_or(0), channel, now);
            let n = base + i;
            let phone = format!("+1{}{:07}", 202 + (n / 10_000_000) % 700, n % 10_000_000);
            batch.push((number, phone, channel, steps));
            i += 1;
        }
        let need = rows - total.audit_rows;
        let part = db
            .write(move |c| -> Result<SeedReport, StorageError> {
                let mut r = SeedReport::default();
                for (number, phone, channel, steps) in &batch {
                    if r.audit_rows >= need {
                        break;
                    }
                    write_thread(c, org, number, phone, *channel, steps, &mut r)?;
                }
                Ok(r)
            })
            .await
            .map_err(|e| e.to_string())?;
        total.audit_rows += part.audit_rows;
        total.threads += part.threads;
        total.failed_sends += part.failed_sends;
        progress(&total);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_follow_the_rules_shape() {
        let mut rng = Rng(7);
        let now = Utc::now();
        let (mut accepted, mut threads, mut rows) = (0, 0, 0);
        for i in 0..5000 {
            let t = now - Duration::days(60) + Duration::minutes(i);
            let ch = if i % 3 == 0 {
                Channel::WhatsApp
            } else {
                Channel::Sms
            };
            let steps = thread_steps(&mut rng, t, 3, ch, now);
            assert!(steps[0].how == How::AgentRequest && steps[0].from == StateName::NotRequested);
            for w in steps.windows(2) {
                assert_eq!(w[0].to, w[1].from, "states chain");
                assert!(w[0].at <= w[1].at, "time moves on");
            }
            accepted += steps.iter().filter(|s| s.to == StateName::Accepted).count();
            threads += 1;
            rows += steps.len();
        }
        // Most threads get an answer; about 2.5 records per thread.
        let rate = accepted as f64 / threads as f64;
        assert!((0.5..0.8).contains(&rate), "{rate}");
        let per = rows as f64 / threads as f64;
        assert!((1.8..3.2).contains(&per), "{per}");
    }

    #[test]
    fn nothing_happens_after_now() {
        let mut rng = Rng(1);
        let now = Utc::now();
        for _ in 0..2000 {
            let steps = thread_steps(&mut rng, now - Duration::hours(1), 1, Channel::Sms, now);
            assert!(steps.iter().all(|s| s.at <= now));
        }
    }
}
