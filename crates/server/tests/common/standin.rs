//! A local stand-in for the provider endpoints Optline calls (WhatsApp
//! Cloud API messages, Twilio Messages.json): records every request and
//! answers from a script (e.g. 429, 500, then 200), defaulting to success.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: String,
    pub content_type: String,
    pub body: String,
    /// When it arrived (to check waits between attempts).
    pub at: std::time::Instant,
}

#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub delay_ms: u64,
    /// A `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
}

#[derive(Default)]
pub struct Inner {
    pub requests: Vec<Recorded>,
    pub script: VecDeque<Answer>,
    pub next_id: u64,
}

#[derive(Clone, Default)]
pub struct StandIn {
    pub inner: Arc<Mutex<Inner>>,
    pub base: String,
}

impl StandIn {
    pub async fn start() -> StandIn {
        let mut s = StandIn::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        s.base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(s.inner.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        s
    }

    /// Queues answers for the next requests (then the default success).
    pub fn script(&self, answers: Vec<Answer>) {
        self.inner.lock().unwrap().script.extend(answers);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Waits until at least `n` requests arrived.
    pub async fn wait_requests(&self, n: usize) -> Vec<Recorded> {
        for _ in 0..400 {
            let r = self.requests();
            if r.len() >= n {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "stand-in got {} requests, wanted {n}",
            self.requests().len()
        );
    }
}

pub fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        body,
        delay_ms: 0,
        retry_after: None,
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ans, id) = {
        let mut i = inner.lock().unwrap();
        i.requests.push(Recorded {
            path: uri.path().to_string(),
            authorization: h("authorization"),
            content_type: h("content-type"),
            body: String::from_utf8_lossy(&body).into_owned(),
            at: std::time::Instant::now(),
        });
        i.next_id += 1;
        (i.script.pop_front(), i.next_id)
    };
    let twilio = uri.path().ends_with("Messages.json");
    let ans = ans.unwrap_or_else(|| {
        answer(
            if twilio { 201 } else { 200 },
            if twilio {
                json!({"sid": format!("SM{id:032}"), "status": "queued"})
            } else {
                json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.OUT{id}")}]})
            },
        )
    });
    if ans.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(ans.delay_ms)).await;
    }
    let mut h = HeaderMap::new();
    h.insert("content-type", "application/json".parse().unwrap());
    if let Some(a) = ans.retry_after {
        h.insert("retry-after", a.to_string().parse().unwrap());
    }
    (
        StatusCode::from_u16(ans.status).unwrap(),
        h,
        ans.body.to_string(),
    )
}
