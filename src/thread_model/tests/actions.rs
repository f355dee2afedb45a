//! Starting an action, and the server's answer to it.

use optline_api::{ActionResult, Direction, LiveEvent, MessageKind, StateName};
use optline_engine::ConsentState;

use super::*;

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
    let call = m.begin(Action::Send, &me(), now()).unwrap();
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
    let follow = m.finished(
        &call,
        Ok(ActionResult {
            conversation: summary(accepted()),
            messages: vec![sent],
        }),
    );
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
    let call = m.begin(Action::Send, &me(), now()).unwrap();
    m.draft = "Second, typed meanwhile".into();
    m.finished(
        &call,
        Ok(ActionResult {
            conversation: summary(accepted()),
            messages: vec![message(2, Direction::Outbound, MessageKind::Agent, "First")],
        }),
    );
    assert_eq!(m.draft, "Second, typed meanwhile");
}

#[test]
fn a_server_refusal_replaces_the_prediction_and_keeps_the_typed_text() {
    let mut m = loaded(accepted());
    m.draft = "Are you free on Friday?".into();
    let call = m.begin(Action::Send, &me(), now()).unwrap();
    let text = "WhatsApp is turned off for this number. Contact your administrator.";
    let follow = m.finished(&call, Err(refused_409(text)));
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
    let call = m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    assert_eq!(
        state(&m),
        StateName::Pending,
        "the engine's prediction shows"
    );
    assert_eq!(m.optimistic()[0].kind, MessageKind::Automatic);
    m.finished(&call, Err(refused_409("Refused.")));
    assert_eq!(
        state(&m),
        StateName::NotRequested,
        "the server's facts again"
    );
}

#[test]
fn a_sent_request_is_confirmed() {
    let mut m = loaded(ConsentState::NotRequested);
    let call = m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    assert_eq!(m.notice().unwrap().text, "Sending the opt-in request…");
    let pending = ConsentState::Pending {
        requested_at: now(),
        attempts: 1,
    };
    m.finished(
        &call,
        Ok(ActionResult {
            conversation: summary(pending),
            messages: vec![],
        }),
    );
    assert_eq!(m.notice().unwrap().text, "Opt-in request sent.");
    assert_eq!(state(&m), StateName::Pending);
}

#[test]
fn a_transport_failure_offers_a_retry_and_keeps_the_text() {
    let mut m = loaded(accepted());
    m.draft = "Hello?".into();
    let call = m.begin(Action::Send, &me(), now()).unwrap();
    m.finished(&call, Err(ApiFailure::unreachable("offline")));
    let n = m.notice().unwrap();
    assert_eq!(n.tone, Tone::Error);
    assert_eq!(n.retry, Some(Retry::Action(Action::Send)));
    assert_eq!(m.draft, "Hello?");
}

#[test]
fn an_answer_for_another_call_changes_nothing() {
    // Sent in another conversation, answered after the agent moved here.
    let stale = Call::SendMessage {
        conversation: ID + 1,
        body: "Elsewhere".into(),
    };
    let mut m = loaded(accepted());
    m.draft = "Here".into();
    m.begin(Action::Send, &me(), now()).unwrap();
    let before = m.clone();
    let follow = m.finished(&stale, Err(refused_409("Refused elsewhere.")));
    assert_eq!(follow, Follow::default());
    assert_eq!(m, before);
}
