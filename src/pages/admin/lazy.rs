//! The settings screens, fetched only when an admin opens them.
//!
//! Agents never use the settings, so their code is kept out of the first
//! download: [`screen_view`] is a split point (see [`crate::on_demand`]), and
//! the screens and everything only they reach form the `admin` chunk.
//!
//! The guard and the settings frame ([`super::AdminLayout`]) stay in the main
//! bundle: a non-admin is told "Not allowed" without downloading anything.

use leptos::prelude::*;

use crate::address::Screen;
use crate::on_demand::{on_demand, OnDemand, Wording};

on_demand! {
    /// Builds a settings screen (the entry of the `admin` chunk).
    fn screen_view(screen: Screen) in admin {
        match screen {
            Screen::Users => view! { <super::users::UsersPage /> }.into_any(),
            Screen::Flows => view! { <super::flow_editor::FlowEditorPage /> }.into_any(),
            Screen::Ownership => view! { <super::ownership::OwnershipPage /> }.into_any(),
            Screen::Audit => view! { <super::audit::AuditPage /> }.into_any(),
            Screen::Insights => view! { <super::insights::InsightsPage /> }.into_any(),
            Screen::Proof => view! { <super::proof::ProofPage /> }.into_any(),
            Screen::Integrations => view! { <super::integrations::IntegrationsPage /> }.into_any(),
        }
    }
}

const SETTINGS: Wording = Wording {
    loading: "Loading the settings…",
    title: Some("Settings unavailable"),
    failed: "The settings could not be loaded. Check your connection, then try again.",
};

/// A settings screen, loaded on demand, with "Retry" if loading fails.
#[component]
pub fn LazyScreen(screen: Screen) -> impl IntoView {
    view! { <OnDemand load=Box::new(move || screen_view(screen)) wording=SETTINGS /> }
}
