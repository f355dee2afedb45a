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
        let ids: Vec<i64> = sent.iter().map(|s| s.message_id).collect();
        let done = state
            .db
            .write(move |c| {
                storage::messages_set_status(
                    c,
                    &ids,
                    DeliveryStatus::Sent,
                    DeliveryStatus::Delivered,
                )
            })
            .await;
        if done.is_ok() {
            for s in sent {
                state.hub.publish(
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
