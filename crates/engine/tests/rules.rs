//! A unit test for every rule (DESIGN.md "The rules") and every quoted
//! message. Scenario vectors cover longer stories; these pin single facts.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use optline_engine::texts;
use optline_engine::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap()
}
fn h(n: i64) -> TimeDelta {
    TimeDelta::hours(n)
}
fn flow(ch: Channel) -> ValidFlow {
    validate(&Flow::default_for(ch), ch).unwrap()
}
fn ctx(now: DateTime<Utc>, ch: Channel) -> Context {
    let mut c = Context::new(now, ch);
    c.company = "Acme Dental".into();
    c.agent_name = "Ana".into();
    c.contact_name = "Bo".into();
    c
}
const A: UserId = UserId(1);
fn req() -> Event {
    Event::AgentRequestsOptIn { agent: A }
}
fn send(t: &str) -> Event {
    Event::AgentSends {
        agent: A,
        text: t.into(),
    }
}
fn inbound(t: &str) -> Event {
    Event::Inbound {
        text: t.into(),
        provider_message_id: Some("pm-1".into()),
    }
}
fn refusal(s: &Step) -> &Refusal {
    match &s.verdict {
        Verdict::Refused(r) => r,
        Verdict::Allowed => panic!("expected a refusal, got Allowed: {s:?}"),
    }
}
fn pending(at: DateTime<Utc>) -> Thread {
    Thread {
        consent: ConsentState::Pending {
            requested_at: at,
            attempts: 1,
        },
        ..Thread::default()
    }
}
fn accepted(at: DateTime<Utc>) -> Thread {
    Thread {
        consent: ConsentState::Accepted { at },
        last_inbound_at: Some(at),
        ..Thread::default()
    }
}

// ---- Rule 1: gate ----------------------------------------------------------

#[test]
fn rule1_send_refused_unless_accepted() {
    let f = flow(Channel::Sms);
    let c = ctx(t0(), Channel::Sms);
    let s = step(&f, &c, &Thread::default(), &send("hi"));
    assert_eq!(refusal(&s).code, RefusalCode::ConsentRequired);
    assert_eq!(refusal(&s).text, texts::CONSENT_REQUIRED);
    assert!(s.outbound.is_empty());
    let s = step(&f, &c, &pending(t0()), &send("hi"));
    assert_eq!(refusal(&s).code, RefusalCode::ConsentPending);
    let s = step(&f, &c, &accepted(t0()), &send("hi"));
    assert_eq!(s.verdict, Verdict::Allowed);
    assert_eq!(s.outbound[0].kind, OutboundKind::AgentMessage);
    assert_eq!(s.outbound[0].text, "hi");
}

#[test]
fn rule1_agent_actions_offers_next_legal_action() {
    let f = flow(Channel::Sms);
    let a = agent_actions(&f, &ctx(t0(), Channel::Sms), &Thread::default(), A);
    assert!(a.send.is_err());
    assert!(a.request_opt_in.is_ok());
    assert_eq!(a.banner, texts::BANNER_NOT_REQUESTED);
}

// ---- Rule 2: request -------------------------------------------------------

#[test]
fn rule2_request_sends_flow_request_and_pends() {
    let f = flow(Channel::Sms);
    let s = step(&f, &ctx(t0(), Channel::Sms), &Thread::default(), &req());
    assert_eq!(s.verdict, Verdict::Allowed);
    assert_eq!(
        s.thread.consent,
        ConsentState::Pending {
            requested_at: t0(),
            attempts: 1
        }
    );
    assert_eq!(s.outbound.len(), 1);
    assert_eq!(s.outbound[0].kind, OutboundKind::OptInRequest);
    assert_eq!(s.outbound[0].text, "Hi Bo, this is Ana from Acme Dental. May we message you here on SMS? Reply YES to accept or NO to decline. Reply STOP at any time to opt out.");
    assert!(!s.outbound[0].template);
}

#[test]
fn rule2_default_request_says_how_to_accept_and_decline() {
    assert!(texts::DEFAULT_REQUEST.contains("Reply YES to accept"));
    assert!(texts::DEFAULT_REQUEST.contains("NO to decline"));
}

// ---- Rule 3: resend every 24 h -----------------------------------------------

