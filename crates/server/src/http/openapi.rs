//! The OpenAPI document, generated from the crates/api types (their utoipa
//! schemas) plus the route table below. Served at /api/v1/openapi.json.

use std::sync::OnceLock;

use axum::response::IntoResponse;
use optline_api as api;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::{ContentBuilder, Ref, Required};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Optline API",
        description = "Consent-aware business messaging. JSON under /api/v1; session cookie auth \
                       (POST /api/v1/auth/login). Every 4xx body is an ErrorBody. Live events: \
                       GET /api/v1/events (text/event-stream, `event:` = LiveEvent type)."
    ),
    components(schemas(
        api::Health,
        api::ErrorBody,
        api::ApiError,
        api::Channel,
        api::Role,
        api::LoginRequest,
        api::BusinessNumber,
        api::LineOfBusiness,
        api::Me,
        api::SessionInfo,
        api::Organization,
        api::User,
        api::Consent,
        api::ConversationSummary,
        api::Contact,
        api::ConversationPage,
        api::Direction,
        api::MessageKind,
        api::DeliveryStatus,
        api::Message,
        api::ConversationDetail,
        api::MessagePage,
        api::SendMessageRequest,
        api::RecordOptOutRequest,
        api::RecordOptInRequest,
        api::StartConversationRequest,
        api::ActionResult,
        api::SimInboundRequest,
        api::SimInboundResponse,
        api::SimPhoneMessage,
        api::SimPhoneInbox,
        api::SimDirectory,
        api::SimBusinessNumber,
        api::CreateUserRequest,
        api::UpdateUserRequest,
        api::UserList,
        api::NumberList,
        api::UpdateNumberRequest,
        api::ProviderConfigInput,
        api::ProviderSettings,
        api::SecretState,
        api::FlowDocument,
        api::SaveFlowRequest,
        api::FlowValidation,
        api::Ownership,
        api::OwnershipList,
        api::OwnershipChangeRequest,
        api::ContactTimeZoneRequest,
        api::AuditRecord,
        api::AuditPage,
        api::Insights,
        api::Funnel,
        api::FunnelStage,
        api::HowCount,
        api::TimeToAccept,
        api::InsightsDay,
        api::DeliveryFailure,
        api::ClockAdvance,
        api::ClockNow,
        api::LiveEvent,
        api::WebhookEndpoint,
        api::WebhookEndpointList,
        api::CreateWebhookRequest,
        api::UpdateWebhookRequest,
        api::WebhookEndpointCreated,
        api::WebhookSecretRotated,
        api::WebhookDelivery,
        api::WebhookDeliveryPage,
        api::ConsentProofThread,
        api::ConsentProof
    ))
)]
struct Doc;

