//! The benchmark workload, shared by the native criterion bench
//! (benches/step.rs) and the wasm bench (examples/wasm_bench.rs), so both
//! measure exactly the same decisions.
//!
//! "Realistic mixed traffic": threads in every state on both channels, with
//! inbound texts in several languages (keywords, keyword-like sentences,
//! revocations, emoji, full-width forms, long chit-chat), agent requests and
//! agent messages. Deterministic (a fixed LCG), no clock.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use optline_engine::*;

pub struct Case {
    pub channel: usize, // 0 = SMS, 1 = WhatsApp
    pub ctx: Context,
    pub thread: Thread,
    pub event: Event,
}

const TEXTS: &[&str] = &[
    "YES",
    "yes",
    "Yes!",
    " yes 👍",
    "ＹＥＳ",
    "no",
    "No thanks",
    "STOP",
    "stop",
    "please stop texting me",
    "Unsubscribe me now",
    "HELP",
    "info",
    "START",
    "Who is this?",
    "yes but not now",
    "Sí, claro",
    "sí",
    "No me escriban más",
    "Oui",
    "Merci, à demain !",
    "はい",
    "はい、お願いします",
    "Danke, bis morgen",
    "I need to cancel my appointment for tomorrow, can we move it to Friday afternoon?",
    "Hi Ana, running 10 minutes late 🚗💨 sorry!!",
    "ok",
    "Thanks so much for the reminder, see you then.",
    "can you send me the invoice again? the last one had the wrong address on it",
    "😀",
    "end",
    "What time do you open on Saturdays?",
];

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

pub fn flows() -> [ValidFlow; 2] {
    [
        validate(&Flow::default_for(Channel::Sms), Channel::Sms).expect("default SMS flow"),
        validate(&Flow::default_for(Channel::WhatsApp), Channel::WhatsApp)
            .expect("default WhatsApp flow"),
    ]
}

pub fn cases(n: usize) -> Vec<Case> {
    let base: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
    let mut seed = 42u64;
    (0..n)
        .map(|_| {
            let r = lcg(&mut seed);
            let channel = (r % 2) as usize;
            let now = base + chrono::TimeDelta::seconds((lcg(&mut seed) % 86_400) as i64);
            let ago = |s: u64| now - chrono::TimeDelta::seconds(s as i64);
            let consent = match lcg(&mut seed) % 10 {
                0 | 1 => ConsentState::NotRequested,
                2..=5 => ConsentState::Pending {
                    requested_at: ago(lcg(&mut seed) % 172_800),
                    attempts: 1,
                },
                6..=7 => ConsentState::Accepted { at: ago(3600) },
                8 => ConsentState::Rejected { at: ago(7200) },
                _ => ConsentState::OptedOut { at: ago(7200) },
            };
            let thread = Thread {
                consent,
                last_inbound_at: Some(ago(lcg(&mut seed) % 172_800)),
                auto_reprompts: (lcg(&mut seed) % 3) as u32,
                last_channel_off_reply_at: None,
            };
            let mut ctx = Context::new(
                now,
                if channel == 0 {
                    Channel::Sms
                } else {
                    Channel::WhatsApp
                },
            );
            ctx.company = "Acme Dental".into();
            ctx.agent_name = "Ana".into();
            ctx.contact_name = "Bo".into();
            ctx.contact_utc_offset_seconds =
                [-18_000, 0, 3_600, 32_400][(lcg(&mut seed) % 4) as usize];
            ctx.channel_enabled = !lcg(&mut seed).is_multiple_of(20);
            ctx.holder = match lcg(&mut seed) % 4 {
                0 => Some(UserId(2)),
                1 => None,
                _ => Some(UserId(1)),
            };
            let event = match lcg(&mut seed) % 10 {
                0..=5 => Event::Inbound {
                    text: TEXTS[(lcg(&mut seed) as usize) % TEXTS.len()].to_string(),
                    provider_message_id: Some("SM0123456789".into()),
                },
                6 | 7 => Event::AgentRequestsOptIn { agent: UserId(1) },
                8 => Event::AgentSends {
                    agent: UserId(1),
                    text: "Your appointment is confirmed for Friday at 3pm.".into(),
                },
                _ => Event::ClockTick,
            };
            Case {
                channel,
                ctx,
                thread,
                event,
            }
        })
        .collect()
}

/// Runs every case once; returns a checksum so nothing is optimised away.
pub fn run(flows: &[ValidFlow; 2], cases: &[Case]) -> u64 {
    let mut sum = 0u64;
    for c in cases {
        let s = step(&flows[c.channel], &c.ctx, &c.thread, &c.event);
        sum = sum
            .wrapping_add(s.outbound.iter().map(|o| o.text.len() as u64).sum::<u64>())
            .wrapping_add(s.audit.len() as u64)
            .wrapping_add(matches!(s.verdict, Verdict::Allowed) as u64);
    }
    sum
}
