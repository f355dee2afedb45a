//! Users and their business numbers: this module loads both lists, sends
//! the admin's changes and says what the server did; [`user_table`],
//! [`number_table`], [`lines`] and [`add_user`] draw the parts.
//!
//! Switches and status changes are sent at once and the lists show the
//! server's answer, so the screen never claims a state the server refused.

mod add_user;
mod lines;
mod number_table;
mod user_table;

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{BusinessNumber, UpdateNumberRequest, UpdateUserRequest, User};

use crate::api_client::{self, ApiFailure};
use crate::server_calls::{Loaded, Task};
use add_user::AddUser;
use lines::LinesOfBusiness;
use number_table::NumberTable;
use user_table::UserTable;

pub type UpdateUser = Task<(i64, UpdateUserRequest), Result<User, ApiFailure>>;
pub type UpdateNumber = Task<(i64, UpdateNumberRequest), Result<BusinessNumber, ApiFailure>>;

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Loaded::new(api_client::users);
    let numbers = Loaded::new(api_client::numbers);
    let failure = RwSignal::new(None::<String>);
    let status = RwSignal::new(String::new());

    let update_user: UpdateUser =
        Task::new(|(id, req): &(i64, UpdateUserRequest)| api_client::update_user(*id, req.clone()));
    let update_number: UpdateNumber = Task::new(|(id, req): &(i64, UpdateNumberRequest)| {
        api_client::update_number(*id, req.clone())
    });
    // Says what the server did (or why not), then shows its lists again.
    let report = move |r: Result<String, ApiFailure>| match r {
        Ok(done) => {
            status.set(done);
            failure.set(None);
        }
        Err(e) => failure.set(Some(e.message)),
    };
    effect(move || {
        if let Some(r) = update_user.value().get() {
            report(r.map(|u| {
                let now = if u.active { "active" } else { "deactivated" };
                format!("{} is now {now}.", u.name)
            }));
            users.refetch();
        }
    });
    effect(move || {
        if let Some(r) = update_number.value().get() {
            report(r.map(|n| {
                let (sms, wa) = (on_off(n.sms_enabled), on_off(n.whatsapp_enabled));
                format!("{}: SMS {sms}, WhatsApp {wa}.", n.phone)
            }));
            numbers.refetch();
            users.refetch();
        }
    });
    let user_list = move || users.get().and_then(Result::ok).map(|l| l.users);
    let error_box = |e: ApiFailure| view! { <p role="alert" class="error-box">{e.message}</p> };

    view! {
        <section class="page" aria-labelledby="users-title">
            <h1 id="users-title">"Users and numbers"</h1>
            <p class="form-status" role="status">{move || status.get()}</p>
            {move || failure.get().map(|m| view! { <p role="alert" class="error-box">{m}</p> })}
            <h2>"Users"</h2>
            {move || {
                users.get().map(|r| match r {
                    Ok(list) => view! { <UserTable users=list.users update=update_user /> }.into_any(),
                    Err(e) => error_box(e).into_any(),
                })
                .unwrap_or_else(|| view! { <p>"Loading users…"</p> }.into_any())
            }}
            <h2>"Business numbers"</h2>
            {move || {
                let names = user_list().unwrap_or_default();
                numbers.get().map(|r| match r {
                    Ok(list) => {
                        view! { <NumberTable numbers=list.numbers users=names update=update_number /> }
                            .into_any()
                    }
                    Err(e) => error_box(e).into_any(),
                })
                .unwrap_or_else(|| view! { <p>"Loading numbers…"</p> }.into_any())
            }}
            <h2>"Lines of business"</h2>
            {move || user_list().map(|users| view! { <LinesOfBusiness users /> })}
            <AddUser on_added=move || {
                users.refetch();
                numbers.refetch();
            } />
        </section>
    }
}
