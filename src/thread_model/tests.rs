//! The thread's logic, natively: `cargo test -p optline-app --lib`.

use chrono::{DateTime, TimeZone, Utc};
use optline_api::{
    ActionResult, Channel, Consent, ConsentStatus, Contact, ConversationDetail,
    ConversationSummary, DeliveryStatus, Direction, Flow, LineOfBusiness, LiveEvent, Me, Message,
    MessageKind, Organization, Refusal, RefusalCode, Role, StateName, Thread, User,
};
use optline_engine::ConsentState;

use super::*;

const ID: i64 = 7;
const AGENT: i64 = 3;

fn now() -> DateTime<Utc> {
    // 15:00 for a contact at UTC: outside the default quiet hours.
    Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap()
}

fn me() -> Me {
    Me {
        user: User {
            id: AGENT,
            email: "ana@acme.example".into(),
            name: "Ana".into(),
            role: Role::Agent,
            line_of_business_id: Some(1),
            number: None,
            active: true,
        },
        organization: Organization {
            id: 1,
            name: "Acme".into(),
        },
        lines_of_business: vec![LineOfBusiness {
            id: 1,
            name: "Sales".into(),
        }],
    }
}

fn consent(state: ConsentState) -> Consent {
    let status = match state.name() {
        StateName::NotRequested => ConsentStatus::NotRequested,
        StateName::Pending => ConsentStatus::Pending,
        StateName::Accepted => ConsentStatus::Accepted,
        StateName::Rejected => ConsentStatus::Rejected,
        StateName::OptedOut => ConsentStatus::OptedOut,
    };
    Consent {
        state: status,
        since: None,
        attempts: 0,
        raw: Thread {
            consent: state,
            ..Thread::default()
        },
    }
}

fn summary(state: ConsentState) -> ConversationSummary {
    ConversationSummary {
        id: ID,
        channel: Channel::Sms,
        contact: Contact {
            id: 1,
            phone: "+442079460001".into(),
            name: Some("Sam".into()),
            time_zone: "Europe/London".into(),
            utc_offset_seconds: 0,
        },
        business_number: "+14155550101".into(),
        consent: consent(state),
        unread: 0,
        last_message: None,
        last_inbound_at: None,
        owner_user_id: None,
        updated_at: now().to_rfc3339(),
    }
}

fn message(id: i64, direction: Direction, kind: MessageKind, body: &str) -> Message {
    Message {
        id,
        conversation_id: ID,
        direction,
        kind,
        body: body.into(),
        status: DeliveryStatus::Sent,
        error: None,
        provider_message_id: None,
        user_id: Some(AGENT),
        created_at: now().to_rfc3339(),
    }
}

fn accepted() -> ConsentState {
    ConsentState::Accepted {
        at: now() - chrono::Duration::hours(1),
    }
}

/// A loaded thread whose server clock equals the browser's.
fn loaded(state: ConsentState) -> ThreadModel {
    let mut m = ThreadModel::new(ID);
    let detail = ConversationDetail {
        conversation: summary(state),
        messages: vec![message(
            1,
            Direction::Inbound,
            MessageKind::Contact,
            "Hello",
        )],
        has_more: false,
        flow: Flow::default(),
        channel_enabled: true,
        now: now().to_rfc3339(),
    };
    let follow = m.loaded(Ok(detail), now());
    assert!(follow.mark_read);
    m
}

fn state(m: &ThreadModel) -> StateName {
    m.actions(&me(), now()).expect("engine input").state
}

fn refused_409(text: &str) -> ApiFailure {
    ApiFailure::from_error(
        409,
        optline_api::ApiError {
            code: "channel_disabled".into(),
            message: text.into(),
            field: None,
            refusal: Some(Refusal {
                code: RefusalCode::ChannelDisabled,
                text: text.into(),
                retry_at: None,
            }),
        },
    )
}

#[test]
fn an_engine_refusal_sends_nothing_and_says_why() {
    let mut m = loaded(ConsentState::NotRequested);
    m.draft = "Hi there".into();
    assert_eq!(m.begin(Action::Send, &me(), now()), None);
    let n = m.notice().expect("a notice");
    assert_eq!(n.tone, Tone::Warn);
    assert_eq!(n.text, optline_engine::texts::CONSENT_REQUIRED);
    assert!(m.optimistic().is_empty());
    assert_eq!(m.busy(), None);
    assert_eq!(m.draft, "Hi there");
}

#[test]
fn an_allowed_send_shows_the_message_at_once_and_asks_for_one_call() {
    let mut m = loaded(accepted());
    m.draft = "See you Tuesday".into();
    let call = m.begin(Action::Send, &me(), now());
    assert_eq!(
        call,
        Some(Call::SendMessage {
            conversation: ID,
            body: "See you Tuesday".into()
        })
    );
    assert_eq!(
        m.optimistic(),
        [Optimistic {
            text: "See you Tuesday".into(),
            kind: MessageKind::Agent
        }]
    );
    assert_eq!(m.busy(), Some(Action::Send));
    // A second press while the first is on its way sends nothing more.
    assert_eq!(m.begin(Action::Send, &me(), now()), None);
}

