//! The users table: name, e-mail, role, line of business (changeable),
//! business number, status, and deactivate / reactivate (not oneself).

use leptos::prelude::*;
use optline_api::{Role, UpdateUserRequest, User};

use super::UpdateUser;
use crate::pages::admin::{admin, LobSelect, Table};

const HEADERS: &[&str] = &[
    "Name",
    "E-mail",
    "Role",
    "Line of business",
    "Business number",
    "Status",
    "Action",
];

fn no_change() -> UpdateUserRequest {
    UpdateUserRequest {
        name: None,
        password: None,
        active: None,
        line_of_business_id: None,
    }
}

#[component]
pub fn UserTable(users: Vec<User>, update: UpdateUser) -> impl IntoView {
    let me_id = admin().me.user.id;
    view! {
        <Table headers=HEADERS>
            {users
                .into_iter()
                .map(|u| {
                    let id = u.id;
                    let active = u.active;
                    let verb = if active { "Deactivate" } else { "Reactivate" };
                    let toggle_label = format!("{verb} {}", u.name);
                    let lob = u.line_of_business_id;
                    let change_lob = Callback::new(move |l: Option<i64>| {
                        if let Some(l) = l {
                            let req = UpdateUserRequest { line_of_business_id: Some(l), ..no_change() };
                            update.dispatch((id, req));
                        }
                    });
                    let toggle = move |_| {
                        let req = UpdateUserRequest { active: Some(!active), ..no_change() };
                        update.dispatch((id, req));
                    };
                    view! {
                        <tr class:inactive=!active>
                            <th scope="row">{u.name.clone()}</th>
                            <td>{u.email}</td>
                            <td>{if u.role == Role::Admin { "Admin" } else { "Agent" }}</td>
                            <td>
                                <LobSelect
                                    aria_label=format!("Line of business of {}", u.name)
                                    value=Signal::derive(move || lob)
                                    on_change=change_lob
                                />
                            </td>
                            <td>{u.number.map(|n| n.phone).unwrap_or_else(|| "—".into())}</td>
                            <td>{if active { "Active" } else { "Deactivated" }}</td>
                            <td>
                                {(id != me_id).then(|| view! {
                                    <button type="button" class="secondary" aria-label=toggle_label on:click=toggle>
                                        {verb}
                                    </button>
                                })}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}
