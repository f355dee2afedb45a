//! Rule 13 (manual records) and rule 14 (WhatsApp quick-reply buttons), one
//! fact per test. Longer stories are vectors 79–84.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use optline_engine::texts;
use optline_engine::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap()
}
fn ctx(ch: Channel) -> Context {
    let mut c = Context::new(t0(), ch);
    c.company = "Acme Dental".into();
    c.agent_name = "Ana".into();
    c.contact_name = "Bo".into();
    c
}
const AGENT: Actor = Actor::Agent { id: UserId(1) };
const ADMIN: Actor = Actor::Admin { id: UserId(9) };

fn accepted() -> Thread {
    Thread {
        consent: ConsentState::Accepted {
            at: t0() - TimeDelta::hours(2),
        },
        last_inbound_at: Some(t0() - TimeDelta::hours(1)),
        ..Thread::default()
    }
}
fn pending() -> Thread {
    Thread {
        consent: ConsentState::Pending {
            requested_at: t0() - TimeDelta::hours(1),
            attempts: 1,
        },
        ..Thread::default()
    }
}
fn opt_out(by: Actor, note: &str) -> Event {
    Event::ManualOptOut {
        by,
        note: note.into(),
    }
}
fn opt_in(by: Actor, reference: &str, text: &str) -> Event {
    Event::ManualOptIn {
        by,
        reference: reference.into(),
        agreed_text: text.into(),
    }
}
fn buttons_flow() -> ValidFlow {
    let mut f = Flow::default_for(Channel::WhatsApp);
    f.whatsapp_template = WhatsAppTemplate {
        name: "optin_buttons".into(),
        language: "en_US".into(),
        body_parameters: vec![TemplateParam::Contact, TemplateParam::Company],
        accept_payload: "OPTIN_YES".into(),
        decline_payload: "OPTIN_NO".into(),
    };
    validate(&f, Channel::WhatsApp).unwrap()
}
fn button(payload: &str, label: &str) -> Event {
    Event::ButtonReply {
        payload: payload.into(),
        label: label.into(),
        provider_message_id: Some("wamid.B1".into()),
    }
}

// ------------------------------------------------------------ manual records

#[test]
fn an_agent_records_an_opt_out_with_a_note_and_the_contact_is_told() {
    let f = validate(&Flow::default(), Channel::Sms).unwrap();
    let s = step(
        &f,
        &ctx(Channel::Sms),
        &accepted(),
        &opt_out(AGENT, "  Called on 3 May: stop texting me  "),
    );
    assert_eq!(s.verdict, Verdict::Allowed);
    assert_eq!(s.thread.consent, ConsentState::OptedOut { at: t0() });
    assert_eq!(s.audit.len(), 1);
    let a = &s.audit[0];
    assert_eq!(a.how, How::Manual);
    assert_eq!(a.actor, AGENT);
    assert_eq!(a.evidence, "Called on 3 May: stop texting me", "trimmed");
    assert_eq!((a.from, a.to), (StateName::Accepted, StateName::OptedOut));
    assert_eq!(s.outbound.len(), 1);
    assert_eq!(s.outbound[0].kind, OutboundKind::OptOutConfirmation);
    assert!(s.outbound[0].text.contains("reply START or YES"));
    assert_eq!(s.notice.unwrap().text, texts::NOTICE_MANUAL_OPT_OUT);
}

#[test]
fn the_flow_can_turn_the_manual_opt_out_confirmation_off() {
    let flow = Flow {
        confirm_manual_opt_out: false,
        ..Flow::default()
    };
    let f = validate(&flow, Channel::Sms).unwrap();
    let s = step(
        &f,
        &ctx(Channel::Sms),
        &accepted(),
        &opt_out(AGENT, "email"),
    );
    assert_eq!(s.thread.consent.name(), StateName::OptedOut);
    assert!(s.outbound.is_empty());
}

