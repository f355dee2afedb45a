//! Wire types of Optline's REST API (`/api/v1`) and its live events (SSE).
//!
//! Shared by the server and the browser app, so the two can never disagree on
//! the wire format. Serde only; the `openapi` feature (enabled by the server
//! alone) adds `utoipa` schemas so the OpenAPI document is generated from
//! these very types.
//!
//! Conventions:
//! - Times are RFC 3339 strings in UTC (`2026-01-02T03:04:05Z`).
//! - Phone numbers are E.164 strings (`+14155550123`).
//! - Channels are `"sms"` or `"whatsapp"`.
//! - Every 4xx answer has the body [`ErrorBody`].
//! - Engine-owned data (channel, consent state and status, thread, flow,
//!   flow problems, refusals) travels as the engine's own types, so the
//!   browser hands what it receives straight to the wasm engine and the two
//!   sides can never disagree on a name.

use serde::{Deserialize, Serialize};

pub use optline_engine::{
    Channel, ConsentStatus, Flow, FlowMode, FlowProblem, Refusal, RefusalCode, StateName, Thread,
};

macro_rules! wire {
    ($($item:item)*) => {
        $(
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
            $item
        )*
    };
}

mod integrations;
pub use integrations::*;

wire! {
    /// `GET /api/health`
    pub struct Health {
        pub status: String,
        pub version: String,
    }

    /// Body of every 4xx/5xx answer.
    pub struct ErrorBody {
        pub error: ApiError,
    }

    /// What went wrong, in words a person can act on.
    pub struct ApiError {
        /// Stable snake_case code (`invalid_phone`, `not_found`, or an engine
        /// refusal code such as `resend_too_soon`).
        pub code: String,
        /// Human text naming the field and what to do.
        pub message: String,
        /// Path of the offending field (`body`, `flow.keywords.accept`), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub field: Option<String>,
        /// The engine's refusal, when the server's engine refused an action
        /// (409): its code, exact text and when it becomes possible.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub refusal: Option<Refusal>,
    }

    #[serde(rename_all = "snake_case")]
    #[derive(Copy, Eq)]
    pub enum Role {
        Admin,
        Agent,
    }

    /// `POST /api/v1/auth/login`
    pub struct LoginRequest {
        pub email: String,
        pub password: String,
    }

    /// A business number (one per agent) and its channel switches.
    pub struct BusinessNumber {
        pub id: i64,
        pub phone: String,
        pub line_of_business_id: i64,
        /// The user this number belongs to, if any.
        #[serde(default)]
        pub user_id: Option<i64>,
        pub sms_enabled: bool,
        pub whatsapp_enabled: bool,
        /// `simulator` (default), `whatsapp` (WhatsApp Cloud API) or `twilio` (SMS).
        pub provider: String,
        /// The provider's settings without secrets (absent for the simulator).
        #[serde(default)]
        pub provider_settings: Option<ProviderSettings>,
    }

    /// A number's provider settings as the API shows them: secrets are never
    /// returned, only whether each is configured.
    pub struct ProviderSettings {
        /// `whatsapp` or `twilio`.
        pub kind: String,
        /// WhatsApp: the Cloud API phone number id.
        #[serde(default)]
        pub phone_number_id: Option<String>,
        /// WhatsApp: the approved template sent as the opt-in request outside the 24-h window.
        #[serde(default)]
        pub template_name: Option<String>,
        #[serde(default)]
        pub template_language: Option<String>,
        /// Twilio: the account SID (not a secret).
        #[serde(default)]
        pub account_sid: Option<String>,
        /// Twilio: the sender (E.164 or messaging service SID).
        #[serde(default)]
        pub from: Option<String>,
        /// Each secret of the provider and whether it is set.
        pub secrets: Vec<SecretState>,
        /// Where the provider must send its webhooks (path under the public URL).
        pub webhook_path: String,
    }

    pub struct SecretState {
        /// `app_secret`, `verify_token`, `access_token` or `auth_token`.
        pub name: String,
        pub configured: bool,
    }

    /// `provider` in `PATCH /api/v1/admin/numbers/{id}`. A secret left out
    /// keeps its stored value when the kind does not change.
    pub struct ProviderConfigInput {
        /// `simulator`, `whatsapp` or `twilio`.
        pub kind: String,
        #[serde(default)]
        pub app_secret: Option<String>,
        #[serde(default)]
        pub verify_token: Option<String>,
        #[serde(default)]
        pub access_token: Option<String>,
        #[serde(default)]
        pub phone_number_id: Option<String>,
        #[serde(default)]
        pub template_name: Option<String>,
        #[serde(default)]
        pub template_language: Option<String>,
        #[serde(default)]
        pub account_sid: Option<String>,
        #[serde(default)]
        pub auth_token: Option<String>,
        #[serde(default)]
        pub from: Option<String>,
    }

    /// `PATCH /api/v1/admin/numbers/{id}`: channel switches, the number's
    /// user and its provider settings; every field optional.
    pub struct UpdateNumberRequest {
        #[serde(default)]
        pub sms_enabled: Option<bool>,
        #[serde(default)]
        pub whatsapp_enabled: Option<bool>,
        /// Assign the number to this user (must be in the organization).
        #[serde(default)]
        pub user_id: Option<i64>,
        #[serde(default)]
        pub provider: Option<ProviderConfigInput>,
    }

    pub struct LineOfBusiness {
        pub id: i64,
        pub name: String,
    }

    /// `GET /api/v1/me`
    pub struct Me {
        pub user: User,
        pub organization: Organization,
        pub lines_of_business: Vec<LineOfBusiness>,
    }

    /// `GET /api/v1/session`: who is logged in, if anyone. Always 200, so a
    /// visitor's page load logs no error; `me` is null without a valid
    /// session (a missing, expired and forged cookie look the same).
    pub struct SessionInfo {
        #[serde(default)]
        pub me: Option<Me>,
    }

    pub struct Organization {
        pub id: i64,
        pub name: String,
    }

    pub struct User {
        pub id: i64,
        pub email: String,
        pub name: String,
        pub role: Role,
        #[serde(default)]
        pub line_of_business_id: Option<i64>,
        /// The user's business number (agents have exactly one).
        #[serde(default)]
        pub number: Option<BusinessNumber>,
        pub active: bool,
    }

    /// Consent as the UI shows it, plus the engine's thread.
    pub struct Consent {
        /// The state as shown (`expired` is derived by the engine: pending
        /// past the resend interval).
        pub state: ConsentStatus,
        /// When the state was entered (or the last request, for pending).
        #[serde(default)]
        pub since: Option<String>,
        /// Opt-in requests sent while pending.
        #[serde(default)]
        pub attempts: u32,
        /// The engine's thread (hand it to the wasm engine).
        pub raw: Thread,
        /// The conversation's consent version: a sequence the server
        /// raises on every change of the stored thread. Of two views of one
        /// conversation (an action's answer, a live event, a reload) the
        /// one with the higher version is the newer; equal versions are the
        /// same state.
        #[serde(default)]
        pub version: i64,
    }

    /// One conversation in the inbox.
    pub struct ConversationSummary {
        pub id: i64,
        pub channel: Channel,
        pub contact: Contact,
        pub business_number: String,
        pub consent: Consent,
        pub unread: u32,
        #[serde(default)]
        pub last_message: Option<Message>,
        /// Last inbound message time (drives the WhatsApp 24 h window).
        #[serde(default)]
        pub last_inbound_at: Option<String>,
        /// User currently holding this contact on WhatsApp in the line of business.
        #[serde(default)]
        pub owner_user_id: Option<i64>,
        pub updated_at: String,
    }

    pub struct Contact {
        pub id: i64,
        pub phone: String,
        #[serde(default)]
        pub name: Option<String>,
        /// IANA zone, e.g. `America/New_York`: the first of `time_zones`.
        pub time_zone: String,
        /// The zone's UTC offset now, in seconds (for the engine).
        pub utc_offset_seconds: i32,
        /// Every zone the contact may be in: one when known, several when the
        /// number's prefix spans zones and nobody has said which (quiet hours
        /// then follow the most restrictive).
        #[serde(default)]
        pub time_zones: Vec<String>,
        /// UTC offsets now of `time_zones` after the first (for the engine).
        #[serde(default)]
        pub other_utc_offsets_seconds: Vec<i32>,
    }

    /// `GET /api/v1/conversations?q=&state=&channel=&cursor=&limit=`
    pub struct ConversationPage {
        pub items: Vec<ConversationSummary>,
        /// Pass as `cursor` to get the next page; absent on the last page.
        #[serde(default)]
        pub next_cursor: Option<String>,
        pub total: u64,
    }

    #[serde(rename_all = "snake_case")]
    #[derive(Copy, Eq)]
    pub enum Direction {
        Inbound,
        Outbound,
    }

    #[serde(rename_all = "snake_case")]
    #[derive(Copy, Eq)]
    pub enum MessageKind {
        /// Typed by an agent.
        Agent,
        /// Sent by the contact.
        Contact,
        /// Sent by Optline itself (opt-in request, confirmations, auto-replies).
        Automatic,
    }

    #[serde(rename_all = "snake_case")]
    #[derive(Copy, Eq)]
    pub enum DeliveryStatus {
        Received,
        Queued,
        /// The send request went out but its answer did not come back (a
        /// timeout, a 5xx): whether the provider took it is not known. It
        /// is never resent blind; the provider's status report settles it.
        Unknown,
        Sent,
        Delivered,
        Read,
        Failed,
    }

    pub struct Message {
        pub id: i64,
        pub conversation_id: i64,
        pub direction: Direction,
        pub kind: MessageKind,
        pub body: String,
        pub status: DeliveryStatus,
        #[serde(default)]
        pub error: Option<String>,
        #[serde(default)]
        pub provider_message_id: Option<String>,
        /// The agent who sent it (agent messages, agent-triggered requests).
        #[serde(default)]
        pub user_id: Option<i64>,
        pub created_at: String,
        /// An inbound message whose sender address the phone library did
        /// not accept: stored with the address exactly as the provider
        /// (which signed it) gave it, never dropped.
        #[serde(default)]
        pub sender_unverified: bool,
    }

    /// `GET /api/v1/conversations/{id}`
    pub struct ConversationDetail {
        pub conversation: ConversationSummary,
        /// Oldest first; the most recent `limit` messages.
        pub messages: Vec<Message>,
        /// Whether older messages exist (`GET .../messages?before=ID`).
        pub has_more: bool,
        /// The flow in force for this conversation.
        pub flow: Flow,
        /// Whether the business number's channel is switched on.
        pub channel_enabled: bool,
        /// The server's clock now (differs from the wall clock in test mode).
        pub now: String,
    }

    /// `GET /api/v1/conversations/{id}/messages?before=&limit=`
    pub struct MessagePage {
        pub messages: Vec<Message>,
        pub has_more: bool,
    }

    /// `POST /api/v1/conversations/{id}/messages`
    pub struct SendMessageRequest {
        pub body: String,
    }

    /// `POST /api/v1/conversations`: start a conversation with a new number.
    pub struct StartConversationRequest {
        pub phone: String,
        pub channel: Channel,
        #[serde(default)]
        pub name: Option<String>,
        /// IANA zone of a contact stored for the first time; by default the
        /// zones of the number's prefix, else the flow's default zone. It
        /// never changes an existing contact's zone (an admin does that:
        /// `PUT /api/v1/admin/contacts/{id}/time-zone`).
        #[serde(default)]
        pub time_zone: Option<String>,
    }

    /// Answer of send / request opt-in: what the server did.
    pub struct ActionResult {
        pub conversation: ConversationSummary,
        /// Messages created by the action (the agent's, automatic ones).
        pub messages: Vec<Message>,
    }

    /// `POST /api/v1/conversations/{id}/manual-opt-out` (rule 13): an agent
    /// or admin records an opt-out the contact gave another way (a call,
    /// an e-mail, in person). Answered with an [`ActionResult`].
    pub struct RecordOptOutRequest {
        /// How the contact opted out (required, at most 500 characters).
        pub note: String,
    }

    /// `POST /api/v1/conversations/{id}/manual-opt-in` (rule 13, admins
    /// only): an opt-in collected elsewhere, with its evidence. Answered
    /// with an [`ActionResult`].
    pub struct RecordOptInRequest {
        /// The evidence's reference, e.g. a signed form's number (required,
        /// at most 200 characters).
        pub reference: String,
        /// The exact text the contact agreed to (required, at most 2000
        /// characters).
        pub agreed_text: String,
    }

    /// `POST /api/v1/sim/inbound`: a simulated contact sends a message.
    pub struct SimInboundRequest {
        /// The contact's phone (any valid number).
        pub from: String,
        /// A business number.
        pub to: String,
        pub channel: Channel,
        pub body: String,
        /// Provider message id; generated when absent. Re-sending the same
        /// id is a no-op (exactly once).
        #[serde(default)]
        pub provider_message_id: Option<String>,
    }

    pub struct SimInboundResponse {
        pub message_id: i64,
        pub provider_message_id: String,
        /// True when this provider message id had been received before.
        pub duplicate: bool,
    }

    /// A message as the simulated phone sees it.
    pub struct SimPhoneMessage {
        pub id: i64,
        /// `inbound` = sent by this phone; `outbound` = received by it.
        pub direction: Direction,
        pub business_number: String,
        pub channel: Channel,
        pub body: String,
        pub created_at: String,
    }

    /// `GET /api/v1/sim/phones/{phone}/messages`
    pub struct SimPhoneInbox {
        pub phone: String,
        pub messages: Vec<SimPhoneMessage>,
    }

    /// `GET /api/v1/sim/numbers`: business numbers a simulated phone can write to.
    pub struct SimDirectory {
        pub numbers: Vec<SimBusinessNumber>,
    }

    pub struct SimBusinessNumber {
        pub phone: String,
        pub organization: String,
        pub line_of_business: String,
        #[serde(default)]
        pub agent: Option<String>,
    }

    // ---------------------------------------------------------------- admin

    /// `POST /api/v1/admin/users`
    pub struct CreateUserRequest {
        pub email: String,
        pub name: String,
        pub password: String,
        pub role: Role,
        #[serde(default)]
        pub line_of_business_id: Option<i64>,
        /// Business number to give the user (E.164).
        #[serde(default)]
        pub phone: Option<String>,
    }

    /// `PATCH /api/v1/admin/users/{id}`: every field optional.
    pub struct UpdateUserRequest {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub password: Option<String>,
        #[serde(default)]
        pub active: Option<bool>,
        #[serde(default)]
        pub line_of_business_id: Option<i64>,
    }

    pub struct UserList {
        pub users: Vec<User>,
    }

    pub struct NumberList {
        pub numbers: Vec<BusinessNumber>,
    }

    /// `GET /api/v1/admin/flows/{line_of_business_id}/{channel}`
    pub struct FlowDocument {
        pub line_of_business_id: i64,
        pub channel: Channel,
        pub flow: Flow,
        /// True when no custom flow is saved and the default is in force.
        pub is_default: bool,
        #[serde(default)]
        pub updated_at: Option<String>,
    }

    /// `PUT .../flows/...` and `POST .../flows/.../validate` body.
    pub struct SaveFlowRequest {
        pub flow: Flow,
    }

    /// Validation result: every problem at once (fields as request paths,
    /// e.g. `flow.keywords.accept`).
    pub struct FlowValidation {
        pub valid: bool,
        pub problems: Vec<FlowProblem>,
    }

    /// Who holds a contact on WhatsApp in a line of business.
    pub struct Ownership {
        pub line_of_business_id: i64,
        pub contact_phone: String,
        #[serde(default)]
        pub user_id: Option<i64>,
        #[serde(default)]
        pub since: Option<String>,
    }

    pub struct OwnershipList {
        pub items: Vec<Ownership>,
    }

    /// `POST /api/v1/admin/ownership/reassign` (user_id set) and
    /// `POST /api/v1/admin/ownership/release` (user_id ignored).
    pub struct OwnershipChangeRequest {
        pub line_of_business_id: i64,
        pub contact_phone: String,
        #[serde(default)]
        pub user_id: Option<i64>,
    }

    /// `PUT /api/v1/admin/contacts/{id}/time-zone`: an admin sets the
    /// contact's time zone (quiet hours follow it); audited on every thread.
    pub struct ContactTimeZoneRequest {
        /// IANA zone, e.g. `Europe/Paris`.
        pub time_zone: String,
        /// Why (e.g. "the client said they live in Boise"), kept in the audit.
        #[serde(default)]
        pub note: Option<String>,
    }

    /// One append-only consent audit record.
    pub struct AuditRecord {
        pub id: i64,
        pub at: String,
        pub business_number: String,
        pub contact_phone: String,
        pub channel: Channel,
        /// `contact`, `system`, `user:<id>` or `admin:<id>`.
        pub actor: String,
        /// What happened (`opt_in_requested`, `accepted`, `opted_out`, ...).
        pub action: String,
        /// State names as recorded (kept as text: the audit is append-only
        /// evidence and keeps what was written, also by older versions).
        pub from_state: String,
        pub to_state: String,
        /// The inbound text or the outbound message.
        pub evidence: String,
        /// The exact request text the contact saw, when relevant.
        #[serde(default)]
        pub request_text: Option<String>,
        #[serde(default)]
        pub provider_message_id: Option<String>,
        /// Where the evidence came from: `simulator`, `whatsapp`, `twilio`
        /// or `manual` (an admin's action). None on records written before
        /// the source was recorded.
        #[serde(default)]
        pub source: Option<String>,
        /// Whether the provider's webhook signature was verified for the
        /// inbound message this record rests on.
        #[serde(default)]
        pub signature_verified: bool,
        /// The WhatsApp template (name, language) that actually went out
        /// when the request was sent as one; `request_text` keeps the
        /// flow's words.
        #[serde(default)]
        pub template_name: Option<String>,
        #[serde(default)]
        pub template_language: Option<String>,
    }

    pub struct AuditPage {
        pub items: Vec<AuditRecord>,
        #[serde(default)]
        pub next_cursor: Option<String>,
    }

    /// `POST /api/v1/test/clock` (only with `--test-clock`).
    pub struct ClockAdvance {
        pub advance_seconds: i64,
    }

    pub struct ClockNow {
        pub now: String,
        pub offset_seconds: i64,
    }

    // ---------------------------------------------------------------- live

    /// One server-sent event on `GET /api/v1/events`. The SSE `event:` field
    /// carries the same name as `type`.
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum LiveEvent {
        /// A new message in one of the user's conversations.
        Message {
            conversation: Box<ConversationSummary>,
            message: Message,
        },
        /// A delivery status changed.
        Status {
            conversation_id: i64,
            message_id: i64,
            status: DeliveryStatus,
            #[serde(default)]
            error: Option<String>,
        },
        /// Consent changed for a conversation.
        Consent {
            conversation_id: i64,
            consent: Consent,
        },
        /// Ownership of a WhatsApp contact changed in a line of business.
        Ownership {
            ownership: Ownership,
        },
    }
}

