//! Live events across server processes. With PostgreSQL several processes
//! serve one organization, and an agent's event stream may be connected to
//! another process than the one that stored a change. Every process sends
//! what it publishes locally to the others through PostgreSQL's
//! `NOTIFY optline_live` and republishes what it hears on `LISTEN`; ended
//! sessions travel the same way, so a logout ends the streams everywhere,
//! and so do an admin's changes to flows and numbers, which each process
//! caches.
//!
//! A notification holds at most 8000 bytes: a larger event is sent as "these
//! users must resync", which ends their streams here and there; the app
//! reconnects and refetches (it does after every reconnect). When the
//! listening connection drops, events may have been missed: once it is back,
//! every local stream is ended the same way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use optline_api::LiveEvent;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

const CHANNEL: &str = "optline_live";
/// PostgreSQL's limit is 8000 bytes; keep a margin for the envelope.
const MAX_PAYLOAD: usize = 7800;
/// Notifications sent in one statement.
const BATCH: usize = 256;

/// What travels between processes.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The sending process (it ignores its own notifications).
    o: String,
    #[serde(flatten)]
    what: What,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum What {
    /// An event for these users.
    Event { users: Vec<i64>, event: LiveEvent },
    /// An event too large to travel: these users resync.
    Resync { users: Vec<i64> },
    /// These sessions ended.
    EndSessions { token_hashes: Vec<String> },
    /// Every session of a user but one ended.
    EndUserSessions { user: i64, keep: Option<String> },
    /// An admin saved the flow of a line of business and channel.
    FlowChanged {
        lob: i64,
        channel: optline_engine::Channel,
    },
    /// An admin changed a business number's settings.
    NumbersChanged,
    /// A process started listening: the others relay their events from now on.
    Hello,
}

/// The sending half, kept in the application state.
#[derive(Clone)]
pub struct Relay {
    tx: mpsc::UnboundedSender<String>,
    /// Whether another process shares the database. A lone process sends
    /// no events (most of the relay's cost); it learns of a peer from the
    /// peer's `Hello` at once, and of its absence from the heartbeats.
    peers: Arc<AtomicBool>,
}

impl Relay {
    /// Connects the sender and the listener to `url`; both reconnect by
    /// themselves.
    pub fn start(url: String, hub: std::sync::Weak<crate::state::StateInner>) -> Relay {
        let (tx, rx) = mpsc::unbounded_channel();
        let relay = Relay {
            tx,
            peers: Arc::new(AtomicBool::new(true)),
        };
        tokio::spawn(send_loop(url.clone(), rx));
        tokio::spawn(listen_loop(url, hub, relay.clone()));
        relay
    }

    /// What the heartbeats say: whether another process is alive.
    pub fn set_peers(&self, alive: bool) {
        self.peers.store(alive, Ordering::Relaxed);
    }

    pub fn event(&self, users: &[i64], event: &LiveEvent) {
        if !self.peers.load(Ordering::Relaxed) {
            return;
        }
        let what = What::Event {
            users: users.to_vec(),
            event: event.clone(),
        };
        match payload(what) {
            Some(p) if p.len() <= MAX_PAYLOAD => self.send(p),
            _ => self.send_what(What::Resync {
                users: users.to_vec(),
            }),
        }
    }

    pub fn end_sessions(&self, token_hashes: &[String]) {
        self.send_what(What::EndSessions {
            token_hashes: token_hashes.to_vec(),
        });
    }

    pub fn end_user_sessions(&self, user: i64, keep: Option<&str>) {
        self.send_what(What::EndUserSessions {
            user,
            keep: keep.map(str::to_string),
        });
    }

    pub fn flow_changed(&self, lob: i64, channel: optline_engine::Channel) {
        self.send_what(What::FlowChanged { lob, channel });
    }

    pub fn numbers_changed(&self) {
        self.send_what(What::NumbersChanged);
    }

