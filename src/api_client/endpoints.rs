//! One typed function per server endpoint, and the filters some of them
//! take. Every `/api` URL of the app is written here and nowhere else.

use gloo_net::http::Method;
use optline_api::{
    ActionResult, AuditPage, BusinessNumber, Channel, Contact, ContactTimeZoneRequest,
    ConversationDetail, ConversationPage, ConversationSummary, CreateUserRequest, FlowDocument,
    FunnelStage, Health, Insights, LoginRequest, Me, MessagePage, NumberList, Ownership,
    OwnershipChangeRequest, OwnershipList, RecordOptInRequest, RecordOptOutRequest,
    SaveFlowRequest, SendMessageRequest, SessionInfo, SimDirectory, SimInboundRequest,
    SimInboundResponse, SimPhoneInbox, StartConversationRequest, StateName, UpdateNumberRequest,
    UpdateUserRequest, User, UserList,
};

use super::transport::{encode, get, post_action, post_empty, send};
use super::ApiFailure;

type Answer<T> = Result<T, ApiFailure>;

/// The live stream (server-sent events) of the logged-in user.
pub const EVENTS_URL: &str = "/api/v1/events";

/// `?k=v&…` from the pairs whose value is set, values encoded.
fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<String>)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(k);
            out.push('=');
            out.push_str(&encode(&v));
        }
    }
    out
}

/// Text filters count only when something other than spaces was typed.
fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

// ------------------------------------------------------------- session

pub async fn health() -> Answer<Health> {
    get("/api/health").await
}

pub async fn me() -> Answer<Me> {
    get("/api/v1/me").await
}

/// Who is logged in, if anyone: 200 either way, so a visitor's page load
/// logs no error in the console.
pub async fn session() -> Answer<SessionInfo> {
    get("/api/v1/session").await
}

/// The logged-in user through the quiet probe: no session is a 401-like
/// failure for the caller, without a 401 in the browser's console.
pub async fn me_quietly() -> Answer<Me> {
    session().await?.me.ok_or_else(|| {
        ApiFailure::other(
            401,
            "unauthenticated",
            "You are not logged in or your session has expired. Log in again.".into(),
        )
    })
}

pub async fn login(req: LoginRequest) -> Answer<Me> {
    send(Method::POST, "/api/v1/auth/login", &req).await
}

pub async fn logout() -> Answer<()> {
    post_empty("/api/v1/auth/logout").await
}

// ------------------------------------------------------- conversations

/// The inbox's search and filters (all optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConversationFilter {
    pub q: String,
    pub state: Option<StateName>,
    pub channel: Option<Channel>,
}

pub async fn conversations(
    filter: &ConversationFilter,
    limit: usize,
    cursor: Option<String>,
) -> Answer<ConversationPage> {
    let q = query([
        ("limit", Some(limit.to_string())),
        ("q", text(&filter.q)),
        ("state", filter.state.map(|s| s.as_str().into())),
        ("channel", filter.channel.map(|c| c.as_str().into())),
        ("cursor", cursor),
    ]);
    get(&format!("/api/v1/conversations{q}")).await
}

pub async fn start_conversation(req: StartConversationRequest) -> Answer<ConversationSummary> {
    send(Method::POST, "/api/v1/conversations", &req).await
}

pub async fn conversation(id: i64) -> Answer<ConversationDetail> {
    get(&format!("/api/v1/conversations/{id}")).await
}

/// The messages before message `before`, newest page first.
pub async fn older_messages(id: i64, before: i64) -> Answer<MessagePage> {
    get(&format!(
        "/api/v1/conversations/{id}/messages?before={before}"
    ))
    .await
}

pub async fn send_message(id: i64, body: String) -> Answer<ActionResult> {
    let url = format!("/api/v1/conversations/{id}/messages");
    send(Method::POST, &url, &SendMessageRequest { body }).await
}

pub async fn request_opt_in(id: i64) -> Answer<ActionResult> {
    post_action(&format!("/api/v1/conversations/{id}/opt-in-request")).await
}

/// Rule 13: records an opt-out the contact gave another way.
pub async fn record_opt_out(id: i64, note: String) -> Answer<ActionResult> {
    let url = format!("/api/v1/conversations/{id}/manual-opt-out");
    send(Method::POST, &url, &RecordOptOutRequest { note }).await
}

/// Rule 13 (admins): records an opt-in collected elsewhere.
pub async fn record_opt_in(id: i64, req: RecordOptInRequest) -> Answer<ActionResult> {
    let url = format!("/api/v1/conversations/{id}/manual-opt-in");
    send(Method::POST, &url, &req).await
}

pub async fn mark_read(id: i64) -> Answer<()> {
    post_empty(&format!("/api/v1/conversations/{id}/read")).await
}

// ----------------------------------------------------------- simulator

pub async fn sim_numbers() -> Answer<SimDirectory> {
    get("/api/v1/sim/numbers").await
}

pub async fn sim_inbox(phone: &str) -> Answer<SimPhoneInbox> {
    get(&format!("/api/v1/sim/phones/{}/messages", encode(phone))).await
}

pub async fn sim_inbound(req: SimInboundRequest) -> Answer<SimInboundResponse> {
    send(Method::POST, "/api/v1/sim/inbound", &req).await
}

// --------------------------------------------------------------- admin

pub async fn users() -> Answer<UserList> {
    get("/api/v1/admin/users").await
}