#[test]
fn rule3_exact_text_after_24h() {
    assert_eq!(
        texts::REQUEST_EXPIRED_24H,
        "The contact hasn't responded to the opt-in request for more than 24 hours. You can try sending the request again."
    );
    let f = flow(Channel::Sms);
    let th = pending(t0());
    let a = agent_actions(&f, &ctx(t0() + h(24), Channel::Sms), &th, A);
    assert!(a.expired);
    assert_eq!(a.banner, texts::REQUEST_EXPIRED_24H);
    assert!(a.request_opt_in.is_ok());
    let s = step(&f, &ctx(t0() + h(24), Channel::Sms), &th, &Event::ClockTick);
    assert_eq!(s.notice.unwrap().text, texts::REQUEST_EXPIRED_24H);
}

#[test]
fn rule3_refused_before_interval_with_time_left() {
    let f = flow(Channel::Sms);
    let s = step(&f, &ctx(t0() + h(20), Channel::Sms), &pending(t0()), &req());
    let r = refusal(&s);
    assert_eq!(r.code, RefusalCode::ResendTooSoon);
    assert_eq!(r.retry_at, Some(t0() + h(24)));
    assert_eq!(r.text, "An opt-in request is already waiting for the contact's reply. You can send it again in 4 h.");
    assert!(s.outbound.is_empty());
}

#[test]
fn rule3_custom_interval_keeps_sentence_shape() {
    assert_eq!(texts::request_expired(24 * 60), texts::REQUEST_EXPIRED_24H);
    assert_eq!(
        texts::request_expired(120),
        "The contact hasn't responded to the opt-in request for more than 2 hours. You can try sending the request again."
    );
    assert_eq!(
        texts::request_expired(90),
        "The contact hasn't responded to the opt-in request for more than 90 minutes. You can try sending the request again."
    );
    assert!(texts::request_expired(60).contains("more than 1 hour."));
}

// ---- Rule 4: accept --------------------------------------------------------

#[test]
fn rule4_accept_keyword_variants() {
    let f = flow(Channel::Sms);
    for t in [
        "YES",
        "yes",
        " Yes. ",
        "yes!!!",
        "👍yes👍",
        "ＹＥＳ",
        "\tYES\n",
        "«Yes»",
    ] {
        let s = step(&f, &ctx(t0(), Channel::Sms), &pending(t0()), &inbound(t));
        assert_eq!(s.thread.consent.name(), StateName::Accepted, "{t:?}");
        assert_eq!(s.outbound[0].kind, OutboundKind::OptInConfirmation);
        assert_eq!(s.notice.as_ref().unwrap().code, NoticeCode::ContactAccepted);
    }
}

#[test]
fn rule4_sentence_is_not_consent() {
    let f = flow(Channel::Sms);
    for t in [
        "yes but not now",
        "yes please call me",
        "I guess yes?",
        "not yes",
        "yesss",
    ] {
        let s = step(&f, &ctx(t0(), Channel::Sms), &pending(t0()), &inbound(t));
        assert_ne!(s.thread.consent.name(), StateName::Accepted, "{t:?}");
    }
}

#[test]
fn rule4_non_english_keywords() {
    let mut fl = Flow::default();
    fl.keywords.accept = vec!["SÍ".into(), "OUI".into(), "JA".into(), "はい".into()];
    fl.keywords.reject = vec!["NO".into(), "NON".into(), "NEIN".into(), "いいえ".into()];
    fl.messages.request = "{company}: reply SÍ / OUI / JA / はい to accept, NO to decline.".into();
    let f = validate(&fl, Channel::WhatsApp).unwrap();
    for t in [
        "sí",
        "Si",
        "SÍ!",
        "oui",
        "Oui !",
        "ja",
        "JA.",
        "はい",
        "はい！",
        "「はい」",
        "ｓｉ",
    ] {
        let s = step(
            &f,
            &ctx(t0(), Channel::WhatsApp),
            &pending(t0()),
            &inbound(t),
        );
        assert_eq!(s.thread.consent.name(), StateName::Accepted, "{t:?}");
    }
    let s = step(
        &f,
        &ctx(t0(), Channel::WhatsApp),
        &pending(t0()),
        &inbound("いいえ"),
    );
    assert_eq!(s.thread.consent.name(), StateName::Rejected);
}

// ---- Rule 5: reject --------------------------------------------------------

