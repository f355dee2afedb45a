//! HTTP for the endpoint functions: JSON in, JSON out, and every failure
//! turned into an [`ApiFailure`]. Screens never call this directly.

use std::cell::RefCell;

use gloo_net::http::{Method, Request, RequestBuilder, Response};
use optline_api::ErrorBody;
use serde::{de::DeserializeOwned, de::IgnoredAny, Serialize};

use super::ApiFailure;

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

async fn finish<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    finish_inner(response).await.map_err(report)
}

async fn finish_inner<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    let status = response.status();
    if response.ok() {
        return response.json::<T>().await.map_err(|e| {
            ApiFailure::other(
                status,
                "bad_response",
                format!("The server's answer could not be read ({e}). Reload the page."),
            )
        });
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ApiFailure::from_error(status, body.error)),
        Err(_) => Err(ApiFailure::other(
            status,
            "http_error",
            format!(
                "The server answered {status} {}. Try again.",
                response.status_text()
            ),
        )),
    }
}

/// `GET url` and decode the JSON answer.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    let response = Request::get(url)
        .send()
        .await
        .map_err(ApiFailure::unreachable)?;
    finish(response).await
}

/// `method url` with a JSON body, and decode the JSON answer.
pub async fn send<B: Serialize, T: DeserializeOwned>(
    method: Method,
    url: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    let request = RequestBuilder::new(url)
        .method(method)
        .json(body)
        .map_err(|e| ApiFailure::unreachable(format!("could not encode the request: {e}")))?;
    let response = request.send().await.map_err(ApiFailure::unreachable)?;
    finish(response).await
}

/// A body-less POST still says `application/json`: the server refuses
/// cookie-authenticated writes of any other type (a cross-site form cannot
/// send that type without a CORS preflight).
fn bodyless_post(url: &str) -> RequestBuilder {
    Request::post(url).header("content-type", "application/json")
}

/// `POST url` without a body, decoding the JSON answer (e.g. request opt-in).
pub async fn post_action<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    let response = bodyless_post(url)
        .send()
        .await
        .map_err(ApiFailure::unreachable)?;
    finish(response).await
}

/// `POST url` without a body, for actions whose answer carries no data
/// (logout, mark read): any 2xx is success.
pub async fn post_empty(url: &str) -> Result<(), ApiFailure> {
    let response = bodyless_post(url)
        .send()
        .await
        .map_err(ApiFailure::unreachable)?;
    if response.ok() {
        return Ok(());
    }
    finish::<IgnoredAny>(response).await.map(|_| ())
}

/// Encodes one path segment or query value (`+` in phone numbers matters).
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
