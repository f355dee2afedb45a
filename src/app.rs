//! The application shell: landmarks, navigation and routes.

use leptos::prelude::*;

use crate::address::Page;
use crate::components::server_status::ServerStatus;
use crate::components::user_menu::UserMenu;
use crate::navigation::NavLink;
use crate::pages::admin;
use crate::pages::workspace::Workspace;
use crate::pages::{contact_phone::ContactPhonePage, login::Login};
use crate::pages::{home::Home, not_found::NotFound};
use crate::session::RequireLogin;

#[component]
pub fn App() -> impl IntoView {
    let location = crate::navigation::provide_location();
    crate::session::provide_session().ensure_checked();
    crate::live::provide_live();
    let main = NodeRef::<leptos::html::Main>::new();
    // Focusing the landmark ourselves gives keyboard and screen-reader
    // users the expected jump, without "#main" in the address.
    let skip_to_main = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if let Some(main) = main.get() {
            let _ = main.focus();
        }
    };
    // The frame around a page is rebuilt only when the kind of page changes:
    // opening another conversation or settings screen keeps it (and the
    // conversation list's state) in place.
    let kind = Memo::new(move |_| std::mem::discriminant(&location.page.get()));
    // (`get`, not `track`: a memo never read would never be recomputed.)
    let page = move || {
        let _kind = kind.get();
        match location.page.get_untracked() {
            Page::Home => view! { <Home /> }.into_any(),
            Page::Login => view! { <Login /> }.into_any(),
            // The agent's workspace: list and open conversation (two panes from 1024 px).
            Page::Workspace { .. } => {
                view! { <RequireLogin><Workspace /></RequireLogin> }.into_any()
            }
            // The settings: admin::AdminLayout checks the role once for all of them;
            // each screen's code is fetched on demand (admin::lazy).
            Page::Settings(_) => view! { <admin::AdminLayout /> }.into_any(),
            Page::Phone => view! { <ContactPhonePage /> }.into_any(),
            Page::NotFound => view! { <NotFound /> }.into_any(),
        }
    };
    view! {
        <a class="skip-link" href="#main" on:click=skip_to_main>
            "Skip to content"
        </a>
        <header class="app-header">
            <a href="/" class="brand">
                <img src="/favicon.svg" alt="" width="24" height="24" />
                <span>"Optline"</span>
            </a>
            <nav aria-label="Main">
                <ul>
                    <li><NavLink href="/">"Home"</NavLink></li>
                    // Only admins are offered the settings (others would see "Not allowed").
                    {move || {
                        let admin = crate::session::use_session()
                            .me
                            .with(|m| m.as_ref().is_some_and(|m| m.user.role == optline_api::Role::Admin));
                        admin.then(|| view! { <li><NavLink href="/admin">"Settings"</NavLink></li> })
                    }}
                    <li><NavLink href="/inbox">"Inbox"</NavLink></li>
                    <li><NavLink href="/phone">"Contact phone"</NavLink></li>
                </ul>
            </nav>
            <UserMenu />
        </header>
        <main id="main" tabindex="-1" node_ref=main>
            {page}
        </main>
        <footer class="app-footer">
            <ServerStatus />
        </footer>
    }
}
