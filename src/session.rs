//! Who is logged in. Loaded once from the server (`api_client::me`); any 401 afterwards means
//! the session ended on the server, so the user is sent to log in again and
//! brought back to where they were.

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::Me;

use crate::api_client;
use crate::condition::condition;
use crate::navigation::use_location;

/// Shown on the login page after a 401 from an authenticated screen.
pub const EXPIRED: &str = "Your session has expired. Please log in again.";

#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// True once the server has said who it is (either way).
    pub checked: RwSignal<bool>,
    /// A message for the login page (session expired).
    pub flash: RwSignal<Option<String>>,
    asked: StoredValue<bool>,
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The current URL (path and query), to come back to after logging in.
fn here() -> String {
    let loc = window().location();
    format!(
        "{}{}",
        loc.pathname().unwrap_or_default(),
        loc.search().unwrap_or_default()
    )
}

pub fn login_url(next: &str) -> String {
    if next.is_empty() || next == "/" || next.starts_with("/login") {
        "/login".to_string()
    } else {
        format!("/login?next={}", api_client::encode(next))
    }
}

/// Creates the session. Nothing is fetched yet: see [`Session::ensure_checked`].
pub fn provide_session() -> Session {
    let s = Session {
        me: RwSignal::new(None),
        checked: RwSignal::new(false),
        flash: RwSignal::new(None),
        asked: StoredValue::new(false),
    };
    provide_context(s);
    s
}

impl Session {
    /// Asks the server who is logged in, once. The probe answers 200 with
    /// no user for a visitor (a 401 would be logged by the browser as a
    /// console error on every public page load), so every page can ask:
    /// the header and the home page then know whom they are talking to.
    pub fn ensure_checked(self) {
        if self.asked.get_value() {
            return;
        }
        self.asked.set_value(true);
        leptos::task::spawn_local(async move {
            if let Ok(info) = api_client::session().await {
                // A login that finished meanwhile is newer than this answer.
                if self.me.with_untracked(Option::is_none) {
                    self.me.set(info.me);
                }
            }
            self.checked.set(true);
        });
    }
}

/// Sends the user to log in when any call finds the session gone. Called
/// once, under the app's location.
pub fn redirect_on_expiry() {
    let s = use_session();
    let location = use_location();
    api_client::on_unauthorized(move || {
        // After the writes to the address already queued for the next frame
        // (the inbox writes a typed search there once the list is painted),
        // so `next` brings the user back to exactly what they had.
        request_animation_frame(move || {
            set_timeout(
                move || {
                    // Only a session that existed can expire; a visitor who
                    // never logged in is simply asked to log in.
                    if s.me.try_get_untracked().flatten().is_some() {
                        s.me.set(None);
                        s.flash.set(Some(EXPIRED.to_string()));
                        location.go(&login_url(&here()));
                    }
                },
                std::time::Duration::ZERO,
            )
        });
    });
}

/// Shows `children` only to a logged-in user; others go to the login page
/// with the requested URL kept in `next`.
#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let s = use_session();
    s.ensure_checked();
    let location = use_location();
    let logged_in = condition(move || s.me.with(|m| m.is_some()));
    effect(move || {
        if s.checked.get() && !logged_in.get() {
            // Track the route so a later visit to a guarded page re-checks.
            let _page = location.page.get();
            let next = here();
            if next.starts_with("/login") {
                return; // the expiry handler already went there, keeping `next`
            }
            location.replace(&login_url(&next));
        }
    });
    move || {
        if logged_in.get() {
            children().into_any()
        } else {
            view! { <p class="page" aria-busy="true">"Checking your session…"</p> }.into_any()
        }
    }
}