#[test]
fn rule5_reject_then_requests_refused_but_contact_can_accept() {
    let f = flow(Channel::Sms);
    let s = step(&f, &ctx(t0(), Channel::Sms), &pending(t0()), &inbound("No"));
    assert_eq!(s.thread.consent.name(), StateName::Rejected);
    assert_eq!(s.outbound[0].kind, OutboundKind::RejectionConfirmation);
    assert_eq!(s.notice.as_ref().unwrap().text, texts::NOTICE_REJECTED);
    let later = step(&f, &ctx(t0() + h(24 * 90), Channel::Sms), &s.thread, &req());
    assert_eq!(refusal(&later).code, RefusalCode::Rejected);
    assert!(later.outbound.is_empty());
    let yes = step(
        &f,
        &ctx(t0() + h(48), Channel::Sms),
        &s.thread,
        &inbound("yes"),
    );
    assert_eq!(yes.thread.consent.name(), StateName::Accepted);
}

// ---- Rule 6: any other reply -----------------------------------------------

#[test]
fn rule6_other_reply_reprompts_with_loop_protection() {
    let f = flow(Channel::Sms);
    let mut th = pending(t0());
    let mut sent = 0;
    for i in 0..20 {
        let s = step(
            &f,
            &ctx(t0() + TimeDelta::seconds(i), Channel::Sms),
            &th,
            &inbound("Auto-reply: I'm away"),
        );
        sent += s.outbound.len();
        th = s.thread;
    }
    assert_eq!(sent, 2, "default flow: at most 2 automatic re-prompts");
    assert_eq!(th.consent.name(), StateName::Pending);
}

// ---- Rule 7: opt-out, plain language, HELP ---------------------------------------

#[test]
fn rule7_stop_keywords_opt_out_with_reopt_instructions() {
    let f = flow(Channel::Sms);
    for kw in [
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "REVOKE",
        "opt-out",
        "Stop.",
    ] {
        let s = step(&f, &ctx(t0(), Channel::Sms), &accepted(t0()), &inbound(kw));
        assert_eq!(s.thread.consent.name(), StateName::OptedOut, "{kw}");
        assert_eq!(s.outbound.len(), 1);
        assert_eq!(s.outbound[0].kind, OutboundKind::OptOutConfirmation);
        assert!(s.outbound[0].text.contains("reply START or YES"));
    }
}

#[test]
fn rule7_plain_language_revocation() {
    let f = flow(Channel::Sms);
    for t in [
        "please stop texting me",
        "Unsubscribe me",
        "stop sending me these messages",
        "Don't text me again",
        "remove me from your list",
        "Take me off this list please",
        "leave me alone",
        "no more texts",
        "I want to opt out",
        "no me escriban más",
        "Arrêtez de m'écrire",
        "keine Nachrichten mehr bitte",
        "ok stop",
        "STOP!!! 😡",
    ] {
        let s = step(&f, &ctx(t0(), Channel::Sms), &accepted(t0()), &inbound(t));
        assert_eq!(s.thread.consent.name(), StateName::OptedOut, "{t:?}");
        assert_eq!(s.outbound.len(), 1, "{t:?}");
    }
    for t in [
        "I need to cancel my appointment",
        "see you at the end of the week",
        "Thanks!",
        "can you text me the address",
    ] {
        let s = step(&f, &ctx(t0(), Channel::Sms), &accepted(t0()), &inbound(t));
        assert_eq!(s.thread.consent.name(), StateName::Accepted, "{t:?}");
    }
}

#[test]
fn rule7_exactly_one_confirmation() {
    let f = flow(Channel::Sms);
    let s = step(
        &f,
        &ctx(t0(), Channel::Sms),
        &accepted(t0()),
        &inbound("stop"),
    );
    let mut th = s.thread;
    for t in [
        "stop",
        "STOP",
        "please stop texting me",
        "hello?",
        "no",
        "yes but no",
    ] {
        let s = step(&f, &ctx(t0() + h(1), Channel::Sms), &th, &inbound(t));
        assert!(s.outbound.is_empty(), "{t:?}");
        th = s.thread;
    }
}

