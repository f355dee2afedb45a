//! Live events: one broadcast channel per connected user.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use optline_api::LiveEvent;
use tokio::sync::broadcast;

/// A serialized event: (SSE event name, JSON data).
pub type Wire = Arc<(&'static str, String)>;

#[derive(Default)]
pub struct Hub {
    users: RwLock<HashMap<i64, broadcast::Sender<Wire>>>,
}

impl Hub {
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

    pub fn connected(&self) -> usize {
        let m = self.users.read().unwrap_or_else(|e| e.into_inner());
        m.values().map(|tx| tx.receiver_count()).sum()
    }
}
