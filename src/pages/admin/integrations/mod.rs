//! Integrations: the organization's webhook endpoints (the events Optline
//! sends to the customer's systems). [`add_endpoint`] registers one,
//! [`secret`] shows a signing secret the one time it exists in the clear,
//! [`deliveries`] is an endpoint's delivery log with "resend". Every rule
//! (https only, no private addresses, retries, order) is the server's.

mod add_endpoint;
mod deliveries;
mod secret;

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{UpdateWebhookRequest, WebhookEndpoint};

use super::Table;
use crate::api_client::{self, ApiFailure};
use crate::server_calls::{Loaded, Task};
use add_endpoint::AddEndpoint;
use deliveries::DeliveryLog;
use secret::{SecretOnce, ShownSecret};

/// What an admin asked of one endpoint.
#[derive(Clone, Debug)]
enum Act {
    Test(i64, String),
    Rotate(i64, String),
    Enable(i64, String, bool),
}

/// The endpoint whose delivery log is open.
#[derive(Clone, Debug, PartialEq)]
struct Open {
    id: i64,
    url: String,
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let list = Loaded::new(api_client::webhooks);
    let shown = RwSignal::new(None::<ShownSecret>);
    let status = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let open = RwSignal::new(None::<Open>);
    // Bumped to reload the open delivery log (after a test event, a resend).
    let log_version = RwSignal::new(0u32);

    let act = Task::new(|a: &Act| {
        let a = a.clone();
        async move {
            match a {
                Act::Test(id, url) => api_client::send_test_event(id)
                    .await
                    .map(|_| (format!("Test event queued for {url}."), None)),
                Act::Rotate(id, url) => api_client::rotate_webhook_secret(id).await.map(|r| {
                    let note = format!(
                        "Copy it into your receiving system now: Optline will not show it again. \
                         The previous secret keeps signing too until {} (both signatures are sent).",
                        crate::time::local(&r.previous_valid_until)
                    );
                    (
                        format!("New secret for {url}."),
                        Some(ShownSecret {
                            url,
                            secret: r.secret,
                            note,
                        }),
                    )
                }),
                Act::Enable(id, url, on) => api_client::update_webhook(
                    id,
                    UpdateWebhookRequest {
                        url: None,
                        event_types: None,
                        description: None,
                        enabled: Some(on),
                    },
                )
                .await
                .map(|_| {
                    let what = if on { "enabled" } else { "disabled" };
                    (format!("{url} {what}."), None)
                }),
            }
        }
    });
    effect(move || {
        if let Some(r) = act.value().get() {
            match r {
                Ok((message, secret)) => {
                    failure.set(None);
                    status.set(message);
                    if secret.is_some() {
                        shown.set(secret);
                    }
                }
                Err(ApiFailure { message, .. }) => failure.set(Some(message)),
            }
            list.refetch();
            log_version.update(|v| *v += 1);
        }
    });

    view! {
        <section class="page" aria-labelledby="integrations-title">
            <h1 id="integrations-title">"Integrations"</h1>
            <p class="lead">
                "Optline sends consent changes, messages, delivery statuses and ownership changes to your own systems "
                "(a CRM, an archive) as signed webhooks. Failed deliveries are retried for 3 days, in order per contact."
            </p>
            <SecretOnce shown />
            <p class="form-status" role="status">{move || status.get()}</p>
            {move || failure.get().map(|m| view! { <p role="alert" class="error-box">{m}</p> })}
                {move || {
                    list.get()
                        .map(|r| match r {
                            Ok(l) => {
                                let types = l.event_types.clone();
                                view! {
                                    {if l.endpoints.is_empty() {
                                        view! { <p>"No endpoint yet: add one below."</p> }.into_any()
                                    } else {
                                        view! { <EndpointTable endpoints=l.endpoints act open /> }.into_any()
                                    }}
                                    <AddEndpoint types shown on_added=move || list.refetch() />
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <p role="alert" class="error-box">{e.message}</p> }.into_any(),
                        })
                        .unwrap_or_else(|| view! { <p>"Loading…"</p> }.into_any())
                }}
            {move || {
                open.get()
                    .map(|o| view! { <DeliveryLog id=o.id url=o.url version=log_version /> })
            }}
        </section>
    }
}

type Acting = Task<Act, Result<(String, Option<ShownSecret>), ApiFailure>>;

const HEADERS: &[&str] = &["Endpoint", "Events", "Status", "Waiting", "Actions"];

#[component]
fn EndpointTable(
    endpoints: Vec<WebhookEndpoint>,
    act: Acting,
    open: RwSignal<Option<Open>>,
) -> impl IntoView {
    view! {
        <Table headers=HEADERS>
            {endpoints
                .into_iter()
                .map(|e| {
                    let url = e.url.clone();
                    let (u1, u2, u3, u4) = (url.clone(), url.clone(), url.clone(), url.clone());
                    let id = e.id;
                    let enabled = e.enabled;
                    view! {
                        <tr>
                            <th scope="row">
                                <span class="endpoint-url">{url.clone()}</span>
                                {(!e.description.is_empty())
                                    .then(|| view! { <span class="muted">" — " {e.description.clone()}</span> })}
                            </th>
                            <td>{e.event_types.join(", ")}</td>
                            <td>
                                {if enabled {
                                    view! { <span class="badge consent-accepted">"Enabled"</span> }.into_any()
                                } else {
                                    view! { <span class="badge consent-opted_out">"Disabled"</span> }.into_any()
                                }}
                                {e.disabled_reason.clone().map(|r| view! { <p class="reason">{r}</p> })}
                            </td>
                            <td>{e.pending_deliveries}</td>
                            <td>
                                <div class="inline-form">
                                    <button
                                        type="button"
                                        aria-label=format!("Send test event to {url}")
                                        on:click=move |_| {
                                            act.dispatch(Act::Test(id, u1.clone()));
                                        }
                                    >
                                        "Send test event"
                                    </button>
                                    <button
                                        type="button"
                                        class="secondary"
                                        aria-label=format!("Delivery log of {url}")
                                        on:click=move |_| {
                                            open.set(Some(Open { id, url: u2.clone() }));
                                        }
                                    >
                                        "Delivery log"
                                    </button>
                                    <button
                                        type="button"
                                        class="secondary"
                                        aria-label=format!("Rotate secret of {url}")
                                        on:click=move |_| {
                                            act.dispatch(Act::Rotate(id, u3.clone()));
                                        }
                                    >
                                        "Rotate secret"
                                    </button>
                                    <button
                                        type="button"
                                        class="secondary"
                                        aria-label=format!("{} {url}", if enabled { "Disable" } else { "Enable" })
                                        on:click=move |_| {
                                            act.dispatch(Act::Enable(id, u4.clone(), !enabled));
                                        }
                                    >
                                        {if enabled { "Disable" } else { "Enable" }}
                                    </button>
                                </div>
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}
