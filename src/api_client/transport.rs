//! Calls to the Optline server. Every failure becomes an [`ApiFailure`] whose
//! message a person can act on; screens never see transport details.

use std::cell::RefCell;

use optline_api::{ErrorBody, Health};
use serde::{de::DeserializeOwned, Serialize};

thread_local! {
    // Set by the session: a 401 from any call means the session is gone, and
    // every screen should react the same way without checking it itself.
    static ON_UNAUTHORIZED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Registers what to do when any call answers 401 (except a failed login).
pub fn on_unauthorized(f: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

fn report(failure: ApiFailure) -> ApiFailure {
    if failure.is_unauthorized() && failure.code != "invalid_credentials" {
        ON_UNAUTHORIZED.with(|h| {
            if let Some(f) = h.borrow().as_ref() {
                f();
            }
        });
    }
    failure
}

/// Why a call failed, in the server's own words when it gave some.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    /// HTTP status, or 0 when the server could not be reached.
    pub status: u16,
    /// Stable code (`invalid_phone`, `resend_too_soon`, `unreachable`, ...).
    pub code: String,
    /// Text to show the user.
    pub message: String,
    /// The offending field, when the server named one.
    pub field: Option<String>,
}

impl ApiFailure {
    fn unreachable(detail: impl std::fmt::Display) -> Self {
        Self {
            status: 0,
            code: "unreachable".into(),
            message: format!(
                "The server could not be reached ({detail}). Check your connection and try again."
            ),
            field: None,
        }
    }

    /// The session is missing or expired: the app sends the user to log in.
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

async fn finish<T: DeserializeOwned>(response: gloo_net::http::Response) -> Result<T, ApiFailure> {
    finish_inner(response).await.map_err(report)
}

async fn finish_inner<T: DeserializeOwned>(
    response: gloo_net::http::Response,
) -> Result<T, ApiFailure> {
    let status = response.status();
    if response.ok() {
        return response.json::<T>().await.map_err(|e| ApiFailure {
            status,
            code: "bad_response".into(),
            message: format!("The server's answer could not be read ({e}). Reload the page."),
            field: None,
        });
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ApiFailure {
            status,
            code: body.error.code,
            message: body.error.message,
            field: body.error.field,
        }),
        Err(_) => Err(ApiFailure {
            status,
            code: "http_error".into(),
            message: format!(
                "The server answered {status} {}. Try again.",
                response.status_text()
            ),
            field: None,
        }),
    }
}

/// `GET url` and decode the JSON answer.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(ApiFailure::unreachable)?;
    finish(response).await
}

/// `method url` with a JSON body, and decode the JSON answer.
pub async fn send_json<B: Serialize, T: DeserializeOwned>(
    method: gloo_net::http::Method,
    url: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    let request = gloo_net::http::RequestBuilder::new(url)
        .method(method)
        .json(body)
        .map_err(|e| ApiFailure::unreachable(format!("could not encode the request: {e}")))?;
    let response = request.send().await.map_err(ApiFailure::unreachable)?;
    finish(response).await
}

/// `POST url` with a JSON body.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    send_json(gloo_net::http::Method::POST, url, body).await
}

/// `POST url` without a body, for actions whose answer carries no data
/// (logout, mark read): any 2xx is success.
pub async fn post_empty(url: &str) -> Result<(), ApiFailure> {
    let response = gloo_net::http::Request::post(url)
        .send()
        .await
        .map_err(ApiFailure::unreachable)?;
    if response.ok() {
        return Ok(());
    }
    finish::<serde_json::Value>(response).await.map(|_| ())
}

/// `POST url` without a body, decoding the JSON answer (e.g. request opt-in).
pub async fn post_action<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    let response = gloo_net::http::Request::post(url)
        .send()
        .await
        .map_err(ApiFailure::unreachable)?;
    finish(response).await
}

/// Encodes one path segment or query value (`+` in phone numbers matters).
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

pub async fn health() -> Result<Health, ApiFailure> {
    get_json("/api/health").await
}
