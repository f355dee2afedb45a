//! `/test/clock` (only with `--test-clock`): tests move the server's clock.

use axum::extract::State;
use optline_api as api;

use super::error::{ApiError, ApiResult, Json};
use crate::clock::fmt;
use crate::state::AppState;

pub async fn now(State(state): State<AppState>) -> Json<api::ClockNow> {
    Json(api::ClockNow {
        now: fmt(state.now()),
        offset_seconds: state.clock.offset(),
    })
}

pub async fn advance(
    State(state): State<AppState>,
    Json(req): Json<api::ClockAdvance>,
) -> ApiResult<Json<api::ClockNow>> {
    if !(0..=10 * 365 * 86_400).contains(&req.advance_seconds) {
        return Err(ApiError::unprocessable(
            "invalid_value",
            "advance_seconds",
            "`advance_seconds` must be between 0 and ten years (the clock only moves forward).",
        ));
    }
    state.clock.advance(req.advance_seconds);
    Ok(now(State(state)).await)
}
