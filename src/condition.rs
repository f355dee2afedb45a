//! A yes/no the view shows or hides a part on, with one compiled copy for
//! the app.
//!
//! A part shown only while a condition holds must not be rebuilt while it
//! keeps holding (an input would lose its text, a button its focus), so the
//! condition is a memo: it notifies only when it flips. `Memo::new` is
//! generic over its closure, and `<Show>` adds its own children machinery
//! per use; [`condition`] boxes the test first, so every such memo shares
//! one compiled copy, and the view writes
//! `move || shown.get().then(|| view! { … })` (issue 13).

use leptos::prelude::Memo;

/// A memo of `test`: recomputed when a signal `test` read changes, and
/// notifying its readers only when the answer changes.
pub fn condition(test: impl Fn() -> bool + Send + Sync + 'static) -> Memo<bool> {
    condition_boxed(Box::new(test))
}

fn condition_boxed(test: Box<dyn Fn() -> bool + Send + Sync>) -> Memo<bool> {
    Memo::new(move |_| test())
}