#[test]
fn rule7_opted_out_blocks_agents_and_start_reopts() {
    let f = flow(Channel::Sms);
    let th = step(
        &f,
        &ctx(t0(), Channel::Sms),
        &accepted(t0()),
        &inbound("stop"),
    )
    .thread;
    let c = ctx(t0() + h(100), Channel::Sms);
    assert_eq!(
        refusal(&step(&f, &c, &th, &send("x"))).code,
        RefusalCode::OptedOut
    );
    assert_eq!(
        refusal(&step(&f, &c, &th, &req())).code,
        RefusalCode::OptedOut
    );
    assert_eq!(
        refusal(&step(&f, &c, &th, &req())).text,
        "The contact opted out, so you can't message them or send opt-in requests. They can opt in again by replying START or YES."
    );
    assert_eq!(
        step(&f, &c, &th, &inbound("START")).thread.consent.name(),
        StateName::Accepted
    );
    assert_eq!(
        step(&f, &c, &th, &inbound("yes")).thread.consent.name(),
        StateName::Accepted
    );
}

#[test]
fn rule7_help_changes_nothing() {
    let f = flow(Channel::Sms);
    for th in [Thread::default(), pending(t0()), accepted(t0())] {
        for kw in ["HELP", "info", "Help?"] {
            let s = step(&f, &ctx(t0(), Channel::Sms), &th, &inbound(kw));
            assert_eq!(s.thread.consent, th.consent);
            assert_eq!(s.outbound[0].kind, OutboundKind::Help);
            assert!(s.audit.is_empty());
        }
    }
}

// ---- Rule 8: one agent per line of business (WhatsApp) ----------------------------

#[test]
fn rule8_exact_text_and_claim() {
    assert_eq!(
        texts::OWNED_BY_OTHER_USER,
        "Looks like this contact is already messaging with another user in your line of business. Contact your administrator."
    );
    let f = flow(Channel::WhatsApp);
    let mut c = ctx(t0(), Channel::WhatsApp);
    c.holder = Some(UserId(2));
    let s = step(&f, &c, &Thread::default(), &req());
    assert_eq!(refusal(&s).code, RefusalCode::OwnedByOtherUser);
    assert_eq!(refusal(&s).text, texts::OWNED_BY_OTHER_USER);
    let s = step(&f, &c, &accepted(t0()), &send("hi"));
    assert_eq!(refusal(&s).text, texts::OWNED_BY_OTHER_USER);
    c.holder = None;
    let s = step(&f, &c, &Thread::default(), &req());
    assert_eq!(s.holder, Some(A));
    // SMS has no holder rule.
    let mut c = ctx(t0(), Channel::Sms);
    c.holder = Some(UserId(2));
    assert_eq!(
        step(&flow(Channel::Sms), &c, &Thread::default(), &req()).verdict,
        Verdict::Allowed
    );
}

#[test]
fn rule8_admin_reassigns_and_releases() {
    let f = flow(Channel::WhatsApp);
    let mut c = ctx(t0(), Channel::WhatsApp);
    c.holder = Some(UserId(2));
    let s = step(
        &f,
        &c,
        &accepted(t0()),
        &Event::Reassigned {
            to: Some(A),
            by: UserId(9),
        },
    );
    assert_eq!(s.holder, Some(A));
    assert_eq!(s.audit[0].how, How::Reassigned);
    let s = step(
        &f,
        &c,
        &accepted(t0()),
        &Event::Reassigned {
            to: None,
            by: UserId(9),
        },
    );
    assert_eq!(s.holder, None);
}

// ---- Rule 9: channel deactivated ---------------------------------------------

#[test]
fn rule9_auto_reply_text_and_agents_refused() {
    let f = flow(Channel::WhatsApp);
    let mut c = ctx(t0(), Channel::WhatsApp);
    c.channel_enabled = false;
    let s = step(&f, &c, &Thread::default(), &inbound("hello"));
    assert_eq!(s.outbound[0].kind, OutboundKind::ChannelOffAutoReply);
    assert_eq!(
        s.outbound[0].text,
        "Thanks for contacting Acme Dental. We're not currently using this number to accept WhatsApp messages."
    );
    assert!(s.outbound[0]
        .text
        .ends_with(texts::CHANNEL_OFF_TAIL_WHATSAPP));
    assert_eq!(
        s.audit[0].how,
        How::ChannelOffAutoReply,
        "the inbound is logged"
    );
    let r = step(&f, &c, &accepted(t0()), &send("x"));
    assert_eq!(refusal(&r).code, RefusalCode::ChannelDisabled);
    assert_eq!(
        refusal(&r).text,
        "WhatsApp is turned off for this number. Contact your administrator."
    );
    assert_eq!(
        refusal(&step(&f, &c, &Thread::default(), &req())).code,
        RefusalCode::ChannelDisabled
    );
}

// ---- Rule 10: WhatsApp 24-hour window -------------------------------------------

