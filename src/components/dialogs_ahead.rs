//! The forms and dialogs (the `dialogs` chunk) fetched a moment ahead of
//! need: when the pointer comes onto, or focus reaches, a button that opens
//! one. The click then usually finds its form already here instead of
//! showing "Loading the form…". A failed fetch here changes nothing: the
//! click fetches again and says so if that fails too.

use leptos::prelude::*;

use crate::on_demand::on_demand;

on_demand! {
    /// Builds nothing: calling it fetches the `dialogs` chunk.
    fn dialogs_chunk() in dialogs {
        ().into_any()
    }
}

/// Starts fetching the `dialogs` chunk. Once it is here (or on its way),
/// calling again costs nothing: the loader keeps it.
pub fn fetch_dialogs_ahead() {
    leptos::task::spawn_local(async {
        let _ = dialogs_chunk().await;
    });
}
