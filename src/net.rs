//! Calls to the Optline server. Every function returns a message a person can
//! act on when it fails.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Health {
    pub version: String,
}

pub async fn health() -> Result<Health, String> {
    let response = gloo_net::http::Request::get("/api/health")
        .send()
        .await
        .map_err(|e| format!("no answer ({e})"))?;
    if !response.ok() {
        return Err(format!("it answered {}", response.status()));
    }
    response
        .json::<Health>()
        .await
        .map_err(|e| format!("unexpected answer ({e})"))
}
