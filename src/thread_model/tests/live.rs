//! Live events: the server's newer state wins.

use optline_api::{ConsentStatus, Direction, LiveEvent, MessageKind};
use optline_engine::ConsentState;

use super::*;

#[test]
fn a_live_event_with_newer_server_state_wins_over_an_older_prediction() {
    let mut m = loaded(ConsentState::NotRequested);
    assert!(m.begin(Action::RequestOptIn, &me(), now()).is_some());
    assert_eq!(state(&m), StateName::Pending);
    // Meanwhile the contact opted in by themselves (the server says so).
    m.live(LiveEvent::Consent {
        conversation_id: ID,
        consent: at(accepted(), 2),
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
