//! Contact ownership (rule 8): who holds each WhatsApp contact in each line
//! of business, and the admin's way out of a conflict — reassign or release.
//! The server makes the change atomically and audits it.

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{Ownership, OwnershipChangeRequest, User};

use super::{admin, lob_name, LobSelect, Table};
use crate::api_client::{self, ApiFailure};
use crate::server_calls::{Loaded, Task};
use crate::time;

#[component]
pub fn OwnershipPage() -> impl IntoView {
    let filter = RwSignal::new(None::<i64>);
    let list = Loaded::new(move || api_client::ownership(filter.get()));
    let users = Loaded::new(api_client::users);
    let status = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);

    // `user_id: None` releases the contact.
    let change = Task::new(|req: &OwnershipChangeRequest| api_client::change_owner(req.clone()));
    effect(move || {
        if let Some(r) = change.value().get() {
            match r {
                Ok(o) => {
                    failure.set(None);
                    let who = o
                        .user_id
                        .and_then(|id| {
                            users
                                .get()
                                .and_then(Result::ok)
                                .and_then(|l| l.users.into_iter().find(|u| u.id == id))
                        })
                        .map(|u| u.name);
                    status.set(match who {
                        Some(n) => format!("{} is now held by {n}.", o.contact_phone),
                        None => {
                            format!("{} is released: any user may message it.", o.contact_phone)
                        }
                    });
                }
                Err(ApiFailure { message, .. }) => failure.set(Some(message)),
            }
            list.refetch();
        }
    });

    view! {
        <section class="page" aria-labelledby="ownership-title">
            <h1 id="ownership-title">"Contact ownership"</h1>
            <p class="lead">
                "On WhatsApp only one user per line of business may message a contact. "
                "Reassign a contact to another user, or release it so the next user who writes takes it."
            </p>
            <div class="flow-select">
                <label for="own-lob">"Line of business"</label>
                <LobSelect
                    id="own-lob"
                    any="All"
                    value=filter
                    on_change=move |l| filter.set(l)
                />
            </div>
            <p class="form-status" role="status">{move || status.get()}</p>
            {move || failure.get().map(|m| view! { <p role="alert" class="error-box">{m}</p> })}
                {move || {
                    let people = users.get().and_then(Result::ok).map(|l| l.users).unwrap_or_default();
                    list.get()
                        .map(|r| match r {
                            Ok(l) if l.items.is_empty() => {
                                view! { <p>"No contact is held by anyone right now."</p> }.into_any()
                            }
                            Ok(l) => view! { <HolderTable items=l.items users=people change /> }.into_any(),
                            Err(e) => view! { <p role="alert" class="error-box">{e.message}</p> }.into_any(),
                        })
                        .unwrap_or_else(|| view! { <p>"Loading…"</p> }.into_any())
                }}
        </section>
    }
}

type Change = Task<OwnershipChangeRequest, Result<Ownership, ApiFailure>>;

const HEADERS: &[&str] = &[
    "Contact",
    "Line of business",
    "Held by",
    "Since",
    "Reassign to",
    "Release",
];

#[component]
fn HolderTable(items: Vec<Ownership>, users: Vec<User>, change: Change) -> impl IntoView {
    let ctx = admin();
    view! {
        <Table headers=HEADERS>
                    {items
                        .into_iter()
                        .map(|o| {
                            let holder = o
                                .user_id
                                .and_then(|id| users.iter().find(|u| u.id == id))
                                .map(|u| u.name.clone())
                                .unwrap_or_else(|| "—".into());
                            // Only active users of the same line of business with a
                            // business number (agents) can message it.
                            let candidates: Vec<User> = users
                                .iter()
                                .filter(|u| {
                                    u.active
                                        && u.number.is_some()
                                        && u.line_of_business_id == Some(o.line_of_business_id)
                                        && Some(u.id) != o.user_id
                                })
                                .cloned()
                                .collect();
                            let chosen = RwSignal::new(candidates.first().map(|u| u.id));
                            let phone = o.contact_phone.clone();
                            let lob = o.line_of_business_id;
                            let req = move |user_id| OwnershipChangeRequest {
                                line_of_business_id: lob,
                                contact_phone: phone.clone(),
                                user_id,
                            };
                            let req2 = req.clone();
                            let select_label = format!("New holder of {}", o.contact_phone);
                            let reassign_label = format!("Reassign {}", o.contact_phone);
                            let release_label = format!("Release {}", o.contact_phone);
                            let none = candidates.is_empty();
                            view! {
                                <tr>
                                    <th scope="row">{o.contact_phone.clone()}</th>
                                    <td>{lob_name(&ctx, Some(lob))}</td>
                                    <td>{holder}</td>
                                    <td>{o.since.as_deref().map(time::local).unwrap_or_default()}</td>
                                    <td>
                                        {if none {
                                            view! { <span class="muted">"Nobody else can take it"</span> }
                                                .into_any()
                                        } else {
                                            view! {
                                                <div class="inline-form">
                                                    <select
                                                        aria-label=select_label
                                                        on:change=move |ev| {
                                                            chosen.set(event_target_value(&ev).parse().ok())
                                                        }
                                                    >
                                                        {candidates
                                                            .iter()
                                                            .map(|u| {
                                                                view! {
                                                                    <option value=u.id.to_string()>{u.name.clone()}</option>
                                                                }
                                                            })
                                                            .collect_view()}
                                                    </select>
                                                    <button
                                                        type="button"
                                                        aria-label=reassign_label
                                                        on:click=move |_| {
                                                            if let Some(u) = chosen.get_untracked() {
                                                                change.dispatch(req(Some(u)));
                                                            }
                                                        }
                                                    >
                                                        "Reassign"
                                                    </button>
                                                </div>
                                            }
                                                .into_any()
                                        }}
                                    </td>
                                    <td>
                                        <button
                                            type="button"
                                            class="secondary"
                                            aria-label=release_label
                                            on:click=move |_| {
                                                change.dispatch(req2(None));
                                            }
                                        >
                                            "Release"
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </Table>
    }
}