#[test]
fn rule10_window() {
    let f = flow(Channel::WhatsApp);
    let th = accepted(t0());
    let ok = step(&f, &ctx(t0() + h(23), Channel::WhatsApp), &th, &send("x"));
    assert_eq!(ok.verdict, Verdict::Allowed);
    let late = step(&f, &ctx(t0() + h(24), Channel::WhatsApp), &th, &send("x"));
    assert_eq!(refusal(&late).code, RefusalCode::WhatsappWindowClosed);
    assert_eq!(refusal(&late).text, texts::WHATSAPP_WINDOW_CLOSED);
    let a = agent_actions(&f, &ctx(t0() + h(20), Channel::WhatsApp), &th, A);
    assert_eq!(a.window_closes_at, Some(t0() + h(24)));
    assert!(a.banner.contains("closes in 4 h"));
    // The request is a template: allowed without any inbound.
    let s = step(
        &f,
        &ctx(t0(), Channel::WhatsApp),
        &Thread::default(),
        &req(),
    );
    assert!(s.outbound[0].template);
}

// ---- Rule 11: quiet hours ------------------------------------------------------

#[test]
fn rule11_a_number_spanning_zones_uses_the_most_restrictive() {
    let f = flow(Channel::Sms);
    // 15:30 UTC: 08:30 in Boise (UTC-7) but 07:30 in Los Angeles (UTC-8).
    let mut c = ctx(
        Utc.with_ymd_and_hms(2026, 1, 6, 15, 30, 0).unwrap(),
        Channel::Sms,
    );
    c.contact_utc_offset_seconds = -7 * 3600;
    assert_eq!(
        step(&f, &c, &Thread::default(), &req()).verdict,
        Verdict::Allowed,
        "Boise alone is awake"
    );
    c.contact_other_utc_offsets_seconds = vec![-8 * 3600];
    let r = refusal(&step(&f, &c, &Thread::default(), &req())).clone();
    assert_eq!(r.code, RefusalCode::QuietHours);
    assert_eq!(
        r.retry_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 6, 16, 0, 0).unwrap()),
        "08:00 in Los Angeles"
    );
    assert_eq!(
        r.text,
        "It's quiet hours (21:00–08:00) in at least one of the time zones this contact's number could be in. You can send the opt-in request in 30 min."
    );
    // Evening: 04:30 UTC is 21:30 in Boise, 20:30 in Los Angeles → quiet
    // until 08:00 Los Angeles, the later of the two mornings.
    c.now = Utc.with_ymd_and_hms(2026, 1, 7, 4, 30, 0).unwrap();
    assert_eq!(
        refusal(&step(&f, &c, &Thread::default(), &req())).retry_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 7, 16, 0, 0).unwrap())
    );
}

#[test]
fn rule11_zones_whose_quiet_hours_cover_the_day_refuse_without_a_time() {
    let f = flow(Channel::Sms);
    let mut c = ctx(
        Utc.with_ymd_and_hms(2026, 1, 6, 12, 0, 0).unwrap(),
        Channel::Sms,
    );
    // Quiet 21–08 local is, in UTC: Guam (UTC+10) 11–22, Hawaii (UTC-10)
    // 07–18, London 21–08. Together: every hour of the day.
    c.contact_utc_offset_seconds = 10 * 3600;
    c.contact_other_utc_offsets_seconds = vec![-10 * 3600, 0];
    for h in 0..24 {
        c.now = Utc.with_ymd_and_hms(2026, 1, 6, h, 0, 0).unwrap();
        let r = refusal(&step(&f, &c, &Thread::default(), &req())).clone();
        assert_eq!(r.code, RefusalCode::QuietHours, "{h}:00");
        assert_eq!(r.retry_at, None, "{h}:00");
        assert_eq!(
            r.text,
            "This contact's number could be in time zones whose quiet hours (21:00–08:00) together cover the whole day. Ask your administrator to set the contact's time zone."
        );
    }
    // Without London the day has a gap (22:00–07:00 UTC) and a time is named.
    c.contact_other_utc_offsets_seconds = vec![-10 * 3600];
    c.now = Utc.with_ymd_and_hms(2026, 1, 6, 12, 0, 0).unwrap();
    assert_eq!(
        refusal(&step(&f, &c, &Thread::default(), &req())).retry_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 6, 22, 0, 0).unwrap())
    );
}

