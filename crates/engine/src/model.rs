//! The nouns of the engine: channels, users, consent states and the
//! per-(business number, contact, channel) [`Thread`] record.
//!
//! Everything here is plain serde data so the server can store it and the
//! browser can receive it unchanged.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The messaging channel a consent record belongs to. Consent given on one
/// channel never counts for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// Text messages (TCPA / CTIA rules).
    #[serde(rename = "sms")]
    Sms,
    /// WhatsApp Business (Meta policy: opt-in, 24-hour window, templates).
    #[serde(rename = "whatsapp")]
    WhatsApp,
}

impl Channel {
    /// Both channels, in display order.
    pub const ALL: [Channel; 2] = [Channel::Sms, Channel::WhatsApp];

    /// The serde form (`"sms"`, `"whatsapp"`), also used in URLs and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::WhatsApp => "whatsapp",
        }
    }

    /// The channel whose serde form is `s`.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The product name shown to people ("SMS", "WhatsApp"); also what the
    /// `{channel}` placeholder renders to.
    pub fn display_name(self) -> &'static str {
        match self {
            Channel::Sms => "SMS",
            Channel::WhatsApp => "WhatsApp",
        }
    }
}

/// A user (agent or admin) of the business. Serialized as a bare number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserId(pub i64);

/// Consent of one contact, on one channel, towards one business number.
///
/// "Expired" is not a state: it is derived (a `Pending` whose last request is
/// older than the flow's resend interval), so nothing has to run on a timer.
///
/// On the wire: `{"state": "pending", "requested_at": …, "attempts": 2}`
/// (the name, then the variant's fields; read back by the `Deserialize`
/// impl below).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConsentState {
    /// Nobody asked yet. Agents may only send an opt-in request.
    #[default]
    NotRequested,
    /// Disclaimer mode (rule 15): the disclosure notice went out with the
    /// first agent message at `at`. Agents may message; STOP still opts out.
    Notified { at: DateTime<Utc> },
    /// A request is out. `requested_at` is the last request sent (by an agent
    /// or an automatic re-prompt); `attempts` counts every request sent.
    Pending {
        requested_at: DateTime<Utc>,
        attempts: u32,
    },
    /// The contact replied an accept (or START) keyword.
    Accepted { at: DateTime<Utc> },
    /// The contact replied a reject keyword to a request. Agents may not ask
    /// again; the contact may still opt in by replying an accept keyword.
    Rejected { at: DateTime<Utc> },
    /// The contact revoked consent (STOP or plain language). Agents may not
    /// message or ask; the contact may opt in again (START or YES).
    OptedOut { at: DateTime<Utc> },
}

/// Reads the form `Serialize` writes through one flat record (the name and
/// every variant's fields, each optional) instead of serde's derived
/// internally tagged reader, which first copies the object into a generic
/// buffer: in the wasm app that reader was compiled four times over (about
/// 9 KB). Same input accepted, same field named when one is missing.
impl<'de> Deserialize<'de> for ConsentState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Flat {
            state: StateName,
            #[serde(default, deserialize_with = "crate::time::optional_rfc3339")]
            at: Option<DateTime<Utc>>,
            #[serde(default, deserialize_with = "crate::time::optional_rfc3339")]
            requested_at: Option<DateTime<Utc>>,
            #[serde(default)]
            attempts: Option<u32>,
        }
        fn need<T, E: serde::de::Error>(v: Option<T>, field: &'static str) -> Result<T, E> {
            v.ok_or_else(|| E::missing_field(field))
        }
        let f = Flat::deserialize(d)?;
        Ok(match f.state {
            StateName::NotRequested => ConsentState::NotRequested,
            StateName::Notified => ConsentState::Notified {
                at: need(f.at, "at")?,
            },
            StateName::Pending => ConsentState::Pending {
                requested_at: need(f.requested_at, "requested_at")?,
                attempts: need(f.attempts, "attempts")?,
            },
            StateName::Accepted => ConsentState::Accepted {
                at: need(f.at, "at")?,
            },
            StateName::Rejected => ConsentState::Rejected {
                at: need(f.at, "at")?,
            },
            StateName::OptedOut => ConsentState::OptedOut {
                at: need(f.at, "at")?,
            },
        })
    }
}

impl ConsentState {
    /// When the state was entered (for Pending: the last request sent).
    pub fn since(&self) -> Option<DateTime<Utc>> {
        match *self {
            ConsentState::NotRequested => None,
            ConsentState::Pending { requested_at, .. } => Some(requested_at),
            ConsentState::Notified { at }
            | ConsentState::Accepted { at }
            | ConsentState::Rejected { at }
            | ConsentState::OptedOut { at } => Some(at),
        }
    }

    /// Opt-in requests sent while Pending (0 in every other state).
    pub fn attempts(&self) -> u32 {
        match *self {
            ConsentState::Pending { attempts, .. } => attempts,
            _ => 0,
        }
    }