pub async fn create_user(req: CreateUserRequest) -> Answer<User> {
    send(Method::POST, "/api/v1/admin/users", &req).await
}

pub async fn update_user(id: i64, req: UpdateUserRequest) -> Answer<User> {
    send(Method::PATCH, &format!("/api/v1/admin/users/{id}"), &req).await
}

pub async fn numbers() -> Answer<NumberList> {
    get("/api/v1/admin/numbers").await
}

pub async fn update_number(id: i64, req: UpdateNumberRequest) -> Answer<BusinessNumber> {
    send(Method::PATCH, &format!("/api/v1/admin/numbers/{id}"), &req).await
}

fn flow_url(line_of_business: i64, channel: Channel) -> String {
    format!(
        "/api/v1/admin/flows/{line_of_business}/{}",
        channel.as_str()
    )
}

pub async fn flow(line_of_business: i64, channel: Channel) -> Answer<FlowDocument> {
    get(&flow_url(line_of_business, channel)).await
}

pub async fn save_flow(
    line_of_business: i64,
    channel: Channel,
    req: SaveFlowRequest,
) -> Answer<FlowDocument> {
    send(Method::PUT, &flow_url(line_of_business, channel), &req).await
}

/// Who holds which WhatsApp contact, in one line of business or all.
pub async fn ownership(line_of_business: Option<i64>) -> Answer<OwnershipList> {
    let q = query([(
        "line_of_business_id",
        line_of_business.map(|l| l.to_string()),
    )]);
    get(&format!("/api/v1/admin/ownership{q}")).await
}

/// Sets a contact's time zone (admins; audited on every thread).
pub async fn set_contact_time_zone(id: i64, req: ContactTimeZoneRequest) -> Answer<Contact> {
    send(
        Method::PUT,
        &format!("/api/v1/admin/contacts/{id}/time-zone"),
        &req,
    )
    .await
}

/// Gives the contact to `req.user_id`, or (`None`) releases it.
pub async fn change_owner(req: OwnershipChangeRequest) -> Answer<Ownership> {
    let url = match req.user_id {
        Some(_) => "/api/v1/admin/ownership/reassign",
        None => "/api/v1/admin/ownership/release",
    };
    send(Method::POST, url, &req).await
}

/// The consent audit's filters; `from` and `to` are RFC 3339 instants
/// (`to` exclusive). `stage`, `how`, `lob` and `agent` come from an
/// insights chart's bar (the records it counts).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilter {
    pub contact: String,
    pub number: String,
    pub channel: Option<Channel>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub stage: Option<FunnelStage>,
    pub how: Option<String>,
    pub lob: Option<i64>,
    pub agent: Option<i64>,
}

impl AuditFilter {
    /// The filters as query pairs: the API's names, also used in the audit
    /// page's own address (`/admin/audit?stage=accepted&…`).
    pub fn pairs(&self) -> [(&'static str, Option<String>); 9] {
        [
            ("contact", text(&self.contact)),
            ("number", text(&self.number)),
            ("channel", self.channel.map(|c| c.as_str().into())),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("stage", self.stage.map(|s| s.as_str().into())),
            ("how", self.how.clone()),
            ("line_of_business_id", self.lob.map(|l| l.to_string())),
            ("agent_id", self.agent.map(|a| a.to_string())),
        ]
    }

    /// The audit page's address showing exactly these records.
    pub fn page_href(&self) -> String {
        format!("/admin/audit{}", query(self.pairs()))
    }

    /// The filters of an audit page address's query (`get` reads one
    /// parameter); unreadable values are left out.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> AuditFilter {
        AuditFilter {
            contact: get("contact").unwrap_or_default(),
            number: get("number").unwrap_or_default(),
            channel: get("channel").and_then(|c| Channel::parse(&c)),
            from: get("from"),
            to: get("to"),
            stage: get("stage").and_then(|s| FunnelStage::parse(&s)),
            how: get("how"),
            lob: get("line_of_business_id").and_then(|v| v.parse().ok()),
            agent: get("agent_id").and_then(|v| v.parse().ok()),
        }
    }
}

pub async fn audit(filter: &AuditFilter, cursor: Option<String>) -> Answer<AuditPage> {
    let q = query(
        [("limit", Some("100".to_string()))]
            .into_iter()
            .chain(filter.pairs())
            .chain([("cursor", cursor)]),
    );
    get(&format!("/api/v1/admin/audit{q}")).await
}

/// The CSV export of exactly the filtered audit, for a download link (the
/// server streams it, so it never passes through the app's memory).
pub fn audit_csv_url(filter: &AuditFilter) -> String {
    format!("/api/v1/admin/audit.csv{}", query(filter.pairs()))
}

/// The consent insights' filters (`from`/`to` RFC 3339, `to` exclusive;
/// the server takes the last 30 days when both are absent).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InsightsFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub lob: Option<i64>,
    pub channel: Option<Channel>,
    pub agent: Option<i64>,
}

pub async fn insights(filter: &InsightsFilter) -> Answer<Insights> {
    let q = query([
        ("from", filter.from.clone()),
        ("to", filter.to.clone()),
        ("line_of_business_id", filter.lob.map(|l| l.to_string())),
        ("channel", filter.channel.map(|c| c.as_str().into())),
        ("agent_id", filter.agent.map(|a| a.to_string())),
    ]);
    get(&format!("/api/v1/admin/insights{q}")).await
}
