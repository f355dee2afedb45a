//! Sends left behind by a server process that stopped. Several processes
//! can share one PostgreSQL database, so no process may assume the queued
//! sends it finds at start are its own. Each process announces itself
//! every few seconds (a heartbeat); a queued send belongs to the process
//! that claimed it. When a process has not been seen for the peer timeout:
//! - its sends that never started are claimed by a survivor and sent, once
//!   (the claim skips rows another process is claiming at that moment);
//! - its sends whose request may have reached the provider are failed with
//!   [`storage::NOT_RESENT`]: resending could deliver them twice.
//!
//! On SQLite one process owns the file, so every other process is stopped
//! and a restart recovers at once.

use std::time::Duration;

use crate::consent::{self, ProviderSend};
use crate::state::AppState;
use crate::storage::{self, Backend, StorageError, StorageResult};

/// How often a process announces itself and looks for orphaned sends: a
/// quarter of the peer timeout, within [0.5 s, 5 s].
fn every(peer_timeout: Duration) -> Duration {
    (peer_timeout / 4).clamp(Duration::from_millis(500), Duration::from_secs(5))
}
/// Sends claimed per round.
const CLAIM_LIMIT: i64 = 200;

/// What one round found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    pub failed: usize,
    pub claimed: usize,
}

/// The first heartbeat, written before the process serves anything: its
/// peers count it alive from the moment it relays its first event.
pub async fn announce(db: &storage::Db) -> StorageResult<()> {
    let now = crate::clock::fmt(chrono::Utc::now());
    db.write(move |c| storage::process_heartbeat(c, storage::process_id(), &now))
        .await
}

/// One round: heartbeat, settle and claim what stopped processes left.
pub async fn run_once(state: &AppState) -> StorageResult<Recovered> {
    let me = storage::process_id();
    let now = state.now();
    let alive_since = match state.db.backend() {
        Backend::Sqlite => now,
        Backend::Postgres => {
            now - chrono::Duration::from_std(state.config.peer_timeout).unwrap_or_default()
        }
    };
    let (now_s, alive_s) = (crate::clock::fmt(now), crate::clock::fmt(alive_since));
    let prune_before = crate::clock::fmt(alive_since - chrono::Duration::hours(1));
    let (failed, sends, peers) = state
        .db
        .write(move |c| {
            storage::process_heartbeat(c, me, &now_s)?;
            let peers = storage::processes_alive(c, me, &alive_s)?;
            let failed = storage::outbound_fail_orphaned(c, me, &alive_s)?;
            let ids = storage::outbound_claim_orphaned(c, me, &alive_s, CLAIM_LIMIT)?;
            let mut sends = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(m) = storage::message_by_id(c, id)? else {
                    continue;
                };
                let Some(row) = storage::conversation_row(c, m.conversation_id)? else {
                    continue;
                };
                sends.push(ProviderSend {
                    message_id: id,
                    recipients: consent::recipients(c, row.org_id, row.number_user_id)?,
                });
            }
            storage::processes_prune(c, &prune_before)?;
            Ok::<_, StorageError>((failed, sends, peers))
        })
        .await?;
    state.set_peers_alive(peers > 0);
    let claimed = sends.len();
    for s in sends {
        super::send::dispatch(state, s);
    }
    Ok(Recovered { failed, claimed })
}

/// Runs a round at start and every few seconds for the life of the
/// process.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        loop {
            match run_once(&state).await {
                Ok(r) if r != Recovered::default() => tracing::warn!(
                    failed = r.failed,
                    claimed = r.claimed,
                    "sends of a stopped server process: started ones failed (not resent), never-started ones claimed"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("recovering sends of stopped processes: {e}"),
            }
            tokio::time::sleep(every(state.config.peer_timeout)).await;
        }
    });
}
