//! The admin's settings: a guard that lets only admins in, the settings
//! frame with its sub-navigation, and one module per settings screen. The
//! frame and the screens are fetched on demand ([`lazy`]); the guard is not.
//!
//! The guard asks the server who is logged in (`api_client::me_quietly`) rather than
//! trusting anything cached in the browser: the server enforces the same rule
//! on every admin endpoint, this page only explains it.

pub mod audit;
pub mod flow_editor;
pub mod insights;
pub mod integrations;
pub mod lazy;
mod lob_select;
pub mod ownership;
pub mod proof;
mod table;
pub mod users;

use leptos::prelude::*;
use optline_api::{Me, Role};

use crate::api_client;
pub use lob_select::LobSelect;
pub use table::Table;

/// The logged-in admin, provided to every settings screen.
#[derive(Clone)]
pub struct AdminContext {
    pub me: Me,
}

/// The admin's context; settings screens only render under [`AdminLayout`].
pub fn admin() -> AdminContext {
    expect_context::<AdminContext>()
}

/// Name of a line of business, for tables that only carry its id.
pub fn lob_name(ctx: &AdminContext, id: Option<i64>) -> String {
    id.and_then(|id| ctx.me.lines_of_business.iter().find(|l| l.id == id))
        .map(|l| l.name.clone())
        .unwrap_or_else(|| "—".into())
}

/// `/admin/*`: checks the role, then shows the settings (sub-navigation and
/// screen, fetched on demand).
#[component]
pub fn AdminLayout() -> impl IntoView {
    // A signal filled by a task, not a resource: the first load then has no
    // resource or suspense machinery at all (issue 13).
    let me = RwSignal::new(None);
    let session = crate::session::use_session();
    let check = move || {
        me.set(None);
        leptos::task::spawn_local(async move {
            let answer = api_client::me_quietly().await;
            // Share the answer with the app's session, so the header (user
            // menu, Settings link) knows who is here without asking again.
            if let Ok(m) = &answer {
                if session.me.with_untracked(Option::is_none) {
                    session.me.set(Some(m.clone()));
                }
            }
            me.set(Some(answer));
        });
    };
    check();
    move || {
        me.get()
            .map(|result| match result {
                Ok(me) if me.user.role == Role::Admin => {
                    provide_context(AdminContext { me });
                    view! { <lazy::LazySettings /> }.into_any()
                }
                Ok(me) => view! { <NotAllowed name=me.user.name /> }.into_any(),
                Err(e) if e.is_unauthorized() => view! {
                    <section class="page" aria-labelledby="login-needed">
                        <h1 id="login-needed">"Please log in"</h1>
                        <p>"The settings are for administrators. Log in to continue."</p>
                        <p>
                            <a href="/login">"Go to the login page"</a>
                        </p>
                    </section>
                }
                .into_any(),
                Err(e) => view! {
                    <section class="page" aria-labelledby="access-error">
                        <h1 id="access-error">"Settings unavailable"</h1>
                        <p role="alert">{e.to_string()}</p>
                        <button type="button" on:click=move |_| check()>
                            "Retry"
                        </button>
                    </section>
                }
                .into_any(),
            })
            .unwrap_or_else(|| {
                view! { <p class="page" role="status">"Checking your access…"</p> }.into_any()
            })
    }
}

/// Shown to a logged-in non-admin who typed a settings address.
#[component]
fn NotAllowed(name: String) -> impl IntoView {
    view! {
        <section class="page" aria-labelledby="not-allowed">
            <h1 id="not-allowed">"Not allowed"</h1>
            <p>
                "You are logged in as " {name}
                ", who is an agent. Only administrators can change the organization's settings. "
                "Ask an administrator if you need a change."
            </p>
            <p>
                <a href="/">"Back to the start page"</a>
            </p>
        </section>
    }
}

/// A field's error text, tied to its input through `aria-describedby`.
#[component]
pub fn FieldError(id: String, #[prop(into)] messages: Signal<Vec<String>>) -> impl IntoView {
    view! {
        <div class="field-errors" id=id>
            {move || {
                messages
                    .get()
                    .into_iter()
                    .map(|m| view! { <p class="field-error">{m}</p> })
                    .collect_view()
            }}
        </div>
    }
}
