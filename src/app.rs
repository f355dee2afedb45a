//! The application shell: landmarks, navigation and routes.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes, A};
use leptos_router::path;

use crate::components::server_status::ServerStatus;
use crate::components::user_menu::UserMenu;
use crate::pages::admin;
use crate::pages::admin::lazy::{LazyScreen, Screen};
use crate::pages::workspace::{NoConversation, Workspace};
use crate::pages::{contact_phone::ContactPhonePage, login::Login, thread::Thread};
use crate::pages::{home::Home, not_found::NotFound};
use crate::session::RequireLogin;

#[component]
pub fn App() -> impl IntoView {
    crate::session::provide_session().ensure_checked();
    crate::live::provide_live();
    let main = NodeRef::<leptos::html::Main>::new();
    // The router would treat "#main" as a navigation; focusing the landmark
    // ourselves gives keyboard and screen-reader users the expected jump.
    let skip_to_main = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if let Some(main) = main.get() {
            let _ = main.focus();
        }
    };
    view! {
        <Router>
            <a class="skip-link" href="#main" on:click=skip_to_main>
                "Skip to content"
            </a>
            <header class="app-header">
                <A href="/" attr:class="brand">
                    <img src="/favicon.svg" alt="" width="24" height="24" />
                    <span>"Optline"</span>
                </A>
                <nav aria-label="Main">
                    <ul>
                        <li><A href="/">"Home"</A></li>
                        // Only admins are offered the settings (others would see "Not allowed").
                        {move || {
                            let admin = crate::session::use_session()
                                .me
                                .with(|m| m.as_ref().is_some_and(|m| m.user.role == optline_api::Role::Admin));
                            admin.then(|| view! { <li><A href="/admin">"Settings"</A></li> })
                        }}
                        <li><A href="/inbox">"Inbox"</A></li>
                        <li><A href="/phone">"Contact phone"</A></li>
                    </ul>
                </nav>
                <UserMenu />
            </header>
            <main id="main" tabindex="-1" node_ref=main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    // The settings: admin::AdminLayout checks the role once for all of them;
                    // each screen's code is fetched on demand (admin::lazy).
                    <ParentRoute path=path!("/admin") view=admin::AdminLayout>
                        <Route path=path!("") view=|| view! { <Redirect path="/admin/users" /> } />
                        <Route path=path!("users") view=|| view! { <LazyScreen screen=Screen::Users /> } />
                        <Route path=path!("flows") view=|| view! { <LazyScreen screen=Screen::Flows /> } />
                        <Route
                            path=path!("ownership")
                            view=|| view! { <LazyScreen screen=Screen::Ownership /> }
                        />
                        <Route path=path!("audit") view=|| view! { <LazyScreen screen=Screen::Audit /> } />
                        <Route
                            path=path!("insights")
                            view=|| view! { <LazyScreen screen=Screen::Insights /> }
                        />
                        <Route path=path!("proof") view=|| view! { <LazyScreen screen=Screen::Proof /> } />
                        <Route
                            path=path!("integrations")
                            view=|| view! { <LazyScreen screen=Screen::Integrations /> }
                        />
                    </ParentRoute>
                    <Route path=path!("/login") view=Login />
                    // The agent's workspace: list and open conversation (two panes from 1024 px).
                    <ParentRoute path=path!("") view=|| view! { <RequireLogin><Workspace /></RequireLogin> }>
                        <Route path=path!("inbox") view=NoConversation />
                        <Route path=path!("conversations/:id") view=Thread />
                    </ParentRoute>
                    <Route path=path!("/phone") view=ContactPhonePage />
                </Routes>
            </main>
            <footer class="app-footer">
                <ServerStatus />
            </footer>
        </Router>
    }
}
