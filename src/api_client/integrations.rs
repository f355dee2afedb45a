//! The endpoints of the Integrations settings (outgoing webhooks) and of
//! the proof of consent. Kept beside `endpoints` (same rule: every `/api`
//! URL of the app lives in `api_client`).

use gloo_net::http::Method;
use optline_api::{
    ConsentProof, CreateWebhookRequest, UpdateWebhookRequest, WebhookDelivery, WebhookDeliveryPage,
    WebhookEndpoint, WebhookEndpointCreated, WebhookEndpointList, WebhookSecretRotated,
};

use super::transport::{encode, get, post_action, send};
use super::ApiFailure;

type Answer<T> = Result<T, ApiFailure>;

pub async fn webhooks() -> Answer<WebhookEndpointList> {
    get("/api/v1/admin/webhooks").await
}

/// Registers an endpoint; the answer carries its secret, shown once.
pub async fn create_webhook(req: CreateWebhookRequest) -> Answer<WebhookEndpointCreated> {
    send(Method::POST, "/api/v1/admin/webhooks", &req).await
}

pub async fn update_webhook(id: i64, req: UpdateWebhookRequest) -> Answer<WebhookEndpoint> {
    send(Method::PATCH, &format!("/api/v1/admin/webhooks/{id}"), &req).await
}

/// A new secret, shown once; the old one keeps signing for 24 hours.
pub async fn rotate_webhook_secret(id: i64) -> Answer<WebhookSecretRotated> {
    post_action(&format!("/api/v1/admin/webhooks/{id}/rotate-secret")).await
}

pub async fn send_test_event(id: i64) -> Answer<WebhookDelivery> {
    post_action(&format!("/api/v1/admin/webhooks/{id}/test")).await
}

/// The endpoint's latest deliveries, newest first.
pub async fn webhook_deliveries(id: i64) -> Answer<WebhookDeliveryPage> {
    get(&format!("/api/v1/admin/webhooks/{id}/deliveries?limit=50")).await
}

pub async fn resend_delivery(id: i64, delivery: i64) -> Answer<WebhookDelivery> {
    post_action(&format!(
        "/api/v1/admin/webhooks/{id}/deliveries/{delivery}/resend"
    ))
    .await
}

/// The proof of consent of the contact with number `phone`.
pub async fn consent_proof(phone: &str) -> Answer<ConsentProof> {
    get(&format!(
        "/api/v1/admin/consent-proof?phone={}",
        encode(phone.trim())
    ))
    .await
}
