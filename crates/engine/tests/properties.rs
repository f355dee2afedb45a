//! Property tests (proptest). The last one doubles as the fuzz target: any
//! flow, any text, any time, any offset — `validate`, `step` and
//! `agent_actions` never panic. Raise the case count with
//! `PROPTEST_CASES=100000 cargo test -p optline-engine --test properties`.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use optline_engine::*;
use proptest::prelude::*;

/// `PROPTEST_CASES` when set, else the given default.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap()
}

/// Texts a contact might send: keywords, near-keywords, revocations,
/// multilingual chatter, emoji, and arbitrary strings.
fn inbound_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "YES", "yes", " Yes! ", "ＹＥＳ", "👍 yes", "NO", "no thanks", "STOP", "stop",
            "please stop texting me", "unsubscribe me", "HELP", "info", "START", "UNSTOP",
            "yes but not now", "yes stop", "Sí", "oui", "はい", "Who is this?", "ok", "",
            "cancel my appointment", "END", "quit", "🙂", "I'm away", "yesno", "y e s",
        ]).prop_map(String::from),
        1 => any::<String>(),
        1 => "[a-zA-Z !?.'’]{0,40}",
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => (1i64..4).prop_map(|a| Event::AgentRequestsOptIn { agent: UserId(a) }),
        2 => (1i64..4, "[a-z ]{0,12}").prop_map(|(a, t)| Event::AgentSends { agent: UserId(a), text: t }),
        6 => (inbound_text(), proptest::option::of("[A-Za-z0-9.]{1,12}"))
            .prop_map(|(text, provider_message_id)| Event::Inbound { text, provider_message_id }),
        1 => (any::<bool>(), 9i64..10).prop_map(|(enabled, by)| Event::ChannelToggled { enabled, by: UserId(by) }),
        1 => (proptest::option::of(1i64..4), 9i64..10).prop_map(|(to, by)| Event::Reassigned { to: to.map(UserId), by: UserId(by) }),
        1 => Just(Event::ClockTick),
        2 => (button_payload(), inbound_text(), proptest::option::of("[A-Za-z0-9.]{1,12}"))
            .prop_map(|(payload, label, provider_message_id)| Event::ButtonReply { payload, label, provider_message_id }),
        1 => (recorder(), "[a-z ]{0,12}").prop_map(|(by, note)| Event::ManualOptOut { by, note }),
        1 => (recorder(), "[a-z ]{0,6}", "[a-z ]{0,6}")
            .prop_map(|(by, reference, agreed_text)| Event::ManualOptIn { by, reference, agreed_text }),
    ]
}

/// The flows' quick-reply payloads (see `flow_strategy`), near misses and
/// anything.
fn button_payload() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["OPTIN_YES", "OPTIN_NO", "optin_yes", "OPTIN_YES ", "YES", "STOP", ""])
            .prop_map(String::from),
        1 => any::<String>(),
    ]
}

/// Who records by hand: agents, admins, and actors who may not.
fn recorder() -> impl Strategy<Value = Actor> {
    prop_oneof![
        (1i64..4).prop_map(|id| Actor::Agent { id: UserId(id) }),
        (9i64..10).prop_map(|id| Actor::Admin { id: UserId(id) }),
        Just(Actor::Contact),
        Just(Actor::System),
    ]
}

/// (seconds since the previous event, channel enabled, offset, event)
fn trace() -> impl Strategy<Value = (Channel, Vec<(i64, bool, i32, Event)>)> {
    (
        prop::sample::select(vec![Channel::Sms, Channel::WhatsApp]),
        prop::collection::vec(
            (
                prop_oneof![0i64..120, 0i64..7200, 0i64..200_000],
                prop::bool::weighted(0.9),
                prop::sample::select(vec![-36_000, -18_000, 0, 3_600, 32_400, 50_400]),
                event(),
            ),
            1..40,
        ),
    )
}