    /// The state's name without its data, as used in audit records.
    pub fn name(&self) -> StateName {
        match self {
            ConsentState::NotRequested => StateName::NotRequested,
            ConsentState::Notified { .. } => StateName::Notified,
            ConsentState::Pending { .. } => StateName::Pending,
            ConsentState::Accepted { .. } => StateName::Accepted,
            ConsentState::Rejected { .. } => StateName::Rejected,
            ConsentState::OptedOut { .. } => StateName::OptedOut,
        }
    }
}

/// A consent state's name (snake_case on the wire), e.g. for audit records,
/// filters and scenario vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StateName {
    NotRequested,
    Notified,
    Pending,
    Accepted,
    Rejected,
    OptedOut,
}

impl StateName {
    /// Every state, in the order a consent usually moves through them.
    pub const ALL: [StateName; 6] = [
        StateName::NotRequested,
        StateName::Notified,
        StateName::Pending,
        StateName::Accepted,
        StateName::Rejected,
        StateName::OptedOut,
    ];

    /// The state whose serde form is `s`.
    pub fn parse(s: &str) -> Option<StateName> {
        StateName::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// The state in a few words, for badges and filters.
    pub fn label(self) -> &'static str {
        match self {
            StateName::NotRequested => ConsentStatus::NotRequested.label(),
            StateName::Notified => ConsentStatus::Notified.label(),
            StateName::Pending => ConsentStatus::Pending.label(),
            StateName::Accepted => ConsentStatus::Accepted.label(),
            StateName::Rejected => ConsentStatus::Rejected.label(),
            StateName::OptedOut => ConsentStatus::OptedOut.label(),
        }
    }

    /// The snake_case name, identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            StateName::NotRequested => "not_requested",
            StateName::Notified => "notified",
            StateName::Pending => "pending",
            StateName::Accepted => "accepted",
            StateName::Rejected => "rejected",
            StateName::OptedOut => "opted_out",
        }
    }
}

/// Consent as people see it: a state's name, with "expired" (a pending
/// request older than the resend interval) derived by
/// [`crate::consent_status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConsentStatus {
    NotRequested,
    Notified,
    Pending,
    Expired,
    Accepted,
    Rejected,
    OptedOut,
}

impl ConsentStatus {
    /// Every status, in the order the UI lists them.
    pub const ALL: [ConsentStatus; 7] = [
        ConsentStatus::NotRequested,
        ConsentStatus::Notified,
        ConsentStatus::Pending,
        ConsentStatus::Expired,
        ConsentStatus::Accepted,
        ConsentStatus::Rejected,
        ConsentStatus::OptedOut,
    ];

    /// The snake_case name, identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::NotRequested => "not_requested",
            ConsentStatus::Notified => "notified",
            ConsentStatus::Pending => "pending",
            ConsentStatus::Expired => "expired",
            ConsentStatus::Accepted => "accepted",
            ConsentStatus::Rejected => "rejected",
            ConsentStatus::OptedOut => "opted_out",
        }
    }

    /// The status whose serde form is `s`.
    pub fn parse(s: &str) -> Option<ConsentStatus> {
        ConsentStatus::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// The status in a few words, for badges and filters.
    pub fn label(self) -> &'static str {
        match self {
            ConsentStatus::NotRequested => "Not requested",
            ConsentStatus::Notified => "Notified",
            ConsentStatus::Pending => "Opt-in pending",
            ConsentStatus::Expired => "Request expired",
            ConsentStatus::Accepted => "Opted in",
            ConsentStatus::Rejected => "Rejected",
            ConsentStatus::OptedOut => "Opted out",
        }
    }

    /// The stored state this status derives from (expired is pending).
    pub fn state(self) -> StateName {
        match self {
            ConsentStatus::NotRequested => StateName::NotRequested,
            ConsentStatus::Notified => StateName::Notified,
            ConsentStatus::Pending | ConsentStatus::Expired => StateName::Pending,
            ConsentStatus::Accepted => StateName::Accepted,
            ConsentStatus::Rejected => StateName::Rejected,
            ConsentStatus::OptedOut => StateName::OptedOut,
        }
    }
}

/// Everything the engine remembers about one (business number, contact,
/// channel). The server stores it as a row (or JSON); the engine never keeps
/// anything else between calls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Thread {
    /// The consent state.
    pub consent: ConsentState,
    /// When the contact last wrote to us (any inbound). Opens WhatsApp's
    /// 24-hour customer-service window.
    #[serde(deserialize_with = "crate::time::optional_rfc3339")]
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Automatic re-prompts sent since the last agent request (loop
    /// protection: once it reaches the flow's limit the engine goes silent).
    pub auto_reprompts: u32,
    /// When the "channel deactivated" auto-reply was last sent (loop
    /// protection: at most one per 24 hours per thread).
    #[serde(deserialize_with = "crate::time::optional_rfc3339")]
    pub last_channel_off_reply_at: Option<DateTime<Utc>>,
}

