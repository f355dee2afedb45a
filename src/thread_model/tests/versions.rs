//! The orders in which server states reach the model (issue 17): an
//! action's answer, live events and reloads race; the newest version wins
//! and a prediction never hides a newer server state.

use optline_api::{ActionResult, ConversationDetail, Direction, Flow, LiveEvent, MessageKind};
use optline_engine::ConsentState;

use super::*;

fn answer(state: ConsentState, version: i64) -> Result<ActionResult, ApiFailure> {
    Ok(ActionResult {
        conversation: summary_at(state, version),
        messages: vec![message(
            2,
            Direction::Outbound,
            MessageKind::Automatic,
            "Reply YES to accept.",
        )],
    })
}

fn consent_event(state: ConsentState, version: i64) -> LiveEvent {
    LiveEvent::Consent {
        conversation_id: ID,
        consent: at(state, version),
    }
}

fn message_event(id: i64, body: &str, state: ConsentState, version: i64) -> LiveEvent {
    LiveEvent::Message {
        conversation: Box::new(summary_at(state, version)),
        message: message(id, Direction::Inbound, MessageKind::Contact, body),
    }
}

/// Accepted, and the agent may write: what the page must end on.
fn ends_accepted(m: &ThreadModel) {
    let a = m.actions(&me(), now()).unwrap();
    assert_eq!(a.state, StateName::Accepted);
    assert!(a.send.is_ok(), "the composer is enabled");
    assert_eq!(
        m.detail().unwrap().conversation.consent.state,
        ConsentStatus::Accepted
    );
    assert_ne!(m.notice().map(|n| n.text.as_str()), Some(REQUEST_SENT));
}

#[test]
fn the_contacts_yes_before_the_requests_answer_is_not_undone_by_it() {
    let mut m = loaded(ConsentState::NotRequested);
    let call = m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    // The stream is faster than the answer: pending, YES, accepted…
    m.live(consent_event(pending(), 2));
    m.live(message_event(3, "YES", accepted(), 3));
    m.live(consent_event(accepted(), 3));
    // …and only then the request's answer, with the older pending state.
    m.finished(&call, answer(pending(), 2));
    ends_accepted(&m);
    assert_eq!(m.busy(), None);
    assert_eq!(m.version(), 3);
}

#[test]
fn the_answer_first_then_the_yes_ends_accepted_and_clears_the_sent_line() {
    let mut m = loaded(ConsentState::NotRequested);
    let call = m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    m.finished(&call, answer(pending(), 2));
    assert_eq!(m.notice().unwrap().text, REQUEST_SENT);
    m.live(consent_event(pending(), 2));
    m.live(message_event(3, "YES", accepted(), 3));
    m.live(consent_event(accepted(), 3));
    ends_accepted(&m);
    assert_eq!(m.notice(), None, "the sent line is no longer news");
}

#[test]
fn a_rejection_also_clears_the_sent_line() {
    let mut m = loaded(ConsentState::NotRequested);
    let call = m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    m.finished(&call, answer(pending(), 2));
    m.live(consent_event(ConsentState::Rejected { at: now() }, 3));
    assert_eq!(state(&m), StateName::Rejected);
    assert_eq!(m.notice(), None);
}

#[test]
fn the_yes_between_the_answer_and_its_own_live_event() {
    let mut m = loaded(ConsentState::NotRequested);
    let call = m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    m.live(message_event(3, "YES", accepted(), 3));
    m.finished(&call, answer(pending(), 2));
    m.live(consent_event(pending(), 2)); // late, older
    m.live(consent_event(accepted(), 3));
    ends_accepted(&m);
}

#[test]
fn a_prediction_shows_until_a_newer_server_state_and_no_longer() {
    let mut m = loaded(ConsentState::NotRequested);
    m.begin(Action::RequestOptIn, &me(), now()).unwrap();
    // A state as old as the prediction's base (e.g. a repeated event)
    // does not hide the prediction…
    m.live(consent_event(ConsentState::NotRequested, 1));
    assert_eq!(state(&m), StateName::Pending, "the prediction still shows");
    // …an older one changes nothing at all…
    m.live(consent_event(ConsentState::NotRequested, 0));
    assert_eq!(m.version(), 1);
    assert_eq!(state(&m), StateName::Pending);
    // …and the server's own state at a newer version replaces it.
    m.live(consent_event(accepted(), 2));
    assert_eq!(state(&m), StateName::Accepted);
    assert_eq!(
        m.busy(),
        Some(Action::RequestOptIn),
        "the call is still out"
    );
}

#[test]
fn an_older_message_event_keeps_the_message_but_not_its_state() {
    let mut m = loaded(ConsentState::NotRequested);
    m.live(consent_event(accepted(), 5));
    m.live(message_event(4, "Hi", ConsentState::NotRequested, 4));
    assert_eq!(state(&m), StateName::Accepted);
    assert_eq!(m.version(), 5);
    assert!(m.detail().unwrap().messages.iter().any(|x| x.id == 4));
}

#[test]
fn a_reload_older_than_a_live_event_keeps_the_newer_state_and_messages() {
    let mut m = loaded(ConsentState::NotRequested);
    m.live(message_event(9, "YES", accepted(), 4));
    // A reload that left the server before the YES.
    let stale = ConversationDetail {
        conversation: summary_at(pending(), 3),
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
    m.loaded(Ok(stale), now());
    assert_eq!(state(&m), StateName::Accepted);
    assert_eq!(m.version(), 4);
    let ids: Vec<i64> = m.detail().unwrap().messages.iter().map(|x| x.id).collect();
    assert_eq!(ids, [1, 9]);
    // A newer reload is taken.
    let newer = ConversationDetail {
        conversation: summary_at(ConsentState::OptedOut { at: now() }, 6),
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
    m.loaded(Ok(newer), now());
    assert_eq!(state(&m), StateName::OptedOut);
}

#[test]
fn every_order_of_answer_and_events_ends_on_the_newest_state() {
    // answer(v2 pending), live pending v2, live accepted v3: all 6 orders.
    let orders: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let mut m = loaded(ConsentState::NotRequested);
        let call = m.begin(Action::RequestOptIn, &me(), now()).unwrap();
        for step in order {
            match step {
                0 => {
                    m.finished(&call, answer(pending(), 2));
                }
                1 => {
                    m.live(consent_event(pending(), 2));
                }
                _ => {
                    m.live(consent_event(accepted(), 3));
                }
            }
        }
        ends_accepted(&m);
        assert_eq!(m.notice(), None, "order {order:?}");
    }
}
