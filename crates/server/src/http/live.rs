//! `GET /events`: the user's live events as server-sent events.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};

use super::auth::{AuthUser, SessionHash};
use crate::state::AppState;

pub async fn events(
    State(state): State<AppState>,
    user: AuthUser,
    SessionHash(session): SessionHash,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.hub.subscribe(user.id());
    let ready =
        futures_util::stream::once(async { Ok(SseEvent::default().event("ready").data("{}")) });
    let live = tokio_stream::wrappers::BroadcastStream::new(rx).filter_map(|item| async move {
        match item {
            Ok(w) => Some(Ok(SseEvent::default().event(w.0).data(w.1.as_str()))),
            // A slow client missed events: tell it to refetch.
            Err(_) => Some(Ok(SseEvent::default().event("resync").data("{}"))),
        }
    });
    let mut stop = state.shutdown.clone();
    // The stream ends with the session (logout, deactivation, password
    // change), not only when the client goes away.
    let mut ended = state
        .hub
        .session_ended(user.id(), session.as_deref().unwrap_or_default());
    let stopped = async move {
        tokio::select! {
            _ = stop.wait_for(|v| *v) => {}
            _ = ended.wait_for(|v| *v) => {}
        }
    };
    Sse::new(ready.chain(live).take_until(stopped)).keep_alive(KeepAlive::default())
}
