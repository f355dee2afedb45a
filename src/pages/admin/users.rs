//! Users and their business numbers: list, add, deactivate, line of
//! business; per number the SMS and WhatsApp switches and the provider.
//!
//! Switches and status changes are sent at once and the list shows the
//! server's answer, so the screen never claims a state the server refused.

use gloo_net::http::Method;
use leptos::prelude::*;
use optline_api::{
    BusinessNumber, CreateUserRequest, NumberList, Role, UpdateNumberRequest, UpdateUserRequest,
    User, UserList,
};

use super::{admin, lob_name, FieldError};
use crate::net::{self, ApiFailure};

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = LocalResource::new(|| net::get_json::<UserList>("/api/v1/admin/users"));
    let numbers = LocalResource::new(|| net::get_json::<NumberList>("/api/v1/admin/numbers"));
    let failure = RwSignal::new(None::<String>);
    let status = RwSignal::new(String::new());

    let update_user = Action::new_local(move |(id, req): &(i64, UpdateUserRequest)| {
        let url = format!("/api/v1/admin/users/{id}");
        let req = req.clone();
        async move { net::send_json::<_, User>(Method::PATCH, &url, &req).await }
    });
    let update_number = Action::new_local(move |(id, req): &(i64, UpdateNumberRequest)| {
        let url = format!("/api/v1/admin/numbers/{id}");
        let req = req.clone();
        async move { net::send_json::<_, BusinessNumber>(Method::PATCH, &url, &req).await }
    });
    Effect::new(move |_| {
        if let Some(r) = update_user.value().get() {
            match r {
                Ok(u) => {
                    status.set(format!(
                        "{} is now {}.",
                        u.name,
                        if u.active { "active" } else { "deactivated" }
                    ));
                    failure.set(None);
                }
                Err(e) => failure.set(Some(e.message)),
            }
            users.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(r) = update_number.value().get() {
            match r {
                Ok(n) => {
                    status.set(format!(
                        "{}: SMS {}, WhatsApp {}.",
                        n.phone,
                        if n.sms_enabled { "on" } else { "off" },
                        if n.whatsapp_enabled { "on" } else { "off" }
                    ));
                    failure.set(None);
                }
                Err(e) => failure.set(Some(e.message)),
            }
            numbers.refetch();
            users.refetch();
        }
    });

    view! {
        <section class="page" aria-labelledby="users-title">
            <h1 id="users-title">"Users and numbers"</h1>
            <p class="form-status" role="status">{move || status.get()}</p>
            {move || failure.get().map(|m| view! { <p role="alert" class="error-box">{m}</p> })}
            <h2>"Users"</h2>
            <Suspense fallback=|| view! { <p>"Loading users…"</p> }>
                {move || {
                    users
                        .get()
                        .map(|r| match r {
                            Ok(list) => view! { <UserTable users=list.users update=update_user /> }.into_any(),
                            Err(e) => view! { <p role="alert" class="error-box">{e.message}</p> }.into_any(),
                        })
                }}
            </Suspense>
            <h2>"Business numbers"</h2>
            <Suspense fallback=|| view! { <p>"Loading numbers…"</p> }>
                {move || {
                    let names = users.get().and_then(Result::ok).map(|l| l.users).unwrap_or_default();
                    numbers
                        .get()
                        .map(|r| match r {
                            Ok(list) => {
                                view! { <NumberTable numbers=list.numbers users=names update=update_number /> }
                                    .into_any()
                            }
                            Err(e) => view! { <p role="alert" class="error-box">{e.message}</p> }.into_any(),
                        })
                }}
            </Suspense>
            <h2>"Lines of business"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    users.get().and_then(Result::ok).map(|l| view! { <LinesOfBusiness users=l.users /> })
                }}
            </Suspense>
            <AddUser on_added=move || {
                users.refetch();
                numbers.refetch();
            } />
        </section>
    }
}

type UpdateUser = Action<(i64, UpdateUserRequest), Result<User, ApiFailure>>;
type UpdateNumber = Action<(i64, UpdateNumberRequest), Result<BusinessNumber, ApiFailure>>;

fn no_user_change() -> UpdateUserRequest {
    UpdateUserRequest {
        name: None,
        password: None,
        active: None,
        line_of_business_id: None,
    }
}

