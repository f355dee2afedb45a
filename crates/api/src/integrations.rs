//! Wire types of outgoing webhooks (admin Integrations: endpoints, secrets,
//! delivery log) and of the proof-of-consent export.

use serde::{Deserialize, Serialize};

use crate::{AuditRecord, Channel};

wire! {
    /// A registered endpoint (its secret is never shown again after
    /// creation or rotation).
    pub struct WebhookEndpoint {
        pub id: i64,
        pub url: String,
        #[serde(default)]
        pub description: String,
        /// Subscribed types: `consent.changed`, `message.received`,
        /// `message.status`, `ownership.changed`.
        pub event_types: Vec<String>,
        pub enabled: bool,
        /// Why the server disabled it (deliveries failed for 3 days).
        #[serde(default)]
        pub disabled_reason: Option<String>,
        /// Until when the secret before the last rotation still signs.
        #[serde(default)]
        pub previous_secret_valid_until: Option<String>,
        /// Deliveries not yet accepted by the endpoint.
        pub pending_deliveries: i64,
        pub created_at: String,
        pub updated_at: String,
    }

    /// `GET /api/v1/admin/webhooks`
    pub struct WebhookEndpointList {
        pub endpoints: Vec<WebhookEndpoint>,
        /// Every type an endpoint can subscribe to.
        pub event_types: Vec<String>,
    }

    /// `POST /api/v1/admin/webhooks`
    pub struct CreateWebhookRequest {
        pub url: String,
        pub event_types: Vec<String>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        pub enabled: Option<bool>,
    }

    /// `PATCH /api/v1/admin/webhooks/{id}`: fields left out stay.
    pub struct UpdateWebhookRequest {
        #[serde(default)]
        pub url: Option<String>,
        #[serde(default)]
        pub event_types: Option<Vec<String>>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default)]
        pub enabled: Option<bool>,
    }

    /// The endpoint and its signing secret (`whsec_…`), shown this once.
    pub struct WebhookEndpointCreated {
        pub endpoint: WebhookEndpoint,
        pub secret: String,
    }

    /// `POST /api/v1/admin/webhooks/{id}/rotate-secret`: the new secret,
    /// shown this once; the old one signs too until `previous_valid_until`.
    pub struct WebhookSecretRotated {
        pub secret: String,
        pub previous_valid_until: String,
    }

    /// One event's delivery to one endpoint.
    pub struct WebhookDelivery {
        pub id: i64,
        /// The `webhook-id` header (the same on every attempt).
        pub event_id: String,
        pub event_type: String,
        /// When the event happened.
        pub created_at: String,
        /// `pending`, `delivered` or `failed`.
        pub state: String,
        pub attempts: i64,
        #[serde(default)]
        pub last_attempt_at: Option<String>,
        #[serde(default)]
        pub last_status_code: Option<i64>,
        /// The start of the endpoint's answer (or why no answer came).
        #[serde(default)]
        pub last_response: Option<String>,
        /// When the next attempt is due (pending only).
        #[serde(default)]
        pub next_attempt_at: Option<String>,
        #[serde(default)]
        pub delivered_at: Option<String>,
        /// The exact body sent.
        pub body: String,
    }

    /// `GET /api/v1/admin/webhooks/{id}/deliveries`, newest first.
    pub struct WebhookDeliveryPage {
        pub items: Vec<WebhookDelivery>,
        /// Pass as `cursor` for older deliveries.
        #[serde(default)]
        pub next_cursor: Option<String>,
    }

    /// One consent thread (business number × channel) of a contact.
    pub struct ConsentProofThread {
        pub business_number: String,
        pub channel: Channel,
        /// The state its last record left it in.
        pub current_state: String,
        /// Every record, oldest first, with the exact texts and sources.
        pub records: Vec<AuditRecord>,
    }

    /// `GET /api/v1/admin/contacts/{id}/consent-proof`: a contact's whole
    /// consent history across numbers and channels.
    pub struct ConsentProof {
        pub organization: String,
        pub contact_id: i64,
        pub contact_phone: String,
        #[serde(default)]
        pub contact_name: Option<String>,
        pub generated_at: String,
        pub threads: Vec<ConsentProofThread>,
    }
}