fn flow_strategy() -> impl Strategy<Value = Flow> {
    // Every property holds with WhatsApp buttons (rule 14) and in
    // disclaimer mode (rule 15) too.
    (
        60u32..3000,
        0u32..4,
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(interval, max, quiet, buttons, disclaimer)| {
            let d = Flow::default();
            let mut whatsapp_template = WhatsAppTemplate::default();
            if buttons {
                whatsapp_template.accept_payload = "OPTIN_YES".into();
                whatsapp_template.decline_payload = "OPTIN_NO".into();
            }
            Flow {
                whatsapp_template,
                resend_interval_minutes: interval,
                reprompt: Reprompt {
                    max_auto_reprompts: max,
                },
                quiet_hours: if quiet { d.quiet_hours.clone() } else { None },
                mode: if disclaimer {
                    FlowMode::Disclaimer
                } else {
                    FlowMode::Consent
                },
                ..d
            }
        })
}

struct Run {
    flow: ValidFlow,
    channel: Channel,
}

/// Replays a trace, calling `check(prev_thread, ctx, event, step)` per step.
fn replay(
    run: &Run,
    trace: &[(i64, bool, i32, Event)],
    mut check: impl FnMut(&Thread, &Context, &Event, &Step),
) {
    let mut now = t0();
    let mut thread = Thread::default();
    let mut holder = None;
    for (dt, enabled, offset, ev) in trace {
        now += TimeDelta::seconds(*dt);
        let mut ctx = Context::new(now, run.channel);
        ctx.channel_enabled = *enabled;
        ctx.contact_utc_offset_seconds = *offset;
        ctx.holder = holder;
        ctx.company = "Acme".into();
        let s = step(&run.flow, &ctx, &thread, ev);
        // The preview query must agree with step on agent actions.
        if let Event::AgentRequestsOptIn { agent } | Event::AgentSends { agent, .. } = ev {
            let a = agent_actions(&run.flow, &ctx, &thread, *agent);
            let pre = if matches!(ev, Event::AgentRequestsOptIn { .. }) {
                &a.request_opt_in
            } else {
                &a.send
            };
            match (&s.verdict, pre) {
                (Verdict::Allowed, Ok(())) => {}
                (Verdict::Refused(r), Err(p)) => assert_eq!(r, p),
                (Verdict::Refused(r), Ok(())) => assert_eq!(r.code, RefusalCode::EmptyMessage),
                (v, p) => panic!("agent_actions {p:?} disagrees with step {v:?}"),
            }
        }
        // …and so must the "Record…" query on manual records.
        let manual = match ev {
            Event::ManualOptOut { by, .. } => {
                Some((manual_actions(&thread, *by).record_opt_out, by))
            }
            Event::ManualOptIn { by, .. } => Some((manual_actions(&thread, *by).record_opt_in, by)),
            _ => None,
        };
        if let Some((pre, _)) = manual {
            match (&s.verdict, &pre) {
                (Verdict::Allowed, Ok(())) => {}
                (Verdict::Refused(r), Err(p)) => assert_eq!(r, p),
                (Verdict::Refused(r), Ok(())) => assert!(r.code.field().is_some(), "{r:?}"),
                (v, p) => panic!("manual_actions {p:?} disagrees with step {v:?}"),
            }
        }
        check(&thread, &ctx, ev, &s);
        holder = s.holder;
        thread = s.thread;
    }
}