#[component]
fn UserTable(users: Vec<User>, update: UpdateUser) -> impl IntoView {
    let ctx = admin();
    let lobs = ctx.me.lines_of_business.clone();
    let me_id = ctx.me.user.id;
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"E-mail"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Line of business"</th>
                        <th scope="col">"Business number"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Action"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|u| {
                            let id = u.id;
                            let active = u.active;
                            let name = u.name.clone();
                            let lob_label = format!("Line of business of {}", u.name);
                            let toggle_label = format!(
                                "{} {}",
                                if active { "Deactivate" } else { "Reactivate" },
                                u.name,
                            );
                            let current_lob = u.line_of_business_id.unwrap_or_default().to_string();
                            view! {
                                <tr class:inactive=!active>
                                    <th scope="row">{name}</th>
                                    <td>{u.email}</td>
                                    <td>{if u.role == Role::Admin { "Admin" } else { "Agent" }}</td>
                                    <td>
                                        <select
                                            aria-label=lob_label
                                            prop:value=current_lob
                                            on:change=move |ev| {
                                                if let Ok(l) = event_target_value(&ev).parse() {
                                                    update
                                                        .dispatch((
                                                            id,
                                                            UpdateUserRequest {
                                                                line_of_business_id: Some(l),
                                                                ..no_user_change()
                                                            },
                                                        ));
                                                }
                                            }
                                        >
                                            {lobs
                                                .iter()
                                                .map(|l| {
                                                    view! { <option value=l.id.to_string()>{l.name.clone()}</option> }
                                                })
                                                .collect_view()}
                                        </select>
                                    </td>
                                    <td>{u.number.map(|n| n.phone).unwrap_or_else(|| "—".into())}</td>
                                    <td>{if active { "Active" } else { "Deactivated" }}</td>
                                    <td>
                                        {(id != me_id)
                                            .then(|| {
                                                view! {
                                                    <button
                                                        type="button"
                                                        class="secondary"
                                                        aria-label=toggle_label
                                                        on:click=move |_| {
                                                            update
                                                                .dispatch((
                                                                    id,
                                                                    UpdateUserRequest {
                                                                        active: Some(!active),
                                                                        ..no_user_change()
                                                                    },
                                                                ));
                                                        }
                                                    >
                                                        {if active { "Deactivate" } else { "Reactivate" }}
                                                    </button>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn NumberTable(
    numbers: Vec<BusinessNumber>,
    users: Vec<User>,
    update: UpdateNumber,
) -> impl IntoView {
    let ctx = admin();
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Number"</th>
                        <th scope="col">"Used by"</th>
                        <th scope="col">"Line of business"</th>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"SMS"</th>
                        <th scope="col">"WhatsApp"</th>
                    </tr>
                </thead>
                <tbody>
                    {numbers
                        .into_iter()
                        .map(|n| {
                            let id = n.id;
                            let owner = n
                                .user_id
                                .and_then(|u| users.iter().find(|x| x.id == u))
                                .map(|u| u.name.clone())
                                .unwrap_or_else(|| "—".into());
                            let switch = move |whatsapp: bool, on: bool| {
                                let req = UpdateNumberRequest {
                                    sms_enabled: (!whatsapp).then_some(on),
                                    whatsapp_enabled: whatsapp.then_some(on),
                                    user_id: None,
                                };
                                update.dispatch((id, req));
                            };
                            view! {
                                <tr>
                                    <th scope="row">{n.phone.clone()}</th>
                                    <td>{owner}</td>
                                    <td>{lob_name(&ctx, Some(n.line_of_business_id))}</td>
                                    <td>{provider_name(&n.provider)}</td>
                                    <td>
                                        <Switch
                                            label=format!("SMS for {}", n.phone)
                                            on=n.sms_enabled
                                            toggle=move |v| switch(false, v)
                                        />
                                    </td>
                                    <td>
                                        <Switch
                                            label=format!("WhatsApp for {}", n.phone)
                                            on=n.whatsapp_enabled
                                            toggle=move |v| switch(true, v)
                                        />
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <p class="hint">
            "Turning a channel off makes the number's inbound messages on it get the flow's "
            "auto-reply, and agents see the channel as unavailable."
        </p>
    }
}

fn provider_name(p: &str) -> String {
    match p {
        "simulator" => "Simulator".into(),
        "whatsapp_cloud" => "WhatsApp Cloud API".into(),
        "twilio" => "Twilio".into(),
        other => other.into(),
    }
}

/// A checkbox exposed as a switch: its accessible name says which channel of
/// which number, its state says on or off.
#[component]
fn Switch(label: String, on: bool, toggle: impl Fn(bool) + 'static) -> impl IntoView {
    view! {
        <label class="switch">
            <input
                type="checkbox"
                role="switch"
                aria-label=label
                prop:checked=on
                on:change=move |ev| toggle(event_target_checked(&ev))
            />
            <span aria-hidden="true">{if on { "On" } else { "Off" }}</span>
        </label>
    }
}

#[component]
fn LinesOfBusiness(users: Vec<User>) -> impl IntoView {
    let ctx = admin();
    view! {
        <ul class="lob-list">
            {ctx
                .me
                .lines_of_business
                .iter()
                .map(|l| {
                    let members: Vec<String> = users
                        .iter()
                        .filter(|u| u.line_of_business_id == Some(l.id))
                        .map(|u| u.name.clone())
                        .collect();
                    view! {
                        <li>
                            <strong>{l.name.clone()}</strong>
                            ": "
                            {if members.is_empty() { "nobody yet".to_string() } else { members.join(", ") }}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
fn AddUser(on_added: impl Fn() + Copy + 'static) -> impl IntoView {
    let ctx = admin();
    let lobs = ctx.me.lines_of_business.clone();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent);
    let lob = RwSignal::new(lobs.first().map(|l| l.id).unwrap_or_default());
    let phone = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let done = RwSignal::new(String::new());

    let create = Action::new_local(move |req: &CreateUserRequest| {
        let req = req.clone();
        async move { net::post_json::<_, User>("/api/v1/admin/users", &req).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(u)) => {
            done.set(format!("Added {}.", u.name));
            failure.set(None);
            for s in [name, email, password, phone] {
                s.set(String::new());
            }
            on_added();
        }
        Some(Err(e)) => {
            done.set(String::new());
            failure.set(Some(e));
        }
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let phone = phone.get_untracked();
        create.dispatch(CreateUserRequest {
            email: email.get_untracked(),
            name: name.get_untracked(),
            password: password.get_untracked(),
            role: role.get_untracked(),
            line_of_business_id: Some(lob.get_untracked()),
            phone: (!phone.trim().is_empty()).then_some(phone),
        });
    };
    let error_for = move |field: &'static str| {
        Signal::derive(move || {
            failure.with(|f| {
                f.iter()
                    .filter(|e| e.field.as_deref() == Some(field))
                    .map(|e| e.message.clone())
                    .collect()
            })
        })
    };
    let unplaced = move || {
        failure.get().filter(|e| {
            !matches!(
                e.field.as_deref(),
                Some("name" | "email" | "password" | "phone")
            )
        })
    };
    let input = move |id: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      sig: RwSignal<String>,
                      field: &'static str| {
        let err = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type=kind
                    aria-describedby=err.clone()
                    aria-invalid=move || (!error_for(field).with(Vec::is_empty)).to_string()
                    prop:value=move || sig.get()
                    on:input=move |ev| sig.set(event_target_value(&ev))
                />
                <FieldError id=err messages=error_for(field) />
            </div>
        }
    };
    view! {
        <form class="add-user" on:submit=submit aria-labelledby="add-user-title">
            <h2 id="add-user-title">"Add a user"</h2>
            <div class="field-grid">
                {input("new-name", "Name", "text", name, "name")}
                {input("new-email", "E-mail", "email", email, "email")}
                {input("new-password", "Password", "password", password, "password")}
                {input("new-phone", "Business number (agents)", "tel", phone, "phone")}
                <div class="field">
                    <label for="new-role">"Role"</label>
                    <select
                        id="new-role"
                        on:change=move |ev| {
                            role.set(if event_target_value(&ev) == "admin" { Role::Admin } else { Role::Agent })
                        }
                    >
                        <option value="agent">"Agent"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="new-lob">"Line of business"</label>
                    <select
                        id="new-lob"
                        on:change=move |ev| {
                            if let Ok(l) = event_target_value(&ev).parse() {
                                lob.set(l);
                            }
                        }
                    >
                        {lobs
                            .iter()
                            .map(|l| view! { <option value=l.id.to_string()>{l.name.clone()}</option> })
                            .collect_view()}
                    </select>
                </div>
            </div>
            {move || unplaced().map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })}
            <div class="form-actions">
                <button type="submit" disabled=move || create.pending().get()>"Add user"</button>
                <p class="form-status" role="status">{move || done.get()}</p>
            </div>
        </form>
    }
}
