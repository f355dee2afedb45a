//! HTTP for the endpoint functions: JSON in, JSON out, and every failure
//! turned into an [`ApiFailure`]. Screens never call this directly.

use std::cell::RefCell;

use gloo_net::http::{Method, Request, RequestBuilder};
use optline_api::ErrorBody;
use serde::{de::DeserializeOwned, Serialize};

use super::js_decode::from_value;
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

/// Sends `request`: the body of a 2xx answer as text, else the failure the
/// answer names. Not generic: every endpoint shares this one copy of the
/// request's state machine; only [`decode`] is compiled per answer type.
async fn exchange(request: Result<Request, gloo_net::Error>) -> Result<(u16, String), ApiFailure> {
    let request = request
        .map_err(|e| ApiFailure::unreachable(format!("could not encode the request: {e}")))?;
    let response = request.send().await.map_err(ApiFailure::unreachable)?;
    let status = response.status();
    let text = response.text().await;
    if response.ok() {
        return text
            .map(|t| (status, t))
            .map_err(|e| unreadable(status, &e));
    }
    let failure = match text
        .ok()
        .and_then(|t| js_sys::JSON::parse(&t).ok())
        .and_then(|body| from_value::<ErrorBody>(body).ok())
    {
        Some(body) => ApiFailure::from_error(status, body.error),
        None => ApiFailure::other(
            status,
            "http_error",
            format!(
                "The server answered {status} {}. Try again.",
                response.status_text()
            ),
        ),
    };
    Err(report(failure))
}

fn unreadable(status: u16, e: &dyn std::fmt::Display) -> ApiFailure {
    ApiFailure::other(
        status,
        "bad_response",
        format!("The server's answer could not be read ({e}). Reload the page."),
    )
}

/// The JSON answer `text` as a `T`. The browser parses the JSON and serde
/// reads the parsed values ([`super::js_decode`]): the bundle carries no
/// JSON parser of its own (10 KB gzipped less first load; decoding a
/// 100-row inbox page plus its render measured the same, about 4 ms at p50).
fn decode<T: DeserializeOwned>((status, text): (u16, String)) -> Result<T, ApiFailure> {
    let value = js_sys::JSON::parse(&text).map_err(|_| unreadable(status, &"not JSON"))?;
    from_value(value).map_err(|e| unreadable(status, &e))
}

/// `GET url` and decode the JSON answer.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    decode(exchange(Request::get(url).build()).await?)
}

/// `method url` with a JSON body, and decode the JSON answer.
pub async fn send<B: Serialize, T: DeserializeOwned>(
    method: Method,
    url: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    let body = json_text(body).ok_or_else(|| {
        ApiFailure::other(
            0,
            "unencodable",
            "The request could not be written. Reload the page and try again.".into(),
        )
    })?;
    let request = RequestBuilder::new(url)
        .method(method)
        .header("content-type", "application/json")
        .body(body);
    decode(exchange(request).await?)
}

/// `body` as JSON text, the way answers are read but in reverse: serde
/// writes browser values and `JSON.stringify` the text, so the bundle needs
/// no JSON writer (nor serde_json's errors, which format I/O errors). Maps
/// become objects and `None` becomes `null`, as serde_json would write them.
fn json_text<B: Serialize>(body: &B) -> Option<String> {
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&value).ok().map(String::from)
}

/// A body-less POST still says `application/json`: the server refuses
/// cookie-authenticated writes of any other type (a cross-site form cannot
/// send that type without a CORS preflight).
fn bodyless_post(url: &str) -> Result<Request, gloo_net::Error> {
    Request::post(url)
        .header("content-type", "application/json")
        .build()
}

/// `POST url` without a body, decoding the JSON answer (e.g. request opt-in).
pub async fn post_action<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    decode(exchange(bodyless_post(url)).await?)
}

/// `POST url` without a body, for actions whose answer carries no data
/// (logout, mark read): any 2xx is success.
pub async fn post_empty(url: &str) -> Result<(), ApiFailure> {
    exchange(bodyless_post(url)).await.map(|_| ())
}

/// Encodes one path segment or query value (`+` in phone numbers matters).
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
