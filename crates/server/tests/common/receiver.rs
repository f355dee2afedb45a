//! A customer's webhook endpoint for tests: records every request (headers,
//! body, what it answered), answers from a script, and checks signatures
//! with the independent `standardwebhooks` crate.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use standardwebhooks::Webhook;

/// One request the receiver got, and what it answered.
#[derive(Clone, Debug)]
pub struct Got {
    pub headers: HeaderMap,
    pub body: String,
    pub answered: u16,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
    pub fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_string()
    }
    pub fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap().to_string()
    }
    pub fn verifies_with(&self, secret: &str) -> bool {
        Webhook::new(secret)
            .unwrap()
            .verify(self.body.as_bytes(), &self.headers)
            .is_ok()
    }
}

#[derive(Default)]
pub struct Inner {
    pub got: Vec<Got>,
    /// Answers for the next requests (then `default`).
    pub script: VecDeque<u16>,
    /// Answer for requests whose body contains the text, while count > 0.
    pub fail_containing: Option<(String, usize)>,
    /// Answer when nothing else applies (0 means 200).
    pub default: u16,
}

/// The customer's endpoint.
#[derive(Clone)]
pub struct Receiver {
    pub inner: Arc<Mutex<Inner>>,
    pub url: String,
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut i = inner.lock().unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    let mut status = match i.script.pop_front() {
        Some(s) => s,
        None if i.default == 0 => 200,
        None => i.default,
    };
    if let Some((text, left)) = &mut i.fail_containing {
        if *left > 0 && body.contains(text.as_str()) {
            *left -= 1;
            status = 500;
        }
    }
    i.got.push(Got {
        headers,
        body,
        answered: status,
    });
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::start_on("127.0.0.1:0").await
    }

    pub async fn start_on(addr: &str) -> Receiver {
        let inner: Arc<Mutex<Inner>> = Default::default();
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}/optline-events", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(axum::routing::post(receive))
            .with_state(inner.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { inner, url }
    }

    pub fn got(&self) -> Vec<Got> {
        self.inner.lock().unwrap().got.clone()
    }

    pub fn set_default(&self, status: u16) {
        self.inner.lock().unwrap().default = status;
    }

    /// Waits (up to `secs`) until `done` holds for what was received.
    pub async fn wait(&self, secs: u64, what: &str, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        for _ in 0..secs * 20 {
            let got = self.got();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("receiver: {what} never happened; got {:#?}", self.got());
    }
}

/// The requests the endpoint accepted (answered 200).
pub fn accepted(got: &[Got]) -> Vec<&Got> {
    got.iter().filter(|g| g.answered == 200).collect()
}
