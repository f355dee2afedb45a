//! The opt-in flow editor, per line of business and channel: this module
//! loads and saves the flow and lays out the page. Every keystroke rebuilds
//! the flow ([`draft`]) and hands it to `optline_engine::validate` (the same
//! function the server runs on save), so problems appear beside their field
//! ([`fields`], [`sections`]) in the engine's own words, and the view never
//! re-implements a rule. [`preview`] plays the flow offline;
//! [`leave_guard`] protects unsaved edits.

mod disclaimer;
mod draft;
mod fields;
mod leave_guard;
mod length;
mod preview;
mod sections;
mod sms_limit;
mod template_fields;

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{FlowDocument, SaveFlowRequest};
use optline_engine::{Channel, Flow};

use super::{admin, LobSelect};
use crate::api_client::{self, ApiFailure};
use crate::components::select::ChannelSelect;
use crate::condition::condition;
use crate::server_calls::{Loaded, Task};
use disclaimer::DisclaimerFields;
use draft::{check, Draft};
use fields::{OtherProblems, Problems};
use leave_guard::{warn_before_leaving, LEAVE_WARNING};
use preview::Preview;
use sections::{KeywordFields, MessageFields, TimingFields};
use sms_limit::SmsLimitField;
use template_fields::{ManualRecordFields, WhatsAppTemplateFields};

#[component]
pub fn FlowEditorPage() -> impl IntoView {
    let ctx = admin();
    let lob = RwSignal::new(ctx.me.lines_of_business.first().map(|l| l.id).unwrap_or(0));
    let channel = RwSignal::new(Channel::WhatsApp);

    let doc = Loaded::new(move || api_client::flow(lob.get(), channel.get()));
    let draft = Draft::new();
    let saved = RwSignal::new(None::<Flow>);
    let is_default = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);
    // Show what the server has, so the editor and the baseline for "unsaved
    // changes" are the same flow.
    let show = move |d: FlowDocument| {
        draft.load(&d.flow);
        saved.set(Some(d.flow));
        is_default.set(d.is_default);
    };
    effect(move || match doc.get() {
        Some(Ok(d)) => {
            show(d);
            load_error.set(None);
        }
        Some(Err(e)) => load_error.set(Some(e.to_string())),
        None => {}
    });

    let built = Memo::new(move |_| draft.build());
    let checked = Memo::new(move |_| built.with(|(f, bad)| check(f, bad, channel.get())));
    let problems = Problems {
        engine: Memo::new(move |_| checked.with(|c| c.clone().err().unwrap_or_default())),
        server: RwSignal::new(None::<ApiFailure>),
    };
    let dirty =
        Memo::new(move |_| saved.with(|s| s.as_ref().is_some_and(|s| built.with(|(f, _)| f != s))));
    // The server's answer to the last save shows until the flow is edited again.
    effect(move || {
        built.track();
        problems.server.set(None);
    });
    let status = RwSignal::new(String::new());

    let save = Task::new(move |flow: &Flow| {
        let req = SaveFlowRequest { flow: flow.clone() };
        api_client::save_flow(lob.get_untracked(), channel.get_untracked(), req)
    });
    effect(move || match save.value().get() {
        Some(Ok(d)) => {
            show(d);
            status.set("Saved. New conversations follow this flow from now on.".into());
        }
        Some(Err(e)) => {
            status.set(String::new());
            problems.server.set(Some(e));
        }
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if checked.with_untracked(Result::is_ok) {
            status.set("Saving…".into());
            save.dispatch(built.get_untracked().0);
        }
    };

    warn_before_leaving(dirty);
    // Another line of business or channel loads another flow: ask first
    // when this one has unsaved edits.
    let allow_switch = Callback::new(move |_| {
        !dirty.get_untracked() || window().confirm_with_message(LEAVE_WARNING).unwrap_or(true)
    });
    let whatsapp = condition(move || channel.get() == Channel::WhatsApp);
    let max_segments = Signal::derive(move || draft.max_segments_or_default());
    let form_status = move || {
        let n = problems.engine.with(Vec::len);
        if n > 0 {
            format!(
                "{n} problem{} to fix before saving.",
                if n == 1 { "" } else { "s" }
            )
        } else if dirty.get() {
            "Unsaved changes.".to_string()
        } else {
            status.get()
        }
    };
    let unplaced_server_error = move || {
        problems
            .server
            .get()
            .filter(|e| !e.field.as_deref().is_some_and(|f| f.starts_with("flow.")))
            .map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })
    };

    view! {
        <section class="page flow-page" aria-labelledby="flows-title">
            <h1 id="flows-title">"Opt-in flows"</h1>
            <p class="lead">
                "What contacts are asked and told, and which replies count. Problems show as you type; "
                "try the flow in the preview before saving."
            </p>
            <div class="flow-select">
                <label for="flow-lob">"Line of business"</label>
                <LobSelect
                    id="flow-lob"
                    value=Signal::derive(move || Some(lob.get()))
                    on_change={move |l: Option<i64>| lob.set(l.unwrap_or_default())}
                    allow=allow_switch
                />
                <label for="flow-channel">"Channel"</label>
                <ChannelSelect
                    id="flow-channel"
                    value=Signal::derive(move || Some(channel.get()))
                    on_change={move |c: Option<Channel>| channel.set(c.unwrap_or(Channel::WhatsApp))}
                    allow=allow_switch
                />
                <span class="muted">
                    {move || if is_default.get() { "Using the default flow (never customised)." } else { "" }}
                </span>
            </div>
            {move || load_error.get().map(|e| view! { <p role="alert" class="error-box">{e}</p> })}
            <div class="flow-layout">
                <form class="flow-form" on:submit=on_submit novalidate=true>
                    <DisclaimerFields draft problems channel max_segments />
                    <KeywordFields draft problems />
                    <SmsLimitField draft problems channel />
                    <MessageFields draft problems channel max_segments />
                    <TimingFields draft problems />
                    {move || whatsapp.get().then(|| view! {
                        <WhatsAppTemplateFields draft=draft.extra problems />
                    })}
                    <ManualRecordFields draft=draft.extra />
                    <div class="form-actions">
                        <button
                            type="submit"
                            disabled=move || checked.with(Result::is_err) || !dirty.get() || save.pending().get()
                        >
                            "Save flow"
                        </button>
                        <button
                            type="button"
                            class="secondary"
                            disabled=move || !dirty.get()
                            on:click=move |_| {
                                if let Some(f) = saved.get_untracked() {
                                    draft.load(&f);
                                }
                            }
                        >
                            "Discard changes"
                        </button>
                        <p class="form-status" role="status" aria-live="polite">{form_status}</p>
                    </div>
                    {unplaced_server_error}
                    <OtherProblems problems=problems.engine />
                </form>
                <Preview
                    flow=Signal::derive(move || checked.get().ok())
                    channel
                    company=ctx.me.organization.name.clone()
                    agent_name=ctx.me.user.name.clone()
                />
            </div>
        </section>
    }
}
