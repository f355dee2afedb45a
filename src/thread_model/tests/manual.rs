//! Manual records: what the engine offers each role, its checks of the
//! dialog's fields, and the server's answer.

use optline_api::{ActionResult, RefusalCode, Role, StateName};
use optline_engine::ConsentState;

use super::*;

fn admin() -> Me {
    let mut m = me();
    m.user.role = Role::Admin;
    m
}

#[test]
fn agents_are_offered_record_opt_out_and_never_record_opt_in() {
    let m = loaded(accepted());
    let a = m.manual_actions(&me()).expect("loaded");
    assert!(a.record_opt_out.is_ok());
    assert_eq!(
        a.record_opt_in.unwrap_err().code,
        RefusalCode::NotAllowedForRole
    );
    let a = m.manual_actions(&admin()).expect("loaded");
    assert!(a.record_opt_out.is_ok());
    assert_eq!(
        a.record_opt_in.unwrap_err().code,
        RefusalCode::AlreadyAccepted
    );
    let pending = loaded(ConsentState::NotRequested);
    assert!(pending
        .manual_actions(&admin())
        .unwrap()
        .record_opt_in
        .is_ok());
}

#[test]
fn the_dialog_fields_are_checked_by_the_engine() {
    let m = loaded(accepted());
    let r = m.check_opt_out(&me(), "  ").unwrap().unwrap_err();
    assert_eq!(r.code.field(), Some("note"));
    assert!(m.check_opt_out(&me(), "Phone call").unwrap().is_ok());
    let m = loaded(ConsentState::NotRequested);
    let r = m.check_opt_in(&admin(), "F-1", "").unwrap().unwrap_err();
    assert_eq!(r.code.field(), Some("agreed_text"));
    assert!(m.check_opt_in(&admin(), "F-1", "I agree").unwrap().is_ok());
    // An agent is refused by role, whatever the evidence.
    let r = m
        .check_opt_in(&me(), "F-1", "I agree")
        .unwrap()
        .unwrap_err();
    assert_eq!(r.code, RefusalCode::NotAllowedForRole);
}

#[test]
fn the_servers_answer_updates_the_banner() {
    let mut m = loaded(accepted());
    let result = ActionResult {
        conversation: summary(ConsentState::OptedOut { at: now() }),
        messages: vec![],
    };
    m.recorded(result, "Opt-out recorded.");
    assert_eq!(state(&m), StateName::OptedOut);
    assert_eq!(m.notice().unwrap().text, "Opt-out recorded.");
}
