//! An endpoint's delivery log: per event its time, type, state, attempts,
//! last status code and the start of the answer, the next retry, and
//! "resend" (the same event id again, with a fresh retry window).

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::WebhookDelivery;

use crate::api_client::{self, ApiFailure};
use crate::pages::admin::Table;
use crate::server_calls::{Loaded, Task};
use crate::time;

const HEADERS: &[&str] = &[
    "Time",
    "Event",
    "State",
    "Attempts",
    "Last status",
    "Answer",
    "Next retry",
    "Resend",
];

#[component]
pub fn DeliveryLog(id: i64, url: String, version: RwSignal<u32>) -> impl IntoView {
    // At first, and whenever the endpoint list says something was sent; the
    // rows stay on screen while a refresh is on its way.
    let log = Loaded::new(move || {
        version.track();
        api_client::webhook_deliveries(id)
    });
    let status = RwSignal::new(String::new());
    let resend = Task::new(move |d: &i64| api_client::resend_delivery(id, *d));
    effect(move || {
        if let Some(r) = resend.value().get() {
            match r {
                Ok(d) => status.set(format!("{} queued again.", d.event_type)),
                Err(ApiFailure { message, .. }) => status.set(message),
            }
            log.refetch();
        }
    });
    view! {
        <section class="delivery-log" aria-labelledby="log-title" aria-busy=move || log.loading().to_string()>
            <h2 id="log-title">"Delivery log of " {url}</h2>
            <div class="inline-form">
                <button type="button" class="secondary" on:click=move |_| log.refetch()>"Refresh the log"</button>
                <p role="status" class="form-status">{move || status.get()}</p>
            </div>
            {move || match log.get() {
                None => view! { <p>"Loading…"</p> }.into_any(),
                Some(Ok(p)) if p.items.is_empty() => view! { <p>"Nothing sent yet."</p> }.into_any(),
                Some(Ok(p)) => view! { <Rows items=p.items resend /> }.into_any(),
                Some(Err(e)) => view! { <p role="alert" class="error-box">{e.message}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Rows(
    items: Vec<WebhookDelivery>,
    resend: Task<i64, Result<WebhookDelivery, ApiFailure>>,
) -> impl IntoView {
    view! {
        <Table headers=HEADERS>
            {items
                .into_iter()
                .map(|d| {
                    let when = time::local(&d.created_at);
                    let label = format!("Resend {} of {when}", d.event_type);
                    let did = d.id;
                    view! {
                        <tr>
                            <th scope="row">{when}</th>
                            <td>{d.event_type.clone()}</td>
                            <td>{d.state.clone()}</td>
                            <td>{d.attempts}</td>
                            <td>{d.last_status_code.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                            <td class="evidence">{d.last_response.clone().unwrap_or_default()}</td>
                            <td>{d.next_attempt_at.as_deref().map(time::local).unwrap_or_else(|| "—".into())}</td>
                            <td>
                                <button
                                    type="button"
                                    class="secondary"
                                    aria-label=label
                                    on:click=move |_| {
                                        resend.dispatch(did);
                                    }
                                >
                                    "Resend"
                                </button>
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}
