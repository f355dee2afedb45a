//! The one pooled HTTP/1.1 client every provider send goes through: HTTPS
//! with rustls (ring, Mozilla's root certificates), plain HTTP allowed for
//! local stand-ins, a timeout per request.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

fn client() -> &'static Client<Https, Full<Bytes>> {
    static C: OnceLock<Client<Https, Full<Bytes>>> = OnceLock::new();
    C.get_or_init(|| {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https)
    })
}

/// A provider's answer to one request. Whether the request may have reached
/// the provider decides whether it may be sent again (see `retry`).
pub enum Answer {
    /// HTTP status, JSON body (Null when not JSON) and `Retry-After` (in
    /// seconds) when given.
    Http(u16, serde_json::Value, Option<Duration>),
    /// No answer in time: the request may have been received.
    Timeout,
    /// The connection could not be made (refused, DNS): surely not received.
    Unreachable,
    /// The request could not be built: nothing was sent.
    Invalid,
    /// The connection broke after it was made: the request may have been
    /// received.
    Interrupted,
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the
/// providers' rate limits and is ignored).
fn retry_after(h: &axum::http::HeaderMap) -> Option<Duration> {
    h.get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// One request as a provider expects it.
pub struct Post {
    pub url: String,
    pub authorization: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

pub async fn post(p: Post, timeout: Duration) -> Answer {
    let req = match Request::builder()
        .method(Method::POST)
        .uri(&p.url)
        .header(header::AUTHORIZATION, p.authorization)
        .header(header::CONTENT_TYPE, p.content_type)
        .header(header::ACCEPT, "application/json")
        .header(
            header::USER_AGENT,
            concat!("optline/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(Bytes::from(p.body)))
    {
        Ok(r) => r,
        Err(_) => return Answer::Invalid,
    };
    let call = async {
        let resp = client().request(req).await?;
        let status = resp.status().as_u16();
        let after = retry_after(resp.headers());
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, bytes, after))
    };
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Answer::Timeout,
        Ok(Ok((status, bytes, after))) => Answer::Http(
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            after,
        ),
        Ok(Err(e)) => {
            let connect = e
                .downcast_ref::<hyper_util::client::legacy::Error>()
                .is_some_and(|e| e.is_connect());
            if connect {
                Answer::Unreachable
            } else {
                Answer::Interrupted
            }
        }
    }
}