fn is_accept_keyword(flow: &ValidFlow, text: &str) -> bool {
    matches!(
        flow.classify(text),
        Intent::Keyword {
            set: KeywordSet::Accept | KeywordSet::Start,
            ..
        }
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    /// Consent is never assumed: Accepted is reached only by an inbound
    /// accept or START keyword on an enabled channel, the exact accept
    /// payload of a WhatsApp button (never its label), or an admin's
    /// recorded opt-in with its evidence (rule 13: agents never).
    #[test]
    fn accepted_only_by_inbound_accept_keyword(f in flow_strategy(), (ch, tr) in trace()) {
        let run = Run { flow: validate(&f, ch).unwrap(), channel: ch };
        replay(&run, &tr, |prev, ctx, ev, s| {
            if prev.consent.name() != StateName::Accepted && s.thread.consent.name() == StateName::Accepted {
                match ev {
                    Event::Inbound { text, .. } => {
                        assert!(ctx.channel_enabled);
                        assert!(is_accept_keyword(&run.flow, text), "accepted on {text:?}");
                    }
                    Event::ButtonReply { payload, .. } => {
                        assert!(ctx.channel_enabled);
                        assert_eq!(ch, Channel::WhatsApp);
                        assert_eq!(payload, "OPTIN_YES", "accepted on payload {payload:?}");
                    }
                    Event::ManualOptIn { by, reference, agreed_text } => {
                        assert!(matches!(by, Actor::Admin { .. }), "opt-in recorded by {by:?}");
                        assert!(!reference.trim().is_empty() && !agreed_text.trim().is_empty());
                    }
                    other => panic!("accepted on {other:?}"),
                }
            }
        });
    }

    /// After Rejected or OptedOut no agent request ever sends a request, and
    /// no automatic re-prompt goes out either.
    #[test]
    fn no_request_after_rejected_or_opted_out(f in flow_strategy(), (ch, tr) in trace()) {
        let run = Run { flow: validate(&f, ch).unwrap(), channel: ch };
        replay(&run, &tr, |prev, _ctx, _ev, s| {
            if matches!(prev.consent.name(), StateName::Rejected | StateName::OptedOut) {
                assert!(s.outbound.iter().all(|o| o.kind != OutboundKind::OptInRequest));
            }
        });
    }

    /// Two agent-initiated requests are always at least the resend interval
    /// apart (measured from the last request of any kind).
    #[test]
    fn resend_interval_never_beaten(f in flow_strategy(), (ch, tr) in trace()) {
        let run = Run { flow: validate(&f, ch).unwrap(), channel: ch };
        let interval = TimeDelta::minutes(i64::from(f.resend_interval_minutes));
        let mut last_request: Option<DateTime<Utc>> = None;
        replay(&run, &tr, |_prev, ctx, ev, s| {
            let sent = s.outbound.iter().any(|o| o.kind == OutboundKind::OptInRequest);
            if sent {
                if let (Event::AgentRequestsOptIn { .. }, Some(last)) = (ev, last_request) {
                    assert!(ctx.now - last >= interval, "request at {} after {}", ctx.now, last);
                }
                last_request = Some(ctx.now);
            }
        });
    }

    /// Every consent change (including each new request while Pending)
    /// yields an audit record naming the transition.
    #[test]
    fn every_transition_is_audited(f in flow_strategy(), (ch, tr) in trace()) {
        let run = Run { flow: validate(&f, ch).unwrap(), channel: ch };
        replay(&run, &tr, |prev, ctx, _ev, s| {
            if prev.consent != s.thread.consent {
                let from = prev.consent.name();
                let to = s.thread.consent.name();
                assert!(
                    s.audit.iter().any(|a| a.from == from && a.to == to && a.at == ctx.now),
                    "{from:?} -> {to:?} without audit: {:?}", s.audit
                );
            }
            // Every request sent is evidenced by the exact text.
            for o in s.outbound.iter().filter(|o| o.kind == OutboundKind::OptInRequest) {
                assert!(s.audit.iter().any(|a| a.evidence == o.text));
            }
        });
    }

    /// After opting out the contact receives exactly one confirmation and
    /// nothing more, except HELP replies and a new opt-in confirmation.
    #[test]
    fn one_confirmation_after_opt_out(f in flow_strategy(), (ch, tr) in trace()) {
        let run = Run { flow: validate(&f, ch).unwrap(), channel: ch };
        replay(&run, &tr, |prev, _ctx, _ev, s| {
            if prev.consent.name() == StateName::OptedOut {
                for o in &s.outbound {
                    assert!(matches!(o.kind, OutboundKind::Help | OutboundKind::OptInConfirmation | OutboundKind::ChannelOffAutoReply), "{o:?}");
                }
            }
        });
    }
}

// ---- The fuzz target: arbitrary flows, texts, times, offsets ----------------

fn any_flow() -> impl Strategy<Value = Flow> {
    let words = prop::collection::vec(any::<String>(), 0..4);
    let kw = prop::collection::vec(prop_oneof![any::<String>(), "[A-Za-zÍíはい ]{0,6}"], 0..4);
    let msg = prop_oneof![
        any::<String>(),
        "[{}a-z YESNOSTART]{0,80}",
        Just("Reply YES or NO, STOP. START {company} {agent} {contact} {channel}".to_string())
    ];
    (
        (kw.clone(), kw.clone(), kw.clone(), kw, words),
        (
            msg.clone(),
            msg.clone(),
            msg.clone(),
            msg.clone(),
            msg.clone(),
            msg.clone(),
        ),
        any::<u32>(),
        any::<u32>(),
        proptest::option::of(("[0-9:]{0,6}", "[0-9:]{0,6}")),
        any::<String>(),
        (prop_oneof![0u32..12, any::<u32>()], any::<bool>(), msg),
    )
        .prop_map(
            |((a, r, s, st, h), (m1, m2, m3, m4, m5, m6), interval, max, q, tz, (seg, d, n))| {
                Flow {
                    keywords: Keywords {
                        accept: a,
                        reject: r,
                        stop: s,
                        start: st,
                        help: h,
                    },
                    messages: Messages {
                        request: m1,
                        accepted: m2,
                        rejected: m3,
                        opted_out: m4,
                        help: m5,
                        channel_off: m6,
                    },
                    resend_interval_minutes: interval,
                    reprompt: Reprompt {
                        max_auto_reprompts: max,
                    },
                    quiet_hours: q.map(|(start, end)| QuietHours { start, end }),
                    default_time_zone: tz,
                    max_sms_segments: seg,
                    mode: if d {
                        FlowMode::Disclaimer
                    } else {
                        FlowMode::Consent
                    },
                    disclaimer_notice: n,
                    ..Flow::default()
                }
            },
        )
}

fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    prop_oneof![
        (min..=max).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        (0i64..4_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
    ]
}

fn any_consent() -> impl Strategy<Value = ConsentState> {
    prop_oneof![
        Just(ConsentState::NotRequested),
        any_time().prop_map(|at| ConsentState::Notified { at }),
        (any_time(), any::<u32>()).prop_map(|(requested_at, attempts)| ConsentState::Pending {
            requested_at,
            attempts
        }),
        any_time().prop_map(|at| ConsentState::Accepted { at }),
        any_time().prop_map(|at| ConsentState::Rejected { at }),
        any_time().prop_map(|at| ConsentState::OptedOut { at }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3000), ..ProptestConfig::default() })]

    #[test]
    fn never_panics(
        f in prop_oneof![any_flow(), Just(Flow::default())],
        ch in prop::sample::select(vec![Channel::Sms, Channel::WhatsApp]),
        consent in any_consent(),
        last_in in proptest::option::of(any_time()),
        reprompts in any::<u32>(),
        now in any_time(),
        offset in any::<i32>(),
        enabled in any::<bool>(),
        holder in proptest::option::of(any::<i64>()),
        text in any::<String>(),
        agent in any::<i64>(),
    ) {
        // validate never panics; when it accepts, deciding never panics.
        let mut flows = vec![];
        let checked = validate(&f, ch);
        // Its quiet form (the agent's app) accepts exactly the same flows.
        prop_assert_eq!(validate_quietly(&f, ch), checked.clone().ok());
        if let Ok(v) = checked { flows.push(v); }
        flows.push(validate(&Flow::default(), ch).unwrap());
        let thread = Thread { consent, last_inbound_at: last_in, auto_reprompts: reprompts, last_channel_off_reply_at: last_in };
        let mut ctx = Context::new(now, ch);
        ctx.contact_utc_offset_seconds = offset;
        ctx.channel_enabled = enabled;
        ctx.holder = holder.map(UserId);
        ctx.company = text.clone();
        let events = [
            Event::Inbound { text: text.clone(), provider_message_id: Some(text.clone()) },
            Event::AgentRequestsOptIn { agent: UserId(agent) },
            Event::AgentSends { agent: UserId(agent), text: text.clone() },
            Event::ClockTick,
            Event::ChannelToggled { enabled, by: UserId(agent) },
            Event::Reassigned { to: holder.map(UserId), by: UserId(agent) },
            Event::ButtonReply { payload: text.clone(), label: text.clone(), provider_message_id: None },
            Event::ManualOptOut { by: Actor::Agent { id: UserId(agent) }, note: text.clone() },
            Event::ManualOptIn { by: Actor::Admin { id: UserId(agent) }, reference: text.clone(), agreed_text: text.clone() },
        ];
        for vf in &flows {
            let _ = vf.classify(&text);
            let _ = normalize(&text);
            let _ = agent_actions(vf, &ctx, &thread, UserId(agent));
            for e in &events {
                let s = step(vf, &ctx, &thread, e);
                let _ = serde_json::to_string(&s).unwrap();
            }
        }
    }
}

