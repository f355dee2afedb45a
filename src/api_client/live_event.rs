//! Reading a live event (`GET /api/v1/events`) from its SSE name and data.
//!
//! `LiveEvent`'s own decoder is serde's internally tagged form: it buffers
//! the whole object into serde's generic `Content` tree before reading the
//! variant, which compiles every type inside an event (conversation,
//! message, consent, …) a second and third time — about 20 KB of the first
//! download. The SSE `event:` name already says which variant came (the API
//! guarantees it equals `type`), so each variant's fields are read directly
//! here, with the one JSON decoder the rest of the app uses. The tests check
//! the result against `LiveEvent`'s own decoder for every variant, so a
//! change of the wire type cannot go unnoticed.

use optline_api::{Consent, ConversationSummary, DeliveryStatus, LiveEvent, Message, Ownership};
use serde::Deserialize;

#[derive(Deserialize)]
struct MessageData {
    conversation: Box<ConversationSummary>,
    message: Message,
}

#[derive(Deserialize)]
struct StatusData {
    conversation_id: i64,
    message_id: i64,
    status: DeliveryStatus,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct ConsentData {
    conversation_id: i64,
    consent: Consent,
}

#[derive(Deserialize)]
struct OwnershipData {
    ownership: Ownership,
}

/// `data` as a `T`: in the browser parsed by `JSON.parse` and read by
/// `js_decode`, like every answer (see `transport::decode`); in the
/// native unit tests, which have no browser, by serde_json. Both feed the
/// same derived decoders.
#[cfg(target_arch = "wasm32")]
fn parse<T: serde::de::DeserializeOwned>(data: &str) -> Option<T> {
    super::js_decode::from_value(js_sys::JSON::parse(data).ok()?).ok()
}
#[cfg(not(target_arch = "wasm32"))]
fn parse<T: serde::de::DeserializeOwned>(data: &str) -> Option<T> {
    serde_json::from_str(data).ok()
}

/// The event named `name` (the SSE `event:` field) with JSON `data`; `None`
/// for an unknown name or data that does not read as that event.
pub fn decode(name: &str, data: &str) -> Option<LiveEvent> {
    let event = match name {
        "message" => {
            let d: MessageData = parse(data)?;
            LiveEvent::Message {
                conversation: d.conversation,
                message: d.message,
            }
        }
        "status" => {
            let d: StatusData = parse(data)?;
            LiveEvent::Status {
                conversation_id: d.conversation_id,
                message_id: d.message_id,
                status: d.status,
                error: d.error,
            }
        }
        "consent" => {
            let d: ConsentData = parse(data)?;
            LiveEvent::Consent {
                conversation_id: d.conversation_id,
                consent: d.consent,
            }
        }
        "ownership" => {
            let d: OwnershipData = parse(data)?;
            LiveEvent::Ownership {
                ownership: d.ownership,
            }
        }
        _ => return None,
    };
    Some(event)
}

#[cfg(test)]
mod tests {
    use optline_api::{Direction, MessageKind};
    use optline_engine::ConsentState;

    use super::*;
    use crate::thread_model::tests::{accepted, at, message, summary};

    /// Every variant, as the server sends it: decoded here as by
    /// `LiveEvent`'s own decoder.
    #[test]
    fn every_event_reads_as_the_wire_type_reads_it() {
        let events = [
            LiveEvent::Message {
                conversation: Box::new(summary(accepted())),
                message: message(9, Direction::Inbound, MessageKind::Contact, "Hi"),
            },
            LiveEvent::Status {
                conversation_id: 7,
                message_id: 9,
                status: DeliveryStatus::Failed,
                error: Some("carrier said no".into()),
            },
            LiveEvent::Status {
                conversation_id: 7,
                message_id: 9,
                status: DeliveryStatus::Delivered,
                error: None,
            },
            LiveEvent::Consent {
                conversation_id: 7,
                consent: at(ConsentState::NotRequested, 3),
            },
            LiveEvent::Ownership {
                ownership: Ownership {
                    line_of_business_id: 1,
                    contact_phone: "+14155550123".into(),
                    user_id: Some(3),
                    since: Some("2026-01-05T15:00:00Z".into()),
                },
            },
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            let reference: LiveEvent = serde_json::from_str(&json).unwrap();
            assert_eq!(decode(event.name(), &json), Some(reference), "{json}");
        }
    }

    #[test]
    fn optional_fields_may_be_missing_as_for_the_wire_type() {
        let json = r#"{"type":"status","conversation_id":7,"message_id":9,"status":"sent"}"#;
        let reference: LiveEvent = serde_json::from_str(json).unwrap();
        assert_eq!(decode("status", json), Some(reference));
    }

    #[test]
    fn unknown_names_and_unreadable_data_are_no_event() {
        assert_eq!(decode("resync", "{}"), None);
        assert_eq!(decode("status", "{\"conversation_id\":7}"), None);
        assert_eq!(decode("consent", "not json"), None);
    }
}
