//! Disclaimer mode (rule 15) as the thread model predicts it: the engine
//! says the first message goes out after the notice; the view only shows.

use optline_api::{FlowMode, MessageKind, StateName};
use optline_engine::{ConsentState, RefusalCode};

use super::*;

fn disclaimer_thread(state: ConsentState) -> ThreadModel {
    let mut m = loaded(state);
    if let Some(d) = m.detail.as_mut() {
        d.flow.mode = FlowMode::Disclaimer;
    }
    m
}

#[test]
fn the_first_message_is_predicted_after_the_notice_and_needs_no_request() {
    let mut m = disclaimer_thread(ConsentState::NotRequested);
    let a = m.actions(&me(), now()).expect("engine input");
    assert_eq!(a.send, Ok(()));
    assert_eq!(
        a.request_opt_in.map_err(|r| r.code),
        Err(RefusalCode::RequestNotNeeded)
    );
    m.draft = "Your crown is ready.".into();
    assert!(m.begin(Action::Send, &me(), now()).is_some());
    let shown = m.optimistic();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert_eq!(shown[0].kind, MessageKind::Automatic);
    assert!(shown[0].text.contains("Reply STOP to opt out"));
    assert_eq!(shown[1].text, "Your crown is ready.");
    assert_eq!(state(&m), StateName::Notified, "the prediction is Notified");
}

#[test]
fn a_notified_thread_messages_without_the_notice_again() {
    let mut m = disclaimer_thread(ConsentState::Notified { at: now() });
    m.draft = "See you soon.".into();
    assert!(m.begin(Action::Send, &me(), now()).is_some());
    assert_eq!(m.optimistic().len(), 1);
}
