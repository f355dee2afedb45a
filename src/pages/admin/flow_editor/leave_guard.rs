//! The unsaved-changes guard: while the flow has edits, closing the tab asks
//! the browser's question and following a link inside the app asks ours.

use leptos::prelude::*;
use web_sys::wasm_bindgen::{closure::Closure, JsCast};

pub const LEAVE_WARNING: &str = "You have unsaved changes to this flow. Leave without saving?";

/// While `dirty`, closing or reloading the tab asks the browser's own
/// question, and following a link inside the app asks ours.
pub fn warn_before_leaving(dirty: Memo<bool>) {
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if dirty.get_untracked() {
            ev.prevent_default();
            ev.set_return_value("unsaved");
        }
    });
    // The router follows links from a click listener on `window`; a listener
    // on the document runs first, and a prevented click is left alone by it.
    let on_click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        if !dirty.get_untracked() || ev.default_prevented() {
            return;
        }
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten());
        if link.is_some() && !window().confirm_with_message(LEAVE_WARNING).unwrap_or(true) {
            ev.prevent_default();
        }
    });
    let doc = document();
    let _ = doc.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    // `on_cleanup` wants Send; the listener lives on this (only) thread, so
    // wrap it the way Leptos itself does (its send_wrapper re-export: the
    // app adds no crate for it).
    let keep = leptos::__reexports::send_wrapper::SendWrapper::new((doc, on_click));
    on_cleanup(move || {
        unload.remove();
        let (doc, on_click) = keep.take();
        let _ = doc.remove_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    });
}
