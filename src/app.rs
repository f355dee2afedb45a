//! The application shell: landmarks, navigation and routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::components::server_status::ServerStatus;
use crate::pages::{home::Home, not_found::NotFound};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="app-header">
                <A href="/" attr:class="brand">
                    <img src="/favicon.svg" alt="" width="24" height="24" />
                    <span>"Optline"</span>
                </A>
                <nav aria-label="Main">
                    <ul>
                        <li><A href="/">"Home"</A></li>
                    </ul>
                </nav>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                </Routes>
            </main>
            <footer class="app-footer">
                <ServerStatus />
            </footer>
        </Router>
    }
}