/// Disguises `word` the ways rule 13 lists: invisible format characters,
/// Cyrillic/Greek look-alikes, letters separated by spaces, dots or dashes.
fn disguise(word: &str, ops: &[(u8, u8)]) -> String {
    const INVISIBLE: [char; 7] = [
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{200F}',
    ];
    let look_alike = |c: char| match c.to_ascii_uppercase() {
        'S' => 'Ѕ',
        'T' => 'Т',
        'O' => 'О',
        'P' => 'Р',
        'E' => 'Е',
        'Y' => 'У',
        'A' => 'А',
        _ => c,
    };
    let separated = ops.iter().any(|(k, _)| k % 4 == 3);
    let sep = [" ", ".", "-", " . "][ops.first().map_or(0, |o| o.1 as usize % 4)];
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        if separated && i > 0 {
            out.push_str(sep);
        }
        let mut c = c;
        for (k, at) in ops {
            if *at as usize % word.len().max(1) == i {
                match k % 4 {
                    0 | 1 => out.push(INVISIBLE[*k as usize % INVISIBLE.len()]),
                    2 => c = look_alike(c),
                    _ => {}
                }
            }
        }
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    /// Rule 13: a disguised stop word is always a revocation, and the same
    /// disguises never make an accept or START keyword count as consent
    /// unless the text is exactly that keyword.
    #[test]
    fn disguises_revoke_but_never_consent(
        ops in prop::collection::vec((any::<u8>(), any::<u8>()), 1..5),
        stop in prop::sample::select(STANDARD_STOP_WORDS.to_vec()),
        accept in prop::sample::select(vec!["YES", "START", "UNSTOP", "SI", "OK"]),
    ) {
        let mut f = Flow::default_for(Channel::Sms);
        if !f.keywords.accept.iter().any(|w| w == accept) && !f.keywords.start.iter().any(|w| w == accept) {
            f.keywords.accept.push(accept.to_string());
        }
        let flow = validate(&f, Channel::Sms).unwrap();
        let s = disguise(stop, &ops);
        let revoked = matches!(
            flow.classify(&s),
            Intent::Keyword { set: KeywordSet::Stop, .. } | Intent::Revocation { .. }
        );
        prop_assert!(revoked, "{s:?} ({:?}) did not revoke", s.chars().map(|c| c as u32).collect::<Vec<_>>());
        let a = disguise(accept, &ops);
        if is_accept_keyword(&flow, &a) {
            let n = normalize(&a);
            prop_assert!(
                f.keywords.accept.iter().chain(&f.keywords.start).any(|k| normalize(k) == n),
                "{a:?} was read as consent"
            );
        }
    }
}
