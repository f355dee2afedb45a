//! Audit records (rule 12): every consent change, every opt-in request sent
//! and every admin action that affects a thread produces one, with enough
//! evidence to prove consent — who, when, which channel, how (keyword or
//! action), the exact text seen or sent, and the provider message id.
//!
//! The engine only *produces* records; the server appends them to its
//! append-only log and exports them as CSV.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Actor, Channel, StateName};

/// How a change happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum How {
    /// An agent pressed "Request opt-in"; evidence = the request text sent.
    AgentRequest,
    /// Rule 6 re-prompt; evidence = the request text sent.
    AutoReprompt,
    /// An inbound keyword; `keyword` names it, evidence = the inbound text.
    Keyword,
    /// Plain-language revocation (FCC 2024); evidence = the inbound text,
    /// `keyword` names the matched pattern.
    PlainLanguageRevocation,
    /// Inbound on a deactivated channel, answered by the auto-reply.
    ChannelOffAutoReply,
    /// An admin switched the channel on or off for the number.
    ChannelToggled,
    /// An admin reassigned or released the contact.
    Reassigned,
    /// An admin changed the contact's time zone (moves quiet hours).
    TimeZoneChanged,
    /// The carrier opted the contact out (e.g. Twilio's STOP handling);
    /// evidence = the inbound text.
    CarrierStop,
    /// The provider refused a send because the contact opted out with the
    /// carrier (e.g. Twilio error 21610); evidence = the provider's words.
    ProviderOptOut,
    /// Disclaimer mode (rule 15): the disclosure notice went out with the
    /// agent's first message; evidence = the exact notice text sent.
    Disclaimer,
    /// Rule 13: a user recorded consent given or revoked outside Optline
    /// (the actor says who). Opt-out: evidence = the note. Opt-in:
    /// evidence = the exact text agreed to, `provider_message_id` = the
    /// evidence's reference (a form number, a submission id).
    Manual,
    /// Rule 14: a WhatsApp quick-reply button; `keyword` = its payload,
    /// evidence = the label the contact tapped.
    ButtonReply,
}

impl How {
    /// The snake_case name, identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            How::AgentRequest => "agent_request",
            How::AutoReprompt => "auto_reprompt",
            How::Keyword => "keyword",
            How::PlainLanguageRevocation => "plain_language_revocation",
            How::ChannelOffAutoReply => "channel_off_auto_reply",
            How::ChannelToggled => "channel_toggled",
            How::Reassigned => "reassigned",
            How::TimeZoneChanged => "time_zone_changed",
            How::CarrierStop => "carrier_stop",
            How::ProviderOptOut => "provider_opt_out",
            How::Disclaimer => "disclaimer",
            How::Manual => "manual",
            How::ButtonReply => "button_reply",
        }
    }
}

/// One append-only audit entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub channel: Channel,
    pub from: StateName,
    pub to: StateName,
    pub how: How,
    /// The keyword (as configured) or revocation pattern, when `how` is one.
    pub keyword: Option<String>,
    /// The inbound text received or the outbound text sent.
    pub evidence: String,
    /// The provider's id of the inbound message, when known; for a manual
    /// opt-in, the reference of its evidence.
    pub provider_message_id: Option<String>,
}
