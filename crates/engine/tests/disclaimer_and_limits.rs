//! Unit tests for disclaimer mode (rule 15) and SMS segment limits in
//! `validate` (rule 17). Scenario-level behaviour is in vectors 90–99.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{TimeZone, Utc};
use optline_engine::flow::message_sms_count;
use optline_engine::*;

fn codes(f: &Flow, ch: Channel) -> Vec<(String, String)> {
    match validate(f, ch) {
        Ok(_) => vec![],
        Err(ps) => ps.into_iter().map(|p| (p.field, p.code)).collect(),
    }
}

#[test]
fn placeholders_count_filled_not_as_written() {
    // 150 GSM-7 characters as written: one segment. {company} is counted
    // as 30 characters, so once filled it needs two.
    let text = format!("{{company}} {}", "a".repeat(140));
    assert_eq!(text.chars().count(), 150);
    assert_eq!(sms_count(&text).segments, 1);
    assert_eq!(message_sms_count(&text).segments, 2);
    let mut f = Flow {
        max_sms_segments: 1,
        ..Flow::default()
    };
    f.messages.help = text;
    assert!(codes(&f, Channel::Sms)
        .contains(&("messages.help".into(), "message_too_many_segments".into())));
}

#[test]
fn channel_placeholder_counts_as_sms() {
    assert_eq!(message_sms_count("{channel}").units, 3);
}

#[test]
fn default_flow_fits_the_default_two_segments() {
    assert!(validate(&Flow::default(), Channel::Sms).is_ok());
    let f = Flow {
        mode: FlowMode::Disclaimer,
        ..Flow::default()
    };
    assert!(validate(&f, Channel::Sms).is_ok());
    assert!(validate(&f, Channel::WhatsApp).is_ok());
}

#[test]
fn stored_flows_without_the_new_fields_still_load() {
    let f: Flow = serde_json::from_str(r#"{"resend_interval_minutes": 120}"#).unwrap();
    assert_eq!(f.max_sms_segments, 2);
    assert_eq!(f.mode, FlowMode::Consent);
    assert!(f.disclaimer_notice.contains("STOP"));
}

#[test]
fn the_notice_is_only_checked_in_disclaimer_mode() {
    let mut f = Flow {
        disclaimer_notice: String::new(),
        ..Flow::default()
    };
    assert!(validate(&f, Channel::Sms).is_ok());
    f.mode = FlowMode::Disclaimer;
    assert_eq!(
        codes(&f, Channel::Sms),
        vec![("disclaimer_notice".into(), "message_empty".into())]
    );
}

#[test]
fn the_notice_may_name_any_stop_keyword_of_the_flow() {
    let mut f = Flow {
        mode: FlowMode::Disclaimer,
        ..Flow::default()
    };
    f.keywords.stop.push("BAJA".into());
    f.disclaimer_notice = "{company}: responda BAJA para no recibir más mensajes.".into();
    assert!(validate(&f, Channel::Sms).is_ok());
    f.disclaimer_notice = "{company}: stopping by soon?".into();
    assert_eq!(
        codes(&f, Channel::Sms),
        vec![("disclaimer_notice".into(), "notice_missing_opt_out".into())]
    );
}

#[test]
fn the_notice_is_limited_in_segments_and_placeholders_like_other_texts() {
    let mut f = Flow {
        mode: FlowMode::Disclaimer,
        ..Flow::default()
    };
    f.disclaimer_notice = format!("{{boss}} Reply STOP to opt out. {}", "a".repeat(300));
    let c = codes(&f, Channel::Sms);
    assert!(c.contains(&(
        "disclaimer_notice".into(),
        "message_too_many_segments".into()
    )));
    assert!(c.contains(&("disclaimer_notice".into(), "unknown_placeholder".into())));
}

#[test]
fn notified_is_a_named_state_with_a_label() {
    assert_eq!(StateName::parse("notified"), Some(StateName::Notified));
    assert_eq!(
        ConsentStatus::parse("notified"),
        Some(ConsentStatus::Notified)
    );
    assert_eq!(StateName::Notified.label(), "Notified");
    assert_eq!(ConsentStatus::Notified.state(), StateName::Notified);
    let at = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
    let s = ConsentState::Notified { at };
    assert_eq!(s.since(), Some(at));
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(json["state"], "notified");
}

#[test]
fn composer_words() {
    assert_eq!(texts::sms_segments(&sms_count("hi")), "1 SMS segment");
    assert_eq!(
        texts::sms_segments(&sms_count(&"a".repeat(161))),
        "2 SMS segments"
    );
    assert_eq!(
        texts::sms_segments(&sms_count(&format!("{}😀", "a".repeat(70)))),
        "2 SMS segments (Unicode)"
    );
}

mod disclaimer_property {
    use super::*;
    use chrono::TimeDelta;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            3 => prop::sample::select(vec!["hello", "", "  "]).prop_map(|t| Event::AgentSends {
                agent: UserId(1),
                text: t.to_string(),
            }),
            1 => Just(Event::AgentRequestsOptIn { agent: UserId(1) }),
            3 => prop::sample::select(vec!["STOP", "HELP", "YES", "NO", "hi", "S T O P", "START"])
                .prop_map(|t| Event::Inbound {
                    text: t.to_string(),
                    provider_message_id: None,
                }),
            1 => Just(Event::ClockTick),
        ]
    }

    proptest! {
        /// In disclaimer mode the notice goes out exactly once per thread
        /// that was never asked, always just before the agent's first
        /// message, always audited with its exact text; Notified is reached
        /// no other way; and an opted-out contact never gets an agent
        /// message.
        #[test]
        fn the_notice_precedes_the_first_message_and_only_that(
            ch in prop::sample::select(vec![Channel::Sms, Channel::WhatsApp]),
            trace in prop::collection::vec((0i64..40_000, event()), 1..30),
        ) {
            let flow = validate(&Flow { mode: FlowMode::Disclaimer, ..Flow::default() }, ch).unwrap();
            let mut now = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
            let mut thread = Thread::default();
            let mut holder = None;
            for (dt, ev) in trace {
                now += TimeDelta::seconds(dt);
                let mut ctx = Context::new(now, ch);
                ctx.holder = holder;
                ctx.company = "Acme".into();
                let s = step(&flow, &ctx, &thread, &ev);
                let kinds: Vec<OutboundKind> = s.outbound.iter().map(|o| o.kind).collect();
                let notified_now = thread.consent.name() != StateName::Notified
                    && s.thread.consent.name() == StateName::Notified;
                if notified_now {
                    prop_assert!(thread.consent == ConsentState::NotRequested);
                    let by_agent_message = matches!(ev, Event::AgentSends { .. });
                    prop_assert!(by_agent_message);
                    prop_assert_eq!(&kinds, &vec![OutboundKind::DisclaimerNotice, OutboundKind::AgentMessage]);
                    prop_assert_eq!(s.audit.len(), 1);
                    prop_assert_eq!(s.audit[0].how, How::Disclaimer);
                    prop_assert_eq!(&s.audit[0].evidence, &s.outbound[0].text);
                } else {
                    prop_assert!(!kinds.contains(&OutboundKind::DisclaimerNotice));
                }
                if kinds.contains(&OutboundKind::AgentMessage) {
                    let blocked = matches!(
                        thread.consent,
                        ConsentState::OptedOut { .. } | ConsentState::Rejected { .. }
                    );
                    prop_assert!(!blocked);
                }
                holder = s.holder;
                thread = s.thread;
            }
        }
    }
}
