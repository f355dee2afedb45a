//! The thread model's tests, natively: `cargo test -p optline-app --lib`.
//! This module holds the fixtures (an agent, a conversation in a given
//! consent state, messages); [`actions`] tests the agent's actions,
//! [`live`] the live events and [`versions`] the orders in which server
//! states can arrive.

mod actions;
mod disclaimer;
mod live;
mod manual;
mod versions;

use chrono::{DateTime, TimeZone, Utc};
use optline_api::{
    Channel, Consent, ConsentStatus, Contact, ConversationDetail, ConversationSummary,
    DeliveryStatus, Direction, Flow, LineOfBusiness, Me, Message, MessageKind, Organization,
    Refusal, RefusalCode, Role, StateName, Thread, User,
};
use optline_engine::ConsentState;

use super::*;

pub const ID: i64 = 7;
pub const AGENT: i64 = 3;

pub fn now() -> DateTime<Utc> {
    // 15:00 for a contact at UTC: outside the default quiet hours.
    Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap()
}

pub fn me() -> Me {
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

pub fn consent(state: ConsentState) -> Consent {
    let status = match state.name() {
        StateName::NotRequested => ConsentStatus::NotRequested,
        StateName::Notified => ConsentStatus::Notified,
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
        version: 1,
    }
}

/// A server state at consent version `version`.
pub fn at(state: ConsentState, version: i64) -> Consent {
    Consent {
        version,
        ..consent(state)
    }
}

/// A conversation summary at consent version `version`.
pub fn summary_at(state: ConsentState, version: i64) -> ConversationSummary {
    ConversationSummary {
        consent: at(state, version),
        ..summary(state)
    }
}

pub fn pending() -> ConsentState {
    ConsentState::Pending {
        requested_at: now(),
        attempts: 1,
    }
}

pub fn summary(state: ConsentState) -> ConversationSummary {
    ConversationSummary {
        id: ID,
        channel: Channel::Sms,
        contact: Contact {
            id: 1,
            phone: "+442079460001".into(),
            name: Some("Sam".into()),
            time_zone: "Europe/London".into(),
            utc_offset_seconds: 0,
            time_zones: vec!["Europe/London".into()],
            other_utc_offsets_seconds: vec![],
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

pub fn message(id: i64, direction: Direction, kind: MessageKind, body: &str) -> Message {
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
        sender_unverified: false,
    }
}

pub fn accepted() -> ConsentState {
    ConsentState::Accepted {
        at: now() - chrono::Duration::hours(1),
    }
}

/// A loaded thread whose server clock equals the browser's.
pub fn loaded(state: ConsentState) -> ThreadModel {
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

pub fn state(m: &ThreadModel) -> StateName {
    m.actions(&me(), now()).expect("engine input").state
}

pub fn refused_409(text: &str) -> ApiFailure {
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