#[test]
fn rule11_quiet_hours_name_next_allowed_time() {
    let f = flow(Channel::Sms);
    let mut c = ctx(
        Utc.with_ymd_and_hms(2026, 1, 6, 3, 30, 0).unwrap(),
        Channel::Sms,
    );
    c.contact_utc_offset_seconds = -5 * 3600; // 22:30 in New York
    let s = step(&f, &c, &Thread::default(), &req());
    let r = refusal(&s);
    assert_eq!(r.code, RefusalCode::QuietHours);
    assert_eq!(
        r.retry_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 6, 13, 0, 0).unwrap())
    );
    assert_eq!(
        r.text,
        "It's quiet hours for this contact (21:00–08:00 their time). You can send the opt-in request from 08:00 their time."
    );
    c.contact_utc_offset_seconds = 0; // 03:30 in London: also quiet
    assert_eq!(
        refusal(&step(&f, &c, &Thread::default(), &req())).retry_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 6, 8, 0, 0).unwrap())
    );
    c.contact_utc_offset_seconds = 9 * 3600; // 12:30 in Tokyo: fine
    assert_eq!(
        step(&f, &c, &Thread::default(), &req()).verdict,
        Verdict::Allowed
    );
}

// ---- Rule 12: audit --------------------------------------------------------------

#[test]
fn rule12_audit_has_evidence() {
    let f = flow(Channel::WhatsApp);
    let c = ctx(t0(), Channel::WhatsApp);
    let s = step(&f, &c, &Thread::default(), &req());
    let a = &s.audit[0];
    assert_eq!(
        (a.from, a.to, a.how),
        (
            StateName::NotRequested,
            StateName::Pending,
            How::AgentRequest
        )
    );
    assert_eq!(
        a.evidence, s.outbound[0].text,
        "the exact request text the contact saw"
    );
    assert_eq!(a.actor, Actor::Agent { id: A });
    assert_eq!(a.channel, Channel::WhatsApp);
    let s2 = step(&f, &c, &s.thread, &inbound(" yes "));
    let a = &s2.audit[0];
    assert_eq!(a.keyword.as_deref(), Some("YES"));
    assert_eq!(a.evidence, " yes ");
    assert_eq!(a.provider_message_id.as_deref(), Some("pm-1"));
    assert_eq!(a.at, t0());
    let j = serde_json::to_value(a).unwrap();
    assert_eq!(j["how"], "keyword");
    assert_eq!(j["from"], "pending");
}

// ---- Flows and validate ------------------------------------------------------------

#[test]
fn default_flow_is_valid_for_both_channels() {
    assert!(validate(&Flow::default_for(Channel::Sms), Channel::Sms).is_ok());
    assert!(validate(&Flow::default_for(Channel::WhatsApp), Channel::WhatsApp).is_ok());
}

#[test]
fn validate_reports_every_problem() {
    let mut fl = Flow::default();
    fl.keywords.accept = vec!["YES".into(), "STOP".into()];
    fl.keywords.help = vec!["!!!".into()];
    fl.messages.request = "Hi {contact}, reply YES.".into();
    fl.messages.rejected = "   ".into();
    fl.messages.opted_out = "Bye {company}.".into();
    fl.messages.help = "{foo} and {bar}".into();
    fl.resend_interval_minutes = 59;
    fl.quiet_hours = Some(QuietHours {
        start: "8:00".into(),
        end: "08:00".into(),
    });
    let p = validate(&fl, Channel::Sms).unwrap_err();
    let codes: Vec<(&str, &str)> = p
        .iter()
        .map(|p| (p.field.as_str(), p.code.as_str()))
        .collect();
    for want in [
        ("keywords.stop", "keyword_in_two_sets"),
        ("keywords.help", "keyword_empty"),
        ("messages.request", "request_missing_decline"),
        ("messages.rejected", "message_empty"),
        ("messages.opted_out", "opt_out_missing_reopt_in"),
        ("messages.help", "unknown_placeholder"),
        ("resend_interval_minutes", "interval_too_short"),
        ("quiet_hours", "quiet_hours_empty"),
    ] {
        assert!(codes.contains(&want), "missing {want:?} in {codes:?}");
    }
    assert_eq!(
        p.iter().filter(|p| p.code == "unknown_placeholder").count(),
        2
    );
    assert!(p.iter().all(|p| !p.message.is_empty()));
}