impl LiveEvent {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            LiveEvent::Message { .. } => "message",
            LiveEvent::Status { .. } => "status",
            LiveEvent::Consent { .. } => "consent",
            LiveEvent::Ownership { .. } => "ownership",
        }
    }
}

/// The snake_case serde form of a unit enum and back, for storage and URLs.
macro_rules! names {
    ($t:ident { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),*];
            /// The serde form, e.g. `"agent"`.
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),* }
            }
            /// The value whose serde form is `s`.
            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some($t::$v),)* _ => None }
            }
        }
    };
}

mod insights;
pub use insights::*;

names!(Role { Admin => "admin", Agent => "agent" });
names!(Direction { Inbound => "inbound", Outbound => "outbound" });
names!(MessageKind { Agent => "agent", Contact => "contact", Automatic => "automatic" });
names!(DeliveryStatus {
    Received => "received",
    Queued => "queued",
    Unknown => "unknown",
    Sent => "sent",
    Delivered => "delivered",
    Read => "read",
    Failed => "failed",
});

impl DeliveryStatus {
    /// Progress order: a report never moves a message backwards.
    pub fn rank(self) -> i32 {
        match self {
            DeliveryStatus::Received | DeliveryStatus::Queued => 0,
            DeliveryStatus::Unknown => 1,
            DeliveryStatus::Sent => 2,
            DeliveryStatus::Delivered => 3,
            DeliveryStatus::Read => 4,
            DeliveryStatus::Failed => 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_event_is_tagged() {
        let e = LiveEvent::Status {
            conversation_id: 1,
            message_id: 2,
            status: DeliveryStatus::Delivered,
            error: None,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "status");
        assert_eq!(v["status"], "delivered");
        assert_eq!(e.name(), "status");
    }

    #[test]
    fn error_field_is_optional() {
        let b: ErrorBody = serde_json::from_str(r#"{"error":{"code":"x","message":"y"}}"#).unwrap();
        assert_eq!(b.error.field, None);
        let s = serde_json::to_string(&b).unwrap();
        assert!(!s.contains("field"));
    }

    #[test]
    fn channel_snake_case() {
        assert_eq!(
            serde_json::to_string(&Channel::WhatsApp).unwrap(),
            "\"whatsapp\""
        );
    }
}