    fn send_what(&self, what: What) {
        if let Some(p) = payload(what) {
            self.send(p);
        }
    }

    fn send(&self, payload: String) {
        let _ = self.tx.send(payload);
    }
}

fn payload(what: What) -> Option<String> {
    serde_json::to_string(&Envelope {
        o: crate::storage::process_id().to_string(),
        what,
    })
    .ok()
}

/// Sends queued notifications, many per statement.
async fn send_loop(url: String, mut rx: mpsc::UnboundedReceiver<String>) {
    let mut batch: Vec<String> = Vec::with_capacity(BATCH);
    loop {
        let client = match connect(&url).await {
            Some(c) => c,
            None => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        loop {
            if batch.is_empty() {
                match rx.recv().await {
                    Some(p) => batch.push(p),
                    None => return,
                }
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
            }
            let sent = client
                .execute(
                    "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                    &[&CHANNEL, &batch],
                )
                .await;
            match sent {
                Ok(_) => batch.clear(),
                Err(e) => {
                    tracing::warn!("live relay: sending failed, reconnecting: {e}");
                    break;
                }
            }
        }
    }
}

/// A connection driven by its own task; notifications go to `notes`.
async fn connect(url: &str) -> Option<tokio_postgres::Client> {
    connect_listening(url, None).await
}

async fn connect_listening(
    url: &str,
    notes: Option<mpsc::UnboundedSender<String>>,
) -> Option<tokio_postgres::Client> {
    let (client, mut conn) = match tokio_postgres::connect(url, NoTls).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("live relay: cannot connect: {e}");
            return None;
        }
    };
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    if let Some(tx) = &notes {
                        let _ = tx.send(n.payload().to_string());
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("live relay: connection lost: {e}");
                    break;
                }
            }
        }
    });
    Some(client)
}

/// Listens; republishes what other processes sent. After a reconnect,
/// every local stream resyncs (events may have been missed meanwhile).
async fn listen_loop(url: String, state: std::sync::Weak<crate::state::StateInner>, relay: Relay) {
    let mut first = true;
    loop {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let client = match connect_listening(&url, Some(tx)).await {
            Some(c) => c,
            None => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
            tracing::warn!("live relay: cannot listen: {e}");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if !first {
            match state.upgrade() {
                Some(s) => s.hub.end_all_streams(),
                None => return,
            }
        }
        first = false;
        relay.send_what(What::Hello);
        while let Some(p) = rx.recv().await {
            let Some(s) = state.upgrade() else { return };
            if apply(&s, &p) {
                relay.set_peers(true);
            }
        }
        // The connection ended: `client` is dropped, listen again.
        drop(client);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Republishes one notification from another process (or forgets what
/// its change made stale here); whether it came from another process.
fn apply(state: &crate::state::StateInner, payload: &str) -> bool {
    let hub = &state.hub;
    let Ok(env) = serde_json::from_str::<Envelope>(payload) else {
        tracing::warn!("live relay: an unreadable notification was ignored");
        return false;
    };
    if env.o == crate::storage::process_id() {
        return false;
    }
    match env.what {
        What::Event { users, event } => hub.publish(&users, &event),
        What::Resync { users } => {
            for u in users {
                hub.end_user_sessions(u, None);
            }
        }
        What::EndSessions { token_hashes } => hub.end_sessions(&token_hashes),
        What::EndUserSessions { user, keep } => hub.end_user_sessions(user, keep.as_deref()),
        What::FlowChanged { lob, channel } => state.flows.invalidate(lob, channel),
        What::NumbersChanged => state.provider_numbers.clear(),
        What::Hello => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_event_travels_as_a_resync() {
        let small = payload(What::Resync { users: vec![1, 2] }).unwrap();
        assert!(small.len() < MAX_PAYLOAD);
        let back: Envelope = serde_json::from_str(&small).unwrap();
        assert!(matches!(back.what, What::Resync { users } if users == vec![1, 2]));
    }
}
