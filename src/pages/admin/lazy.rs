//! The settings frame and screens, fetched only when an admin opens them.
//!
//! Agents never use the settings, so their code is kept out of the first
//! download: [`settings_view`] is a split point (see [`crate::on_demand`]),
//! and the frame, the screens and everything only they reach form the
//! `admin` chunk. Once it is here, moving between screens fetches nothing.
//!
//! The guard ([`super::AdminLayout`]) stays in the main bundle: a non-admin
//! is told "Not allowed" without downloading anything.

use leptos::prelude::*;

use crate::address::{Page, Screen};
use crate::navigation::{use_location, NavLink};
use crate::on_demand::{on_demand, OnDemand, Wording};

on_demand! {
    /// Builds the settings (the entry of the `admin` chunk).
    fn settings_view() in admin {
        view! { <SettingsFrame /> }.into_any()
    }
}

const SETTINGS: Wording = Wording {
    loading: "Loading the settings…",
    title: Some("Settings unavailable"),
    failed: "The settings could not be loaded. Check your connection, then try again.",
};

/// The settings, loaded on demand, with "Retry" if loading fails.
#[component]
pub fn LazySettings() -> impl IntoView {
    view! { <OnDemand load=Box::new(settings_view) wording=SETTINGS /> }
}

/// The sub-navigation and the open screen.
#[component]
fn SettingsFrame() -> impl IntoView {
    let location = use_location();
    // The open screen; while the settings are being left, still the last
    // one (its view is not built again for an address going away).
    let screen = Memo::new(move |prev: Option<&Screen>| match location.page.get() {
        Page::Settings(s) => s,
        _ => prev.copied().unwrap_or(Screen::Users),
    });
    view! {
        <div class="settings">
            <nav class="settings-nav" aria-label="Settings">
                <h2 class="settings-nav-title">"Settings"</h2>
                <ul>
                    <li><NavLink href="/admin/users">"Users and numbers"</NavLink></li>
                    <li><NavLink href="/admin/flows">"Opt-in flows"</NavLink></li>
                    <li><NavLink href="/admin/ownership">"Contact ownership"</NavLink></li>
                    <li><NavLink href="/admin/audit">"Consent audit"</NavLink></li>
                    <li><NavLink href="/admin/insights">"Insights"</NavLink></li>
                    <li><NavLink href="/admin/proof">"Proof of consent"</NavLink></li>
                    <li><NavLink href="/admin/integrations">"Integrations"</NavLink></li>
                </ul>
            </nav>
            <div class="settings-body">
                {move || screen_view(screen.get())}
            </div>
        </div>
    }
}

fn screen_view(screen: Screen) -> AnyView {
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
