//! Side effects that follow signals, with one compiled copy for the app.
//!
//! `Effect::new` is generic over its closure, and every call compiles the
//! effect's scheduling task again (about 1 KB of wasm a call, over thirty
//! calls). [`effect`] boxes the closure first, so every effect of the app
//! shares that task; what each one does stays its own (issue 13).

use leptos::prelude::Effect;

/// Runs `run` after the current render, and again whenever a signal it read
/// changes, until its owner (the screen) is disposed. `Effect::new` with a
/// closure that ignores its previous value, in one compiled copy.
pub fn effect(run: impl FnMut() + 'static) {
    effect_boxed(Box::new(run));
}

fn effect_boxed(mut run: Box<dyn FnMut()>) {
    Effect::new(move |_| run());
}
