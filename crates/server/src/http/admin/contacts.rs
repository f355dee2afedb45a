//! `/admin/contacts/{id}/time-zone`: an admin sets a contact's time zone —
//! the only way it changes after the contact is first stored (quiet hours
//! follow it, so the change is audited on every thread with the contact).

use axum::extract::State;
use optline_api as api;

use crate::consent;
use crate::http::auth::AdminUser;
use crate::http::check_text;
use crate::http::error::{ApiResult, Json, Path};
use crate::phone_zones;
use crate::state::AppState;

pub async fn set_time_zone(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<i64>,
    Json(req): Json<api::ContactTimeZoneRequest>,
) -> ApiResult<Json<api::Contact>> {
    let tz = phone_zones::check_time_zone(&req.time_zone, "time_zone")?;
    if let Some(n) = &req.note {
        check_text(n, "note", 500, true)?;
    }
    let note = req.note.filter(|n| !n.trim().is_empty());
    let now = state.now();
    let st = state.clone();
    let contact = state
        .db
        .write(move |c| {
            consent::admin::set_time_zone(c, &st.flows, now, &admin.0, id, &tz, note.as_deref())
        })
        .await?;
    Ok(Json(contact))
}
