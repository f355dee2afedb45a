//! The settings screens, fetched only when an admin opens them.
//!
//! Agents never use the settings, so their code is kept out of the first
//! download: in the release build (cargo feature `split`, see
//! `scripts/build-wasm.sh`) [`screen_view`] is a split point, and the wasm
//! splitter moves it and everything only it reaches into a separate chunk
//! that the browser fetches on the first call. Without the feature (the
//! development build) the same function is an ordinary call, so the screens
//! behave the same either way.
//!
//! The guard and the settings frame ([`super::AdminLayout`]) stay in the main
//! bundle: a non-admin is told "Not allowed" without downloading anything.
//!
//! A chunk that cannot be fetched must not take the app down (the wasm
//! bundle aborts on panic), so the split point is `fallible`: the failure
//! comes back as [`ChunkUnavailable`], the screen says so, and "Retry" asks
//! again (the loader does not remember failures).

use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// One settings screen, as routed in `app.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Users,
    Flows,
    Ownership,
    Audit,
    Insights,
    Proof,
    Integrations,
}

/// The settings code could not be fetched (offline, server restarting).
#[derive(Clone, Copy, Debug)]
pub struct ChunkUnavailable;

#[cfg(feature = "split")]
impl From<wasm_split_helpers::SplitLoaderError> for ChunkUnavailable {
    fn from(_: wasm_split_helpers::SplitLoaderError) -> Self {
        // The loader has already logged the cause to the console.
        ChunkUnavailable
    }
}

/// Builds a settings screen. With `split`, this is the entry of the `admin`
/// chunk and its callers get an `async` wrapper that fetches the chunk first.
#[cfg_attr(feature = "split", wasm_split_helpers::wasm_split(admin, fallible))]
fn screen_view(screen: Screen) -> Result<AnyView, ChunkUnavailable> {
    Ok(match screen {
        Screen::Users => view! { <super::users::UsersPage /> }.into_any(),
        Screen::Flows => view! { <super::flow_editor::FlowEditorPage /> }.into_any(),
        Screen::Ownership => view! { <super::ownership::OwnershipPage /> }.into_any(),
        Screen::Audit => view! { <super::audit::AuditPage /> }.into_any(),
        Screen::Insights => view! { <super::insights::InsightsPage /> }.into_any(),
        Screen::Proof => view! { <super::proof::ProofPage /> }.into_any(),
        Screen::Integrations => view! { <super::integrations::IntegrationsPage /> }.into_any(),
    })
}

/// The screen, after fetching its chunk.
#[cfg(feature = "split")]
async fn load(screen: Screen) -> Result<AnyView, ChunkUnavailable> {
    screen_view(screen).await
}

/// The screen (unsplit build: already here).
#[cfg(not(feature = "split"))]
async fn load(screen: Screen) -> Result<AnyView, ChunkUnavailable> {
    screen_view(screen)
}

/// A settings screen, loaded on demand, with "Retry" if loading fails.
#[component]
pub fn LazyScreen(screen: Screen) -> impl IntoView {
    // Bumped by "Retry": re-runs the load below.
    let attempt = RwSignal::new(0u32);
    view! {
        <Suspense fallback=|| {
            view! { <p class="page" role="status">"Loading the settings…"</p> }
        }>
            {move || {
                attempt.track();
                // The loader's future is not `Send`; the app runs on one thread.
                Suspend::new(SendWrapper::new(async move {
                    match load(screen).await {
                        Ok(view) => view,
                        Err(ChunkUnavailable) => view! { <LoadFailed attempt /> }.into_any(),
                    }
                }))
            }}
        </Suspense>
    }
}

/// Shown when the settings code could not be fetched.
#[component]
fn LoadFailed(attempt: RwSignal<u32>) -> impl IntoView {
    view! {
        <section class="page" aria-labelledby="settings-load-failed">
            <h1 id="settings-load-failed">"Settings unavailable"</h1>
            <p role="alert">
                "The settings could not be loaded. Check your connection, then try again."
            </p>
            <button type="button" on:click=move |_| attempt.update(|n| *n += 1)>
                "Retry"
            </button>
        </section>
    }
}
