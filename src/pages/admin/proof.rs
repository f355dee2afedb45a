//! Proof of consent: one contact's whole consent history across the
//! organization's numbers and channels — the exact request texts, the
//! exact replies and their sources — laid out to print (what a business
//! hands a carrier or regulator). `?phone=` opens it for a number directly.

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{AuditRecord, ConsentProof, ConsentProofThread};

use super::{FieldError, Table};
use crate::api_client::{self, ApiFailure};
use crate::navigation::use_location;
use crate::server_calls::Task;
use crate::time;

/// Opens the browser's print dialog (read through `Reflect`: no web-sys
/// feature for one call).
fn print_page() {
    if let Some(w) = web_sys::window() {
        if let Ok(f) = js_sys::Reflect::get(&w, &"print".into()) {
            if let Ok(f) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f) {
                let _ = f.call0(&w);
            }
        }
    }
}

#[component]
pub fn ProofPage() -> impl IntoView {
    let initial = use_location().query("phone").unwrap_or_default();
    let phone = RwSignal::new(initial.clone());
    let failure = RwSignal::new(None::<ApiFailure>);
    let proof = RwSignal::new(None::<ConsentProof>);
    let load = Task::new(|p: &String| {
        let p = p.clone();
        async move { api_client::consent_proof(&p).await }
    });
    effect(move || match load.value().get() {
        Some(Ok(p)) => {
            failure.set(None);
            proof.set(Some(p));
        }
        Some(Err(e)) => {
            proof.set(None);
            failure.set(Some(e));
        }
        None => {}
    });
    if !initial.trim().is_empty() {
        load.dispatch(initial);
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load.dispatch(phone.get_untracked());
    };
    let phone_errors = Signal::derive(move || {
        failure.with(|f| {
            f.iter()
                .filter(|e| e.field.as_deref() == Some("phone") || e.status == 404)
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="page proof-page" aria-labelledby="proof-title">
            <h1 id="proof-title">"Proof of consent"</h1>
            <form class="proof-form no-print" on:submit=submit>
                <p class="lead">
                    "A contact's whole consent history on every number and channel, with the exact texts sent and received and where each came from."
                </p>
                <div class="field">
                    <label for="proof-phone">"Contact phone"</label>
                    <div class="inline-form">
                        <input
                            id="proof-phone"
                            type="tel"
                            placeholder="+14155550123"
                            aria-describedby="proof-phone-error"
                            aria-invalid=move || (!phone_errors.with(Vec::is_empty)).to_string()
                            prop:value=move || phone.get()
                            on:input=move |ev| phone.set(event_target_value(&ev))
                        />
                        <button type="submit" disabled=move || load.pending().get()>"Show proof"</button>
                    </div>
                    <FieldError id="proof-phone-error".to_string() messages=phone_errors />
                </div>
            </form>
            {move || {
                failure
                    .get()
                    .filter(|e| e.field.is_none() && e.status != 404)
                    .map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })
            }}
            {move || proof.get().map(|p| view! { <Document proof=p /> })}
        </section>
    }
}

#[component]
fn Document(proof: ConsentProof) -> impl IntoView {
    let who = match &proof.contact_name {
        Some(n) => format!("{n} ({})", proof.contact_phone),
        None => proof.contact_phone.clone(),
    };
    view! {
        <article class="proof" aria-labelledby="proof-doc-title">
            <h2 id="proof-doc-title">"Consent record of " {who}</h2>
            <dl class="proof-facts">
                <dt>"Organization"</dt>
                <dd>{proof.organization.clone()}</dd>
                <dt>"Contact"</dt>
                <dd>{proof.contact_phone.clone()}</dd>
                <dt>"Generated"</dt>
                <dd>{time::local(&proof.generated_at)} " (" {proof.generated_at.clone()} ")"</dd>
            </dl>
            <button type="button" class="no-print" on:click=move |_| print_page()>"Print"</button>
            {if proof.threads.is_empty() {
                view! { <p>"No consent record exists for this contact."</p> }.into_any()
            } else {
                proof
                    .threads
                    .into_iter()
                    .map(|t| view! { <Thread thread=t /> })
                    .collect_view()
                    .into_any()
            }}
        </article>
    }
}

const HEADERS: &[&str] = &[
    "Time (UTC)",
    "Actor",
    "Action",
    "Change",
    "Evidence",
    "Request text the contact saw",
    "Source",
];

fn source(r: &AuditRecord) -> String {
    let mut parts = vec![r.source.clone().unwrap_or_else(|| "not recorded".into())];
    if r.signature_verified {
        parts.push("signature verified".into());
    }
    if let Some(id) = &r.provider_message_id {
        parts.push(format!("message id {id}"));
    }
    if let Some(t) = &r.template_name {
        parts.push(format!(
            "template {t} ({})",
            r.template_language.as_deref().unwrap_or("?")
        ));
    }
    parts.join(", ")
}

#[component]
fn Thread(thread: ConsentProofThread) -> impl IntoView {
    let title = format!(
        "{} on {} — now {}",
        thread.channel.display_name(),
        thread.business_number,
        thread.current_state.replace('_', " ")
    );
    view! {
        <section class="proof-thread">
            <h3>{title}</h3>
            <Table headers=HEADERS>
                {thread
                    .records
                    .into_iter()
                    .map(|r| {
                        let src = source(&r);
                        view! {
                            <tr>
                                <th scope="row">{r.at.clone()}</th>
                                <td>{r.actor.clone()}</td>
                                <td>{r.action.replace('_', " ")}</td>
                                <td>{format!("{} → {}", r.from_state.replace('_', " "), r.to_state.replace('_', " "))}</td>
                                <td class="evidence">{r.evidence.clone()}</td>
                                <td class="evidence">{r.request_text.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="source">{src}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </Table>
        </section>
    }
}
