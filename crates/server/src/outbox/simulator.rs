//! The simulator's delivery reports: a message to a simulated phone is
//! reported `delivered` right after its commit, through the writer, with a
//! live `status` event — the shape a real provider's status callback takes.

use optline_api::DeliveryStatus;

use crate::consent::SimulatedDelivery;
use crate::state::AppState;
use crate::storage;
use crate::views;

pub fn deliver(state: &AppState, sent: Vec<SimulatedDelivery>) {
    let state = state.clone();
    tokio::spawn(async move {
        let ids: Vec<(i64, i64)> = sent
            .iter()
            .map(|s| (s.message_id, s.conversation_id))
            .collect();
        let now = crate::clock::fmt(state.now());
        let done = state
            .db
            .write(move |c| {
                let only: Vec<i64> = ids.iter().map(|(m, _)| *m).collect();
                storage::messages_set_status(
                    c,
                    &only,
                    DeliveryStatus::Sent,
                    DeliveryStatus::Delivered,
                )?;
                let listening =
                    storage::webhook_any_subscriber(c, storage::EventType::MessageStatus)?;
                for &(m, conv) in ids.iter().filter(|_| listening) {
                    // Only those this job moved (never a status twice).
                    let moved = storage::message_by_id(c, m)?
                        .is_some_and(|row| row.status == DeliveryStatus::Delivered);
                    if !moved {
                        continue;
                    }
                    crate::integrations::events::message_status_of(
                        c,
                        conv,
                        m,
                        DeliveryStatus::Delivered,
                        None,
                        &now,
                    )?;
                }
                Ok::<_, storage::StorageError>(())
            })
            .await;
        if done.is_ok() {
            for s in sent {
                state.publish(
                    &s.recipients,
                    &views::status_event(
                        s.message_id,
                        s.conversation_id,
                        DeliveryStatus::Delivered,
                        None,
                    ),
                );
            }
        }
    });
}