/// Who caused an audited change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Actor {
    /// The contact, through an inbound message.
    Contact,
    /// An agent action.
    Agent { id: UserId },
    /// An admin action (channel toggle, reassignment).
    Admin { id: UserId },
    /// The engine itself (automatic re-prompt).
    System,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `#[derive(Deserialize)]` with `tag = "state"` made of the same
    /// enum: the reference the hand-written reader must agree with.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "state", rename_all = "snake_case")]
    enum Derived {
        NotRequested,
        Notified {
            at: DateTime<Utc>,
        },
        Pending {
            requested_at: DateTime<Utc>,
            attempts: u32,
        },
        Accepted {
            at: DateTime<Utc>,
        },
        Rejected {
            at: DateTime<Utc>,
        },
        OptedOut {
            at: DateTime<Utc>,
        },
    }

    impl From<Derived> for ConsentState {
        fn from(d: Derived) -> Self {
            match d {
                Derived::NotRequested => ConsentState::NotRequested,
                Derived::Notified { at } => ConsentState::Notified { at },
                Derived::Pending {
                    requested_at,
                    attempts,
                } => ConsentState::Pending {
                    requested_at,
                    attempts,
                },
                Derived::Accepted { at } => ConsentState::Accepted { at },
                Derived::Rejected { at } => ConsentState::Rejected { at },
                Derived::OptedOut { at } => ConsentState::OptedOut { at },
            }
        }
    }

    const AT: &str = "2026-01-05T15:00:00Z";

    #[test]
    fn every_state_reads_back_what_it_writes() {
        let at: DateTime<Utc> = AT.parse().unwrap();
        for s in [
            ConsentState::NotRequested,
            ConsentState::Notified { at },
            ConsentState::Pending {
                requested_at: at,
                attempts: 2,
            },
            ConsentState::Accepted { at },
            ConsentState::Rejected { at },
            ConsentState::OptedOut { at },
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(
                serde_json::from_str::<ConsentState>(&json).unwrap(),
                s,
                "{json}"
            );
        }
    }

    #[test]
    fn reads_what_the_derived_reader_reads_and_refuses_what_it_refuses() {
        let inputs = [
            r#"{"state":"not_requested"}"#.to_string(),
            format!(r#"{{"state":"accepted","at":"{AT}"}}"#),
            format!(r#"{{"at":"{AT}","state":"opted_out"}}"#),
            format!(r#"{{"state":"pending","attempts":3,"requested_at":"{AT}"}}"#),
            format!(r#"{{"state":"notified","at":"{AT}","note":"extra fields are ignored"}}"#),
            format!(r#"{{"state":"not_requested","at":"{AT}"}}"#),
            r#"{"state":"accepted"}"#.to_string(),
            format!(r#"{{"state":"pending","requested_at":"{AT}"}}"#),
            format!(r#"{{"state":"expired","at":"{AT}"}}"#),
            format!(r#"{{"at":"{AT}"}}"#),
            r#"{"state":"rejected","at":"yesterday"}"#.to_string(),
            format!(r#"{{"state":"accepted","at":"{AT}","at":"{AT}"}}"#),
            r#""accepted""#.to_string(),
        ];
        for json in inputs {
            let ours = serde_json::from_str::<ConsentState>(&json);
            let derived = serde_json::from_str::<Derived>(&json).map(ConsentState::from);
            match (&ours, &derived) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{json}: ours {ours:?}, derived {derived:?}"),
            }
        }
    }

    #[test]
    fn thread_times_read_back_as_chrono_writes_them() {
        // chrono's own form (what the server stores), with and without
        // fractions, and an offset other than Z.
        for at in [
            AT,
            "2026-01-05T15:00:00.123456789Z",
            "2026-01-05T16:00:00+01:00",
        ] {
            let t: DateTime<Utc> = at.parse().unwrap();
            let thread = Thread {
                last_inbound_at: Some(t),
                last_channel_off_reply_at: Some(t),
                ..Thread::default()
            };
            let json = serde_json::to_string(&thread).unwrap();
            assert_eq!(
                serde_json::from_str::<Thread>(&json).unwrap(),
                thread,
                "{json}"
            );
            let raw = format!(r#"{{"last_inbound_at":"{at}","last_channel_off_reply_at":null}}"#);
            let read = serde_json::from_str::<Thread>(&raw).unwrap();
            assert_eq!(
                (read.last_inbound_at, read.last_channel_off_reply_at),
                (Some(t), None)
            );
        }
        // Absent times are none.
        assert_eq!(
            serde_json::from_str::<Thread>("{}").unwrap(),
            Thread::default()
        );
    }

    #[test]
    fn a_time_that_is_not_rfc_3339_is_refused_by_name() {
        let e = serde_json::from_str::<Thread>(r#"{"last_inbound_at":"yesterday"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expected an RFC 3339 time, got \"yesterday\""),
            "{e}"
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = serde_json::from_str::<ConsentState>(r#"{"state":"pending","attempts":1}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `requested_at`"), "{e}");
    }
}
