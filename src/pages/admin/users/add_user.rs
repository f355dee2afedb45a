//! "Add a user": name, e-mail, password, business number (agents), role and
//! line of business; the server's complaints show beside their boxes.

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{CreateUserRequest, Role};

use crate::api_client::{self, ApiFailure};
use crate::pages::admin::{admin, FieldError, LobSelect};
use crate::server_calls::Task;

#[component]
pub fn AddUser(on_added: impl Fn() + Copy + 'static) -> impl IntoView {
    let first_lob = admin().me.lines_of_business.first().map(|l| l.id);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent);
    let lob = RwSignal::new(first_lob);
    let phone = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let done = RwSignal::new(String::new());

    let create = Task::new(|req: &CreateUserRequest| api_client::create_user(req.clone()));
    effect(move || match create.value().get() {
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
            line_of_business_id: lob.get_untracked(),
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
                    <LobSelect id="new-lob" value=lob on_change=move |l| lob.set(l) />
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