/// (method, path, tag, summary, request schema, success status, response schema, query params)
type Route = (
    HttpMethod,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

const ROUTES: &[Route] = &[
    (HttpMethod::Get, "/api/health", "system", "Health check", None, "200", Some("Health"), &[]),
    (HttpMethod::Post, "/api/v1/auth/login", "auth", "Log in; sets the session cookie", Some("LoginRequest"), "200", Some("Me"), &[]),
    (HttpMethod::Post, "/api/v1/auth/logout", "auth", "Log out", None, "204", None, &[]),
    (HttpMethod::Get, "/api/v1/me", "auth", "The current user", None, "200", Some("Me"), &[]),
    (HttpMethod::Get, "/api/v1/session", "auth", "Who is logged in, if anyone (always 200; `me` is null without a session)", None, "200", Some("SessionInfo"), &[]),
    (HttpMethod::Get, "/api/v1/events", "live", "Server-sent events (LiveEvent per message)", None, "200", Some("LiveEvent"), &[]),
    (HttpMethod::Get, "/api/v1/conversations", "agent", "Conversations, newest first (paged, searchable)", None, "200", Some("ConversationPage"), &["q", "state", "channel", "cursor", "limit"]),
    (HttpMethod::Post, "/api/v1/conversations", "agent", "Start a conversation with a new number", Some("StartConversationRequest"), "201", Some("ConversationSummary"), &[]),
    (HttpMethod::Get, "/api/v1/conversations/{id}", "agent", "Open a conversation", None, "200", Some("ConversationDetail"), &["limit"]),
    (HttpMethod::Get, "/api/v1/conversations/{id}/messages", "agent", "Older messages", None, "200", Some("MessagePage"), &["before", "limit"]),
    (HttpMethod::Post, "/api/v1/conversations/{id}/messages", "agent", "Send a free-form message (engine-checked; refusals are 409 with the engine's code and text)", Some("SendMessageRequest"), "200", Some("ActionResult"), &[]),
    (HttpMethod::Post, "/api/v1/conversations/{id}/opt-in-request", "agent", "Send the opt-in request (engine-checked)", None, "200", Some("ActionResult"), &[]),
    (HttpMethod::Post, "/api/v1/conversations/{id}/read", "agent", "Mark read", None, "204", None, &[]),
    (HttpMethod::Post, "/api/v1/conversations/{id}/manual-opt-out", "agent", "Record an opt-out the contact gave another way (rule 13; agents and admins; the note is required: 422 naming `note`)", Some("RecordOptOutRequest"), "200", Some("ActionResult"), &[]),
    (HttpMethod::Post, "/api/v1/conversations/{id}/manual-opt-in", "admin", "Record an opt-in collected elsewhere (rule 13; admins only, else 403; reference and agreed text required: 422 naming the field)", Some("RecordOptInRequest"), "200", Some("ActionResult"), &[]),
    (HttpMethod::Post, "/api/v1/sim/inbound", "simulator", "A simulated contact sends a message (same path as providers)", Some("SimInboundRequest"), "200", Some("SimInboundResponse"), &[]),
    (HttpMethod::Get, "/api/v1/sim/numbers", "simulator", "Business numbers a simulated phone can write to", None, "200", Some("SimDirectory"), &[]),
    (HttpMethod::Get, "/api/v1/sim/phones/{phone}/messages", "simulator", "What a simulated phone sent and received", None, "200", Some("SimPhoneInbox"), &[]),
    (HttpMethod::Get, "/api/v1/admin/users", "admin", "Users of the organization", None, "200", Some("UserList"), &[]),
    (HttpMethod::Post, "/api/v1/admin/users", "admin", "Create a user (agents get a business number)", Some("CreateUserRequest"), "201", Some("User"), &[]),
    (HttpMethod::Patch, "/api/v1/admin/users/{id}", "admin", "Update a user", Some("UpdateUserRequest"), "200", Some("User"), &[]),
    (HttpMethod::Get, "/api/v1/admin/numbers", "admin", "Business numbers", None, "200", Some("NumberList"), &[]),
    (HttpMethod::Patch, "/api/v1/admin/numbers/{id}", "admin", "Channel switches, assignment, provider settings (secrets write-only)", Some("UpdateNumberRequest"), "200", Some("BusinessNumber"), &[]),
    (HttpMethod::Get, "/api/v1/admin/flows/{lob}/{channel}", "admin", "The flow in force", None, "200", Some("FlowDocument"), &[]),
    (HttpMethod::Put, "/api/v1/admin/flows/{lob}/{channel}", "admin", "Save a flow (re-validated by the engine; 422 naming the field)", Some("SaveFlowRequest"), "200", Some("FlowDocument"), &[]),
    (HttpMethod::Post, "/api/v1/admin/flows/{lob}/{channel}/validate", "admin", "Validate a flow (every problem at once)", Some("SaveFlowRequest"), "200", Some("FlowValidation"), &[]),
    (HttpMethod::Get, "/api/v1/admin/ownership", "admin", "WhatsApp contact holders", None, "200", Some("OwnershipList"), &["line_of_business_id"]),
    (HttpMethod::Post, "/api/v1/admin/ownership/reassign", "admin", "Reassign a contact to a user", Some("OwnershipChangeRequest"), "200", Some("Ownership"), &[]),
    (HttpMethod::Post, "/api/v1/admin/ownership/release", "admin", "Release a contact", Some("OwnershipChangeRequest"), "200", Some("Ownership"), &[]),
    (HttpMethod::Put, "/api/v1/admin/contacts/{id}/time-zone", "admin", "Set a contact's time zone (moves quiet hours; audited on every thread with the contact)", Some("ContactTimeZoneRequest"), "200", Some("Contact"), &[]),
    (HttpMethod::Get, "/api/v1/admin/audit", "admin", "Consent audit (filter, cursor = last id)", None, "200", Some("AuditPage"), &["contact", "number", "channel", "action", "from", "to", "cursor", "limit", "stage", "how", "line_of_business_id", "agent_id"]),
    (HttpMethod::Get, "/api/v1/admin/audit.csv", "admin", "Consent audit as CSV (streamed)", None, "200", None, &["contact", "number", "channel", "action", "from", "to", "stage", "how", "line_of_business_id", "agent_id"]),
    (HttpMethod::Get, "/api/v1/admin/insights", "admin", "Consent insights: the opt-in funnel, acceptance rate, time to accept, daily series and failed sends of a period (default: the last 30 days; 422 naming a bad filter)", None, "200", Some("Insights"), &["from", "to", "line_of_business_id", "channel", "agent_id"]),
    (HttpMethod::Get, "/api/v1/admin/webhooks", "integrations", "Outgoing webhook endpoints (secrets never shown)", None, "200", Some("WebhookEndpointList"), &[]),
    (HttpMethod::Post, "/api/v1/admin/webhooks", "integrations", "Register an endpoint (https, public address; 422 naming the field); its secret is shown this once", Some("CreateWebhookRequest"), "201", Some("WebhookEndpointCreated"), &[]),
    (HttpMethod::Get, "/api/v1/admin/webhooks/{id}", "integrations", "One endpoint", None, "200", Some("WebhookEndpoint"), &[]),
    (HttpMethod::Patch, "/api/v1/admin/webhooks/{id}", "integrations", "Change URL, event types, description, enabled (enabling clears the disabled reason)", Some("UpdateWebhookRequest"), "200", Some("WebhookEndpoint"), &[]),
    (HttpMethod::Delete, "/api/v1/admin/webhooks/{id}", "integrations", "Delete an endpoint and its deliveries", None, "204", None, &[]),
    (HttpMethod::Post, "/api/v1/admin/webhooks/{id}/rotate-secret", "integrations", "New signing secret (shown once); the old one keeps signing for 24 h", None, "200", Some("WebhookSecretRotated"), &[]),
    (HttpMethod::Post, "/api/v1/admin/webhooks/{id}/test", "integrations", "Queue a webhook.test event to this endpoint", None, "202", Some("WebhookDelivery"), &[]),
    (HttpMethod::Get, "/api/v1/admin/webhooks/{id}/deliveries", "integrations", "Delivery log, newest first (cursor = last id)", None, "200", Some("WebhookDeliveryPage"), &["cursor", "limit"]),
    (HttpMethod::Post, "/api/v1/admin/webhooks/{id}/deliveries/{delivery}/resend", "integrations", "Deliver again now (same webhook-id, fresh 3-day retry window)", None, "200", Some("WebhookDelivery"), &[]),
    (HttpMethod::Get, "/api/v1/admin/contacts/{id}/consent-proof", "integrations", "Proof of consent: a contact's whole consent history across numbers and channels", None, "200", Some("ConsentProof"), &[]),
    (HttpMethod::Get, "/api/v1/admin/consent-proof", "integrations", "Proof of consent of the contact with this number (422 naming `phone`, 404 when unknown)", None, "200", Some("ConsentProof"), &["phone"]),
    (HttpMethod::Get, "/api/v1/webhooks/whatsapp", "providers", "WhatsApp Cloud API verification handshake (hub.mode, hub.verify_token, hub.challenge)", None, "200", None, &["hub.mode", "hub.verify_token", "hub.challenge"]),
    (HttpMethod::Post, "/api/v1/webhooks/whatsapp", "providers", "WhatsApp Cloud API notifications (X-Hub-Signature-256; 401 when wrong)", None, "200", None, &[]),
    (HttpMethod::Post, "/api/v1/webhooks/twilio/{id}", "providers", "Twilio inbound SMS and status callbacks of business number {id} (X-Twilio-Signature; 401 when wrong)", None, "200", None, &[]),
    (HttpMethod::Get, "/api/v1/test/clock", "test", "Test clock (only with --test-clock)", None, "200", Some("ClockNow"), &[]),
    (HttpMethod::Post, "/api/v1/test/clock", "test", "Advance the test clock (only with --test-clock)", Some("ClockAdvance"), "200", Some("ClockNow"), &[]),
];

fn json_ref(name: &str) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(name)))
        .build()
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    for (method, path, tag, summary, req, status, resp, query) in ROUTES {
        let mut op = OperationBuilder::new()
            .tag(*tag)
            .summary(Some(*summary))
            .operation_id(Some(format!(
                "{}_{}",
                method_name(method),
                path.trim_start_matches("/api/")
                    .replace(['/', '.', '-'], "_")
                    .replace(['{', '}'], "")
            )));
        for seg in path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True),
                );
            }
        }
        for q in *query {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*q)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False),
            );
        }
        if let Some(r) = req {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_ref(r))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        let ok = match resp {
            Some(r) => {
                let ct = if *path == "/api/v1/events" {
                    "text/event-stream"
                } else {
                    "application/json"
                };
                ResponseBuilder::new()
                    .description("Success")
                    .content(ct, json_ref(r))
                    .build()
            }
            None => ResponseBuilder::new().description("Success").build(),
        };
        op = op.response(*status, ok).response(
            "4XX",
            ResponseBuilder::new()
                .description("Error naming the field and what to do")
                .content("application/json", json_ref("ErrorBody"))
                .build(),
        );
        let item = PathItem::new(method.clone(), op.build());
        let paths = &mut doc.paths.paths;
        match paths.get_mut(*path) {
            Some(existing) => merge(existing, method.clone(), item),
            None => {
                paths.insert(path.to_string(), item);
            }
        }
    }
    doc
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "get",
        HttpMethod::Post => "post",
        HttpMethod::Put => "put",
        HttpMethod::Patch => "patch",
        HttpMethod::Delete => "delete",
        _ => "other",
    }
}