#[test]
fn sms_limit_differs_from_whatsapp() {
    let mut fl = Flow::default();
    fl.messages.help = format!("{} {}", "x".repeat(400), "{company}");
    assert!(validate(&fl, Channel::Sms).is_err());
    assert!(validate(&fl, Channel::WhatsApp).is_ok());
}

#[test]
fn flow_and_state_serde_shapes() {
    let th = pending(t0());
    let j = serde_json::to_value(&th).unwrap();
    assert_eq!(j["consent"]["state"], "pending");
    assert_eq!(j["consent"]["attempts"], 1);
    let back: Thread = serde_json::from_value(j).unwrap();
    assert_eq!(back, th);
    assert_eq!(serde_json::to_value(Channel::WhatsApp).unwrap(), "whatsapp");
    assert_eq!(serde_json::to_value(UserId(7)).unwrap(), 7);
    assert_eq!(
        serde_json::to_value(RefusalCode::WhatsappWindowClosed).unwrap(),
        "whatsapp_window_closed"
    );
    for code in [
        RefusalCode::ConsentRequired,
        RefusalCode::QuietHours,
        RefusalCode::OwnedByOtherUser,
    ] {
        assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
    }
    let partial: Flow = serde_json::from_str(r#"{"keywords":{"accept":["SÍ"]}}"#).unwrap();
    assert_eq!(partial.keywords.reject, vec!["NO".to_string()]);
    let e: Event = serde_json::from_str(r#"{"type":"inbound","text":"yes"}"#).unwrap();
    assert_eq!(
        e,
        Event::Inbound {
            text: "yes".into(),
            provider_message_id: None
        }
    );
}

#[test]
fn normalisation() {
    assert_eq!(normalize("  ＹＥＳ！ "), "yes");
    assert_eq!(normalize("Don't TEXT me!!"), "dont text me");
    assert_eq!(normalize("SÍ 👍"), "si");
    assert_eq!(normalize("e\u{301}te\u{301}"), "ete");
    assert_eq!(normalize("はい、お願いします。"), "はい お願いします");
    assert_eq!(normalize("🎉🎉"), "");
}

#[test]
fn rule10_dispatch_refuses_free_text_once_the_window_closed() {
    // The contact wrote at t0; an agent's message was allowed then, but its
    // send is retried after the window closed: it fails with the window text.
    let mut t = accepted(t0());
    t.last_inbound_at = Some(t0());
    assert_eq!(
        check_dispatch(Channel::WhatsApp, &t, false, t0() + h(23)),
        Ok(())
    );
    let r = check_dispatch(Channel::WhatsApp, &t, false, t0() + h(24)).unwrap_err();
    assert_eq!(r.code, RefusalCode::WhatsappWindowClosed);
    assert_eq!(r.text, texts::WHATSAPP_WINDOW_CLOSED);
    // A template (the opt-in request) may go out at any time; SMS has no window.
    assert_eq!(
        check_dispatch(Channel::WhatsApp, &t, true, t0() + h(48)),
        Ok(())
    );
    assert_eq!(
        check_dispatch(Channel::Sms, &t, false, t0() + h(48)),
        Ok(())
    );
}

#[test]
fn consent_status_derives_expired_from_the_resend_interval() {
    let f = flow(Channel::Sms);
    let t = pending(t0());
    assert_eq!(consent_status(&f, &t, t0() + h(1)), ConsentStatus::Pending);
    assert_eq!(consent_status(&f, &t, t0() + h(24)), ConsentStatus::Expired);
    assert_eq!(ConsentStatus::Expired.state(), StateName::Pending);
    for s in ConsentStatus::ALL {
        assert_eq!(ConsentStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
}

#[test]
fn carrier_opt_out_words_are_the_standard_set_only() {
    assert!(is_carrier_opt_out(" stop! "));
    assert!(is_carrier_opt_out("Unsubscribe"));
    assert!(!is_carrier_opt_out("please stop"));
    assert!(!is_carrier_opt_out("YES"));
    let s = step(
        &flow(Channel::Sms),
        &ctx(t0(), Channel::Sms),
        &accepted(t0()),
        &Event::CarrierOptOut {
            text: "STOP".into(),
            provider_message_id: Some("SM1".into()),
        },
    );
    assert_eq!(s.thread.consent.name(), StateName::OptedOut);
    assert!(s.outbound.is_empty(), "the carrier already confirmed it");
    assert_eq!(s.audit[0].how, How::CarrierStop);
}

#[test]
fn how_names_equal_their_serde_form() {
    for h in [
        How::AgentRequest,
        How::AutoReprompt,
        How::Keyword,
        How::PlainLanguageRevocation,
        How::ChannelOffAutoReply,
        How::ChannelToggled,
        How::Reassigned,
        How::CarrierStop,
        How::ProviderOptOut,
    ] {
        assert_eq!(serde_json::to_value(h).unwrap(), h.as_str());
    }
}

#[test]
fn standard_stop_words_cannot_be_removed_or_moved() {
    let mut fl = Flow::default_for(Channel::Sms);
    fl.keywords.stop = vec!["UNSUBSCRIBE".into()];
    let p = validate(&fl, Channel::Sms).unwrap_err();
    let missing: Vec<&FlowProblem> = p
        .iter()
        .filter(|p| p.code == "reserved_stop_word_missing")
        .collect();
    assert_eq!(missing.len(), 7, "{p:?}");
    assert!(missing.iter().all(|p| p.field == "keywords.stop"));
    assert!(missing
        .iter()
        .any(|p| p.message.starts_with("STOP must stay")));

    let mut fl = Flow::default_for(Channel::Sms);
    fl.keywords.stop.retain(|w| w != "END");
    fl.keywords.accept.push("END".into());
    let p = validate(&fl, Channel::Sms).unwrap_err();
    assert!(
        p.iter()
            .any(|p| p.code == "reserved_stop_word" && p.field == "keywords.accept"),
        "{p:?}"
    );
    // Extra stop words are fine; case does not matter.
    let mut fl = Flow::default_for(Channel::Sms);
    fl.keywords.stop = fl.keywords.stop.iter().map(|w| w.to_lowercase()).collect();
    fl.keywords.stop.push("OPT OUT".into());
    assert!(validate(&fl, Channel::Sms).is_ok());
}

// ---- Rule 13: revocation by any reasonable means --------------------------

#[test]
fn rule13_disguised_stops_revoke_and_disguised_yes_never_consents() {
    let f = flow(Channel::Sms);
    for text in [
        "S\u{200B}TOP",
        "ST\u{00AD}OP",
        "\u{FEFF}STOP\u{200F}",
        "S T O P",
        "S.T.O.P",
        "s-t-o-p",
        "SТОР", // Cyrillic Т, О, Р
        "unsub\u{200D}scribe",
        "please st\u{200B}op texting me",
    ] {
        let s = step(
            &f,
            &ctx(t0(), Channel::Sms),
            &accepted(t0()),
            &inbound(text),
        );
        assert_eq!(s.thread.consent.name(), StateName::OptedOut, "{text:?}");
        assert_eq!(s.audit[0].evidence, text, "the audit keeps what was sent");
    }
    for text in ["Y\u{200B}ES", "Y E S", "Y.E.S", "УЕS", "YЕS"] {
        let s = step(&f, &ctx(t0(), Channel::Sms), &pending(t0()), &inbound(text));
        assert_ne!(s.thread.consent.name(), StateName::Accepted, "{text:?}");
    }
    // Ordinary spaced initials are not read as anything.
    let s = step(
        &f,
        &ctx(t0(), Channel::Sms),
        &accepted(t0()),
        &inbound("A B C"),
    );
    assert_eq!(s.thread.consent.name(), StateName::Accepted);
}

#[test]
fn a_missing_name_leaves_no_broken_punctuation() {
    let f = flow(Channel::Sms);
    let mut c = ctx(t0(), Channel::Sms);
    c.contact_name = String::new();
    let s = step(&f, &c, &Thread::default(), &req());
    assert!(
        s.outbound[0]
            .text
            .starts_with("Hi, this is Ana from Acme Dental."),
        "{}",
        s.outbound[0].text
    );
    // A text that cannot read well without a name is refused, naming it.
    let mut fl = Flow::default_for(Channel::Sms);
    fl.messages.accepted = "Thanks ({contact}) — you're opted in. Reply STOP to opt out.".into();
    let p = validate(&fl, Channel::Sms).unwrap_err();
    assert!(
        p.iter()
            .any(|p| p.field == "messages.accepted" && p.code == "placeholder_leaves_gap"),
        "{p:?}"
    );
    // Every shipped default reads well without names.
    for ch in [Channel::Sms, Channel::WhatsApp] {
        assert!(validate(&Flow::default_for(ch), ch).is_ok());
    }
}