#[test]
fn the_servers_copy_replaces_the_optimistic_message() {
    let mut m = loaded(accepted());
    m.draft = "See you Tuesday".into();
    m.begin(Action::Send, &me(), now()).unwrap();
    let sent = message(
        2,
        Direction::Outbound,
        MessageKind::Agent,
        "See you Tuesday",
    );
    // The live event may come before the answer…
    m.live(LiveEvent::Message {
        conversation: Box::new(summary(accepted())),
        message: sent.clone(),
    });
    assert!(m.optimistic().is_empty());
    // …and the answer then carries the same message: shown once.
    let follow = m.finished(Ok(ActionResult {
        conversation: summary(accepted()),
        messages: vec![sent],
    }));
    assert_eq!(follow, Follow::default());
    let bodies: Vec<_> = m
        .detail()
        .unwrap()
        .messages
        .iter()
        .map(|x| x.body.as_str())
        .collect();
    assert_eq!(bodies, ["Hello", "See you Tuesday"]);
    assert_eq!(m.draft, "", "what was sent leaves the box");
    assert_eq!(m.busy(), None);
}

#[test]
fn text_typed_while_sending_stays() {
    let mut m = loaded(accepted());
    m.draft = "First".into();
    m.begin(Action::Send, &me(), now()).unwrap();
    m.draft = "Second, typed meanwhile".into();
    m.finished(Ok(ActionResult {
        conversation: summary(accepted()),
        messages: vec![message(2, Direction::Outbound, MessageKind::Agent, "First")],
    }));
    assert_eq!(m.draft, "Second, typed meanwhile");
}

#[test]
fn a_server_refusal_replaces_the_prediction_and_keeps_the_typed_text() {
    let mut m = loaded(accepted());
    m.draft = "Are you free on Friday?".into();
    m.begin(Action::Send, &me(), now()).unwrap();
    let text = "WhatsApp is turned off for this number. Contact your administrator.";
    let follow = m.finished(Err(refused_409(text)));
    assert!(follow.reload, "the server's facts are fetched again");
    let n = m.notice().unwrap();
    assert_eq!(n.tone, Tone::Warn);
    assert_eq!(n.text, format!("The server refused this: {text}"));
    assert_eq!(n.retry, None);
    assert!(m.optimistic().is_empty());
    assert_eq!(m.draft, "Are you free on Friday?");
}

#[test]
fn a_refused_request_drops_the_predicted_state() {
    let mut m = loaded(ConsentState::NotRequested);
    m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    assert_eq!(
        state(&m),
        StateName::Pending,
        "the engine's prediction shows"
    );
    assert_eq!(m.optimistic()[0].kind, MessageKind::Automatic);
    m.finished(Err(refused_409("Refused.")));
    assert_eq!(
        state(&m),
        StateName::NotRequested,
        "the server's facts again"
    );
}

#[test]
fn a_sent_request_is_confirmed() {
    let mut m = loaded(ConsentState::NotRequested);
    m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    assert_eq!(m.notice().unwrap().text, "Sending the opt-in request…");
    let pending = ConsentState::Pending {
        requested_at: now(),
        attempts: 1,
    };
    m.finished(Ok(ActionResult {
        conversation: summary(pending),
        messages: vec![],
    }));
    assert_eq!(m.notice().unwrap().text, "Opt-in request sent.");
    assert_eq!(state(&m), StateName::Pending);
}

#[test]
fn a_transport_failure_offers_a_retry_and_keeps_the_text() {
    let mut m = loaded(accepted());
    m.draft = "Hello?".into();
    m.begin(Action::Send, &me(), now()).unwrap();
    m.finished(Err(ApiFailure::unreachable("offline")));
    let n = m.notice().unwrap();
    assert_eq!(n.tone, Tone::Error);
    assert_eq!(n.retry, Some(Retry::Action(Action::Send)));
    assert_eq!(m.draft, "Hello?");
}

#[test]
fn a_live_event_with_newer_server_state_wins_over_an_older_prediction() {
    let mut m = loaded(ConsentState::NotRequested);
    m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    assert_eq!(state(&m), StateName::Pending);
    // Meanwhile the contact opted in by themselves (the server says so).
    m.live(LiveEvent::Consent {
        conversation_id: ID,
        consent: consent(accepted()),
    });
    assert_eq!(
        m.busy(),
        Some(Action::RequestOptIn),
        "still waiting for the answer"
    );
    assert_eq!(state(&m), StateName::Accepted);
    assert_eq!(
        m.detail().unwrap().conversation.consent.state,
        ConsentStatus::Accepted
    );
}

#[test]
fn other_conversations_events_change_nothing() {
    let mut m = loaded(ConsentState::NotRequested);
    let before = m.clone();
    m.live(LiveEvent::Consent {
        conversation_id: ID + 1,
        consent: consent(accepted()),
    });
    assert_eq!(m, before);
}

#[test]
fn messages_that_arrive_while_loading_are_kept_and_the_server_clock_is_used() {
    let mut m = ThreadModel::new(ID);
    let follow = m.live(LiveEvent::Message {
        conversation: Box::new(summary(accepted())),
        message: message(5, Direction::Inbound, MessageKind::Contact, "Early"),
    });
    assert!(!follow.mark_read);
    let server_now = now() + chrono::Duration::hours(25);
    let detail = ConversationDetail {
        conversation: summary(accepted()),
        messages: vec![message(
            1,
            Direction::Inbound,
            MessageKind::Contact,
            "Hello",
        )],
        has_more: false,
        flow: Flow::default(),
        channel_enabled: true,
        now: server_now.to_rfc3339(),
    };
    m.loaded(Ok(detail), now());
    assert_eq!(m.detail().unwrap().messages.len(), 2);
    assert_eq!(m.server_now(now()), server_now);
}