fn merge(existing: &mut PathItem, method: HttpMethod, item: PathItem) {
    let op = match method {
        HttpMethod::Get => item.get,
        HttpMethod::Post => item.post,
        HttpMethod::Put => item.put,
        HttpMethod::Patch => item.patch,
        HttpMethod::Delete => item.delete,
        _ => None,
    };
    match method {
        HttpMethod::Get => existing.get = op,
        HttpMethod::Post => existing.post = op,
        HttpMethod::Put => existing.put = op,
        HttpMethod::Patch => existing.patch = op,
        HttpMethod::Delete => existing.delete = op,
        _ => {}
    }
}

pub async fn serve() -> impl IntoResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let body = DOC.get_or_init(|| document().to_json().unwrap_or_else(|_| "{}".into()));
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn documented() -> BTreeSet<(String, String)> {
        let v = serde_json::to_value(super::document()).unwrap();
        let mut out = BTreeSet::new();
        for (path, item) in v["paths"].as_object().unwrap() {
            for (method, _) in item.as_object().unwrap() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
        out
    }

    /// Every route the server serves is in the document, and the document
    /// names no route the server lacks.
    #[test]
    fn document_lists_exactly_the_routes_served() {
        let mut served: BTreeSet<(String, String)> = crate::http::endpoints(true, true)
            .iter()
            // The document describes the API, not itself.
            .filter(|e| e.path != "/api/v1/openapi.json")
            .map(|e| (e.method.to_string(), e.path.to_string()))
            .collect();
        served.insert(("GET".into(), "/api/health".into()));
        let documented = documented();
        let missing: Vec<_> = served.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&served).collect();
        assert!(
            missing.is_empty(),
            "routes missing from the OpenAPI document: {missing:?}"
        );
        assert!(
            stale.is_empty(),
            "documented routes the server lacks: {stale:?}"
        );
    }

    /// Every schema a route names exists in the components.
    #[test]
    fn every_referenced_schema_exists() {
        let v = serde_json::to_value(super::document()).unwrap();
        let text = v["paths"].to_string();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                v["components"]["schemas"][&name].is_object(),
                "schema {name} is referenced but missing"
            );
        }
    }

    #[test]
    fn document_has_paths_and_schemas() {
        let doc = super::document();
        let v = serde_json::to_value(&doc).unwrap();
        assert!(v["paths"]["/api/v1/conversations"]["get"].is_object());
        assert!(v["paths"]["/api/v1/conversations"]["post"].is_object());
        assert!(v["components"]["schemas"]["LiveEvent"].is_object());
        assert!(v["components"]["schemas"]["ErrorBody"].is_object());
    }
}

#[cfg(test)]
mod engine_schemas {
    /// The engine's types travel on the wire, so their schemas are in the
    /// document too (collected from the API types that carry them).
    #[test]
    fn engine_types_have_schemas() {
        let v = serde_json::to_value(super::document()).unwrap();
        for name in [
            "Thread",
            "ConsentState",
            "ConsentStatus",
            "Flow",
            "FlowMode",
            "FlowProblem",
            "Refusal",
            "RefusalCode",
            "Channel",
        ] {
            assert!(
                v["components"]["schemas"][name].is_object(),
                "no schema for {name}"
            );
        }
    }
}
