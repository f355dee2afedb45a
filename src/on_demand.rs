//! Code fetched on demand: the parts of the app that are not needed before
//! an agent's inbox is interactive live in separate wasm chunks, and this
//! module owns how a screen waits for one and what it shows when the fetch
//! fails.
//!
//! In the release build (cargo feature `split`, see `scripts/build-wasm.sh`)
//! every function declared with [`on_demand!`] is a split point: the wasm
//! splitter moves it, and everything only it reaches, into the chunk it
//! names, which the browser fetches on the first call. Without the feature
//! (the development build) the same function is an ordinary call, so the
//! app behaves the same either way.
//!
//! A chunk that cannot be fetched must not take the app down (the wasm
//! bundle aborts on panic), so every split point is `fallible`: the failure
//! comes back as [`ChunkUnavailable`], [`OnDemand`] says so, and "Retry" asks
//! again (the loader does not remember failures).

use std::future::Future;
use std::pin::Pin;

use crate::effects::effect;
use leptos::prelude::*;

/// A chunk of the app's code could not be fetched (offline, server restarting).
#[derive(Clone, Copy, Debug)]
pub struct ChunkUnavailable;

#[cfg(feature = "split")]
impl From<wasm_split_helpers::SplitLoaderError> for ChunkUnavailable {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        // The loader has already logged the cause to the console.
        ChunkUnavailable
    }
}

/// Declares `fn $name(args) -> Pending`, the view whose body is built in
/// the chunk `$chunk` (fetched on the first call).
/// Arguments must be plain values (ids, signals, callbacks): they cross into
/// the chunk through a C-like call.
macro_rules! on_demand {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) in $chunk:ident $body:block) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) -> $crate::on_demand::Pending {
            // The split point proper, named like its wrapper (the splitter
            // tells split points apart by name).
            #[cfg_attr(feature = "split", wasm_split_helpers::wasm_split($chunk, fallible))]
            fn $name($($arg: $ty),*) -> Result<AnyView, $crate::on_demand::ChunkUnavailable> {
                Ok($body)
            }
            #[cfg(feature = "split")]
            return Box::pin($name($($arg),*));
            #[cfg(not(feature = "split"))]
            return Box::pin(std::future::ready($name($($arg),*)));
        }
    };
}
pub(crate) use on_demand;

/// A view on its way: its chunk is being fetched. Boxed, so that
/// [`OnDemand`] is compiled once for every split point.
pub type Pending = Pin<Box<dyn Future<Output = Result<AnyView, ChunkUnavailable>>>>;

/// What [`OnDemand`] says while it waits and when the fetch failed.
#[derive(Clone, Copy)]
pub struct Wording {
    /// Shown while the chunk is fetched.
    pub loading: &'static str,
    /// The heading of the failure, for a whole screen; `None` for a part of
    /// one (a form, a dialog), which shows the message alone.
    pub title: Option<&'static str>,
    /// What failed and what to do.
    pub failed: &'static str,
}

/// The view `load` builds once its chunk is here, with "Retry" when
/// fetching it fails.
///
/// The wait is a task and two counters rather than `<Suspense>`: the first
/// load then carries no suspense machinery (issue 13).
#[component]
pub fn OnDemand(
    /// Starts fetching (again, after "Retry").
    load: Box<dyn Fn() -> Pending>,
    wording: Wording,
) -> impl IntoView {
    let load = StoredValue::new_local(load);
    // What the last fetch gave, taken by the view that shows it.
    let result = StoredValue::new_local(None::<Result<AnyView, ChunkUnavailable>>);
    // Bumped by "Retry" (fetch again) and when a fetch ends (look again).
    let attempt = RwSignal::new(0u32);
    let arrived = RwSignal::new(0u32);
    effect(move || {
        attempt.track();
        // The view is built in the task, under this owner (its screens ask
        // for contexts) and tracking nothing (a signal it reads must not
        // fetch again).
        untrack(|| {
            leptos::task::spawn_local_scoped(async move {
                let view = load.with_value(|load| load()).await;
                result.set_value(Some(view));
                arrived.update(|n| *n += 1);
            })
        });
    });
    let retry = move || {
        result.set_value(None);
        arrived.update(|n| *n += 1);
        attempt.update(|n| *n += 1);
    };
    move || {
        arrived.track();
        match result.try_update_value(Option::take).flatten() {
            Some(Ok(view)) => view,
            Some(Err(ChunkUnavailable)) => view! { <LoadFailed wording retry /> }.into_any(),
            // A whole screen waits in the page's frame, a part of one in place.
            None => view! {
                <p class:page=wording.title.is_some() role="status">{wording.loading}</p>
            }
            .into_any(),
        }
    }
}

/// Shown when a chunk could not be fetched.
#[component]
fn LoadFailed(wording: Wording, retry: impl Fn() + Copy + 'static) -> impl IntoView {
    let retry = move |_| retry();
    match wording.title {
        Some(title) => view! {
            <section class="page" aria-labelledby="on-demand-failed">
                <h1 id="on-demand-failed">{title}</h1>
                <p role="alert">{wording.failed}</p>
                <button type="button" on:click=retry>"Retry"</button>
            </section>
        }
        .into_any(),
        None => view! {
            <div class="notice error" role="alert">
                {wording.failed} " "
                <button type="button" class="secondary" on:click=retry>"Retry"</button>
            </div>
        }
        .into_any(),
    }
}
