//! "Add an endpoint": URL, description and the event types to send; the
//! server checks the URL (https, public address) and names the field it
//! refuses. The new endpoint's secret is handed to the page to show once.

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{CreateWebhookRequest, WebhookEndpointCreated};

use super::secret::ShownSecret;
use crate::api_client::{self, ApiFailure};
use crate::pages::admin::FieldError;
use crate::server_calls::Task;

#[component]
pub fn AddEndpoint(
    /// Every type an endpoint can subscribe to (from the server).
    types: Vec<String>,
    shown: RwSignal<Option<ShownSecret>>,
    on_added: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec!["consent.changed".to_string()]);
    let failure = RwSignal::new(None::<ApiFailure>);

    let create = Task::new(|req: &CreateWebhookRequest| api_client::create_webhook(req.clone()));
    effect(move || match create.value().get() {
        Some(Ok(WebhookEndpointCreated { endpoint, secret })) => {
            failure.set(None);
            url.set(String::new());
            description.set(String::new());
            shown.set(Some(ShownSecret {
                url: endpoint.url,
                secret,
                note: "Copy it into your receiving system now: Optline will not show it again. \
                       Deliveries are signed with it (Standard Webhooks)."
                    .into(),
            }));
            on_added();
        }
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = description.get_untracked();
        create.dispatch(CreateWebhookRequest {
            url: url.get_untracked(),
            event_types: chosen.get_untracked(),
            description: (!d.trim().is_empty()).then_some(d),
            enabled: Some(true),
        });
    };
    let errors = move |prefix: &'static str| {
        Signal::derive(move || {
            failure.with(|f| {
                f.iter()
                    .filter(|e| e.field.as_deref().is_some_and(|x| x.starts_with(prefix)))
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    let unplaced = move || {
        failure.get().filter(|e| {
            !e.field
                .as_deref()
                .is_some_and(|f| f == "url" || f == "description" || f.starts_with("event_types"))
        })
    };
    view! {
        <form class="add-endpoint" on:submit=submit aria-labelledby="add-endpoint-title">
            <h2 id="add-endpoint-title">"Add an endpoint"</h2>
            <div class="field">
                <label for="hook-url">"Endpoint URL"</label>
                <input
                    id="hook-url"
                    type="url"
                    placeholder="https://crm.example.com/optline-events"
                    aria-describedby="hook-url-error"
                    aria-invalid=move || (!errors("url").with(Vec::is_empty)).to_string()
                    prop:value=move || url.get()
                    on:input=move |ev| url.set(event_target_value(&ev))
                />
                <FieldError id="hook-url-error".to_string() messages=errors("url") />
            </div>
            <div class="field">
                <label for="hook-description">"Description (optional)"</label>
                <input
                    id="hook-description"
                    type="text"
                    aria-describedby="hook-description-error"
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))
                />
                <FieldError id="hook-description-error".to_string() messages=errors("description") />
            </div>
            <fieldset aria-describedby="hook-types-error">
                <legend>"Events to send"</legend>
                {types
                    .into_iter()
                    .map(|t| {
                        let t2 = t.clone();
                        let t3 = t.clone();
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || chosen.with(|c| c.contains(&t2))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen
                                            .update(|c| {
                                                c.retain(|x| x != &t3);
                                                if on {
                                                    c.push(t3.clone());
                                                }
                                            });
                                    }
                                />
                                {t}
                            </label>
                        }
                    })
                    .collect_view()}
                <FieldError id="hook-types-error".to_string() messages=errors("event_types") />
            </fieldset>
            {move || unplaced().map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })}
            <div class="form-actions">
                <button type="submit" disabled=move || create.pending().get()>"Add endpoint"</button>
            </div>
        </form>
    }
}