#[test]
fn stored_flows_without_the_new_fields_keep_loading_with_the_defaults() {
    let f: Flow = serde_json::from_str(r#"{"keywords": {"accept": ["YES"]}}"#).unwrap();
    assert!(f.confirm_manual_opt_out);
    assert_eq!(f.whatsapp_template, WhatsAppTemplate::default());
}

#[test]
fn no_confirmation_on_whatsapp_outside_the_window_or_on_a_channel_turned_off() {
    let f = validate(&Flow::default(), Channel::WhatsApp).unwrap();
    let mut closed = accepted();
    closed.last_inbound_at = Some(t0() - TimeDelta::hours(30));
    let s = step(
        &f,
        &ctx(Channel::WhatsApp),
        &closed,
        &opt_out(AGENT, "call"),
    );
    assert_eq!(s.thread.consent.name(), StateName::OptedOut);
    assert!(s.outbound.is_empty(), "only templates outside the window");
    let s = step(
        &f,
        &ctx(Channel::WhatsApp),
        &accepted(),
        &opt_out(AGENT, "call"),
    );
    assert_eq!(s.outbound.len(), 1, "inside the window it is sent");
    let mut off = ctx(Channel::Sms);
    off.channel_enabled = false;
    let f = validate(&Flow::default(), Channel::Sms).unwrap();
    let s = step(&f, &off, &accepted(), &opt_out(AGENT, "call"));
    assert_eq!(s.thread.consent.name(), StateName::OptedOut);
    assert!(s.outbound.is_empty());
}

#[test]
fn a_note_is_required_and_limited() {
    let f = validate(&Flow::default(), Channel::Sms).unwrap();
    for blank in ["", "   \n"] {
        let s = step(&f, &ctx(Channel::Sms), &accepted(), &opt_out(AGENT, blank));
        let Verdict::Refused(r) = s.verdict else {
            panic!("blank note allowed")
        };
        assert_eq!(r.code, RefusalCode::NoteRequired);
        assert_eq!(r.code.field(), Some("note"));
        assert_eq!(s.thread, accepted());
        assert!(s.audit.is_empty() && s.outbound.is_empty());
    }
    let long = "x".repeat(manual::NOTE_MAX_CHARS + 1);
    let r = check_record_opt_out(&accepted(), AGENT, &long).unwrap_err();
    assert_eq!(r.code, RefusalCode::NoteTooLong);
    assert!(check_record_opt_out(&accepted(), AGENT, &long[1..]).is_ok());
}

#[test]
fn an_opt_out_is_recorded_from_any_state_but_opted_out() {
    let f = validate(&Flow::default(), Channel::Sms).unwrap();
    for t in [Thread::default(), pending(), accepted()] {
        let s = step(&f, &ctx(Channel::Sms), &t, &opt_out(ADMIN, "letter"));
        assert_eq!(s.thread.consent.name(), StateName::OptedOut, "{t:?}");
        assert_eq!(s.audit[0].actor, ADMIN);
    }
    let out = Thread {
        consent: ConsentState::OptedOut { at: t0() },
        ..Thread::default()
    };
    let s = step(&f, &ctx(Channel::Sms), &out, &opt_out(AGENT, "again"));
    assert!(matches!(s.verdict, Verdict::Refused(ref r) if r.code == RefusalCode::AlreadyOptedOut));
    assert!(s.audit.is_empty());
}

#[test]
fn an_admin_records_an_opt_in_with_its_evidence_and_nothing_is_sent() {
    let f = validate(&Flow::default(), Channel::Sms).unwrap();
    let text = "I agree to receive text messages from Acme Dental.";
    let s = step(
        &f,
        &ctx(Channel::Sms),
        &pending(),
        &opt_in(ADMIN, " FORM-2211 ", text),
    );
    assert_eq!(s.verdict, Verdict::Allowed);
    assert_eq!(s.thread.consent, ConsentState::Accepted { at: t0() });
    let a = &s.audit[0];
    assert_eq!(a.how, How::Manual);
    assert_eq!(a.actor, ADMIN);
    assert_eq!(a.evidence, text);
    assert_eq!(a.provider_message_id.as_deref(), Some("FORM-2211"));
    assert!(s.outbound.is_empty());
    assert_eq!(s.notice.unwrap().code, NoticeCode::ContactAccepted);
}

#[test]
fn agents_never_record_opt_ins() {
    let f = validate(&Flow::default(), Channel::Sms).unwrap();
    let s = step(
        &f,
        &ctx(Channel::Sms),
        &pending(),
        &opt_in(AGENT, "FORM-1", "I agree"),
    );
    let Verdict::Refused(r) = s.verdict else {
        panic!("agent recorded an opt-in")
    };
    assert_eq!(r.code, RefusalCode::NotAllowedForRole);
    assert_eq!(r.text, texts::OPT_IN_ADMIN_ONLY);
    assert_eq!(s.thread, pending());
    assert!(s.audit.is_empty());
    let m = manual_actions(&pending(), AGENT);
    assert!(m.record_opt_out.is_ok());
    assert_eq!(
        m.record_opt_in.unwrap_err().code,
        RefusalCode::NotAllowedForRole
    );
    let m = manual_actions(&pending(), ADMIN);
    assert!(m.record_opt_in.is_ok() && m.record_opt_out.is_ok());
    assert_eq!(
        manual_actions(&accepted(), ADMIN)
            .record_opt_in
            .unwrap_err()
            .code,
        RefusalCode::AlreadyAccepted
    );
    assert_eq!(
        manual_actions(&pending(), Actor::Contact)
            .record_opt_out
            .unwrap_err()
            .code,
        RefusalCode::NotAllowedForRole
    );
}

#[test]
fn an_opt_in_needs_a_reference_and_the_agreed_text() {
    let t = pending();
    let code = |r: &str, x: &str| check_record_opt_in(&t, ADMIN, r, x).unwrap_err().code;
    assert_eq!(code(" ", "I agree"), RefusalCode::ReferenceRequired);
    assert_eq!(code("F-1", ""), RefusalCode::AgreedTextRequired);
    assert_eq!(RefusalCode::AgreedTextRequired.field(), Some("agreed_text"));
    assert_eq!(RefusalCode::ReferenceRequired.field(), Some("reference"));
    let long = "r".repeat(manual::REFERENCE_MAX_CHARS + 1);
    assert_eq!(code(&long, "I agree"), RefusalCode::ReferenceTooLong);
    let long = "t".repeat(manual::AGREED_TEXT_MAX_CHARS + 1);
    assert_eq!(code("F-1", &long), RefusalCode::AgreedTextTooLong);
    assert!(check_record_opt_in(&t, ADMIN, "F-1", "I agree").is_ok());
}

// ------------------------------------------------------------ buttons

#[test]
fn the_accept_payload_gives_consent_and_the_audit_keeps_payload_and_label() {
    let f = buttons_flow();
    let s = step(
        &f,
        &ctx(Channel::WhatsApp),
        &pending(),
        &button("OPTIN_YES", "Yes please"),
    );
    assert_eq!(s.thread.consent.name(), StateName::Accepted);
    let a = &s.audit[0];
    assert_eq!(a.how, How::ButtonReply);
    assert_eq!(a.keyword.as_deref(), Some("OPTIN_YES"));
    assert_eq!(a.evidence, "Yes please");
    assert_eq!(a.provider_message_id.as_deref(), Some("wamid.B1"));
    assert_eq!(s.outbound[0].kind, OutboundKind::OptInConfirmation);
    assert_eq!(s.thread.last_inbound_at, Some(t0()), "opens the window");
}

#[test]
fn the_decline_payload_rejects() {
    let f = buttons_flow();
    let s = step(
        &f,
        &ctx(Channel::WhatsApp),
        &pending(),
        &button("OPTIN_NO", "No thanks"),
    );
    assert_eq!(s.thread.consent.name(), StateName::Rejected);
    assert_eq!(s.audit[0].how, How::ButtonReply);
    assert_eq!(s.audit[0].keyword.as_deref(), Some("OPTIN_NO"));
}

#[test]
fn payloads_match_exactly_and_labels_never_give_consent() {
    let f = buttons_flow();
    for (payload, label) in [
        ("optin_yes", "Yes"),
        ("OPTIN_YES ", "Yes"),
        ("SOMETHING_ELSE", "YES"),
        ("", "YES"),
    ] {
        let s = step(
            &f,
            &ctx(Channel::WhatsApp),
            &pending(),
            &button(payload, label),
        );
        assert_eq!(s.thread.consent.name(), StateName::Pending, "{payload:?}");
        assert_eq!(
            s.outbound[0].kind,
            OutboundKind::OptInRequest,
            "re-prompted like any reply"
        );
        assert_eq!(s.audit[0].how, How::AutoReprompt);
    }
}

#[test]
fn an_unknown_button_labelled_as_a_revocation_still_opts_out() {
    let f = buttons_flow();
    let s = step(
        &f,
        &ctx(Channel::WhatsApp),
        &accepted(),
        &button("MKT_STOP", "Stop promotions"),
    );
    assert_eq!(s.thread.consent.name(), StateName::OptedOut);
}

#[test]
fn without_configured_buttons_every_payload_is_an_ordinary_reply() {
    let f = validate(&Flow::default(), Channel::WhatsApp).unwrap();
    let s = step(
        &f,
        &ctx(Channel::WhatsApp),
        &pending(),
        &button("YES", "YES"),
    );
    assert_eq!(s.thread.consent.name(), StateName::Pending);
}

#[test]
fn template_settings_are_validated_naming_the_field() {
    let mut f = Flow {
        whatsapp_template: WhatsAppTemplate {
            name: "Opt In!".into(),
            language: "english".into(),
            body_parameters: vec![TemplateParam::Contact, TemplateParam::Contact],
            accept_payload: "SAME".into(),
            decline_payload: "SAME".into(),
        },
        ..Flow::default()
    };
    let p = validate(&f, Channel::WhatsApp).unwrap_err();
    let got: Vec<(&str, &str)> = p
        .iter()
        .map(|p| (p.field.as_str(), p.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("whatsapp_template.name", "template_name_invalid"),
            ("whatsapp_template.language", "template_language_invalid"),
            (
                "whatsapp_template.body_parameters",
                "template_parameter_repeated"
            ),
            (
                "whatsapp_template.decline_payload",
                "button_payloads_identical"
            ),
        ]
    );
    f.whatsapp_template = WhatsAppTemplate {
        name: "optin".into(),
        accept_payload: "A".repeat(whatsapp::MAX_PAYLOAD_CHARS + 1),
        ..WhatsAppTemplate::default()
    };
    let p = validate(&f, Channel::WhatsApp).unwrap_err();
    let got: Vec<(&str, &str)> = p
        .iter()
        .map(|p| (p.field.as_str(), p.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("whatsapp_template.language", "template_incomplete"),
            (
                "whatsapp_template.accept_payload",
                "button_payload_too_long"
            ),
            (
                "whatsapp_template.decline_payload",
                "button_payload_missing"
            ),
        ]
    );
    // SMS flows ignore the WhatsApp section.
    assert!(validate(&f, Channel::Sms).is_ok());
}

#[test]
fn the_template_send_fills_parameters_in_the_mapped_order() {
    let f = buttons_flow();
    let s = template_send(&f, &ctx(Channel::WhatsApp));
    assert_eq!(s.name.as_deref(), Some("optin_buttons"));
    assert_eq!(s.language.as_deref(), Some("en_US"));
    assert_eq!(s.body_parameters, ["Bo", "Acme Dental"]);
    assert_eq!(s.quick_reply_payloads, ["OPTIN_YES", "OPTIN_NO"]);
    let mut nameless = ctx(Channel::WhatsApp);
    nameless.contact_name = " ".into();
    let s = template_send(&f, &nameless);
    assert_eq!(s.body_parameters[0], texts::TEMPLATE_FALLBACK_CONTACT);
    let plain = validate(&Flow::default(), Channel::WhatsApp).unwrap();
    let s = template_send(&plain, &nameless);
    assert_eq!((s.name, s.language), (None, None));
    assert!(s.body_parameters.is_empty() && s.quick_reply_payloads.is_empty());
}
