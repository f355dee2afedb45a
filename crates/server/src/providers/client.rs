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

/// A provider's answer to one request.
pub enum Answer {
    /// HTTP status and JSON body (Null when not JSON).
    Http(u16, serde_json::Value),
    Timeout,
    /// The connection could not be made.
    Unreachable,
    Failed,
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
        Err(_) => return Answer::Failed,
    };
    let call = async {
        let resp = client().request(req).await?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, bytes))
    };
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Answer::Timeout,
        Ok(Ok((status, bytes))) => Answer::Http(
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ),
        Ok(Err(e)) => {
            let connect = e
                .downcast_ref::<hyper_util::client::legacy::Error>()
                .is_some_and(|e| e.is_connect());
            if connect {
                Answer::Unreachable
            } else {
                Answer::Failed
            }
        }
    }
}
