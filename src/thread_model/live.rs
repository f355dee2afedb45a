//! Live events on the model: a server state newer than the one shown
//! replaces it, predictions included; an older one (the stream can deliver
//! a state after the answer that followed it) changes nothing.

use optline_api::{Direction, LiveEvent};

use super::{merge, Follow, ThreadModel};

impl ThreadModel {
    /// A live event from the server (any conversation's).
    pub fn live(&mut self, event: LiveEvent) -> Follow {
        let mut follow = Follow::default();
        match event {
            LiveEvent::Message {
                conversation,
                message,
            } if conversation.id == self.id => {
                let inbound = message.direction == Direction::Inbound;
                if !inbound {
                    // The server's copy replaces the engine's prediction.
                    self.optimistic.retain(|o| o.text != message.body);
                }
                let Some(d) = &mut self.detail else {
                    // Still loading: the answer may predate this event.
                    self.early.push(message);
                    return follow;
                };
                merge(&mut d.messages, [message]);
                self.take_server(*conversation);
                follow.mark_read = inbound;
            }
            LiveEvent::Status {
                conversation_id,
                message_id,
                status,
                error,
            } if conversation_id == self.id => {
                let found = self
                    .detail
                    .as_mut()
                    .and_then(|d| d.messages.iter_mut().find(|m| m.id == message_id));
                if let Some(m) = found {
                    m.status = status;
                    m.error = error;
                }
            }
            LiveEvent::Consent {
                conversation_id,
                consent,
            } if conversation_id == self.id => {
                if let Some(d) = &self.detail {
                    let mut c = d.conversation.clone();
                    c.consent = consent;
                    self.take_server(c);
                }
            }
            LiveEvent::Ownership { ownership } => {
                follow.reload = self
                    .detail
                    .as_ref()
                    .is_some_and(|d| d.conversation.contact.phone == ownership.contact_phone);
            }
            _ => {}
        }
        follow
    }
}
