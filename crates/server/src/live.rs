//! Live events: one broadcast channel per connected user, and per session
//! a signal that ends its streams (logout, deactivation, password change,
//! expiry).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use optline_api::LiveEvent;
use tokio::sync::{broadcast, watch};

/// A serialized event: (SSE event name, JSON data).
pub type Wire = Arc<(&'static str, String)>;

#[derive(Default)]
pub struct Hub {
    users: RwLock<HashMap<i64, broadcast::Sender<Wire>>>,
    /// Token hash → (user, a signal that turns true when the session ends).
    sessions: Mutex<HashMap<String, (i64, watch::Sender<bool>)>>,
}

impl Hub {
    /// A signal that turns true when the session `token_hash` of `user` ends;
    /// a live stream ends with it.
    pub fn session_ended(&self, user: i64, token_hash: &str) -> watch::Receiver<bool> {
        let mut m = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        // Forget sessions whose streams are all gone.
        m.retain(|_, (_, tx)| tx.receiver_count() > 0);
        m.entry(token_hash.to_string())
            .or_insert_with(|| (user, watch::channel(false).0))
            .1
            .subscribe()
    }

    /// Ends the live streams of these sessions.
    pub fn end_sessions(&self, token_hashes: &[String]) {
        let mut m = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        for h in token_hashes {
            if let Some((_, tx)) = m.remove(h) {
                let _ = tx.send(true);
            }
        }
    }

    /// Ends the live streams of every session of `user` except `keep`.
    pub fn end_user_sessions(&self, user: i64, keep: Option<&str>) {
        let mut m = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|h, (u, tx)| {
            let end = *u == user && keep != Some(h.as_str());
            if end {
                let _ = tx.send(true);
            }
            !end
        });
    }

    pub fn subscribe(&self, user: i64) -> broadcast::Receiver<Wire> {
        let mut m = self.users.write().unwrap_or_else(|e| e.into_inner());
        // Drop channels nobody listens to any more.
        m.retain(|_, tx| tx.receiver_count() > 0);
        m.entry(user)
            .or_insert_with(|| broadcast::channel(1024).0)
            .subscribe()
    }

    /// Sends `event` to each of `users` that is connected.
    pub fn publish(&self, users: &[i64], event: &LiveEvent) {
        let m = self.users.read().unwrap_or_else(|e| e.into_inner());
        let mut wire: Option<Wire> = None;
        for u in users {
            if let Some(tx) = m.get(u) {
                let w = wire
                    .get_or_insert_with(|| {
                        Arc::new((
                            event.name(),
                            serde_json::to_string(event).unwrap_or_else(|_| "{}".into()),
                        ))
                    })
                    .clone();
                let _ = tx.send(w);
            }
        }
    }

    /// Ends every live stream (sessions stay valid): browsers reconnect
    /// and refetch what they show.
    pub fn end_all_streams(&self) {
        let mut m = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        for (_, (_, tx)) in m.drain() {
            let _ = tx.send(true);
        }
    }

    pub fn connected(&self) -> usize {
        let m = self.users.read().unwrap_or_else(|e| e.into_inner());
        m.values().map(|tx| tx.receiver_count()).sum()
    }
}
