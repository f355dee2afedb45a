//! The application shell: landmarks, navigation and routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::components::server_status::ServerStatus;
use crate::pages::{home::Home, not_found::NotFound};

#[component]
pub fn App() -> impl IntoView {
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
                    </ul>
                </nav>
            </header>
            <main id="main" tabindex="-1" node_ref=main>
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
