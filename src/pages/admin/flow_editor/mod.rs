//! The opt-in flow editor, per line of business and channel.
//!
//! Every keystroke rebuilds the flow and hands it to `optline_engine::validate`
//! (the same function the server runs on save), so problems appear beside
//! their field in the engine's own words and the view never re-implements a
//! rule. The only checks made here are input parsing (a number box holding
//! something that is not a number), which the engine cannot see.

use leptos::prelude::*;
use optline_api::{Channel as ApiChannel, FlowDocument, SaveFlowRequest};
use optline_engine::{validate, Channel, Flow, FlowProblem, QuietHours, ValidFlow};
use web_sys::wasm_bindgen::{closure::Closure, JsCast};

use super::preview::Preview;
use super::{admin, FieldError};
use crate::net::{self, ApiFailure};

const LEAVE_WARNING: &str = "You have unsaved changes to this flow. Leave without saving?";

fn engine_channel(c: ApiChannel) -> Channel {
    match c {
        ApiChannel::Sms => Channel::Sms,
        ApiChannel::Whatsapp => Channel::WhatsApp,
    }
}

/// What the admin typed, field by field. Kept as raw text (not as a parsed
/// flow) so the cursor never jumps while typing a keyword list.
#[derive(Clone, Copy)]
struct Draft {
    keywords: [RwSignal<String>; 5],
    messages: [RwSignal<String>; 6],
    resend: RwSignal<String>,
    reprompts: RwSignal<String>,
    quiet_on: RwSignal<bool>,
    quiet_start: RwSignal<String>,
    quiet_end: RwSignal<String>,
    time_zone: RwSignal<String>,
}

const KEYWORD_FIELDS: [(&str, &str, &str); 5] = [
    ("accept", "Accept keywords", "The contact gives consent."),
    (
        "reject",
        "Reject keywords",
        "The contact declines a pending request.",
    ),
    ("stop", "Stop keywords", "The contact revokes consent."),
    (
        "start",
        "Start keywords",
        "The contact opts in again after stopping.",
    ),
    (
        "help",
        "Help keywords",
        "The contact asks for help; nothing changes.",
    ),
];

const MESSAGE_FIELDS: [(&str, &str, &str); 6] = [
    (
        "request",
        "Opt-in request",
        "Must say how to accept and how to decline.",
    ),
    ("accepted", "Confirmation after accepting", ""),
    ("rejected", "Confirmation after declining", ""),
    (
        "opted_out",
        "Opt-out confirmation",
        "Must say how to opt in again.",
    ),
    ("help", "Help reply", ""),
    (
        "channel_off",
        "Auto-reply when the channel is switched off",
        "",
    ),
];

fn join_words(ws: &[String]) -> String {
    ws.join(", ")
}

fn split_words(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn not_a_number(field: &str) -> FlowProblem {
    FlowProblem {
        field: field.into(),
        code: "not_a_number".into(),
        message: "Enter a whole number.".into(),
    }
}

impl Draft {
    fn new() -> Self {
        Draft {
            keywords: std::array::from_fn(|_| RwSignal::new(String::new())),
            messages: std::array::from_fn(|_| RwSignal::new(String::new())),
            resend: RwSignal::new(String::new()),
            reprompts: RwSignal::new(String::new()),
            quiet_on: RwSignal::new(true),
            quiet_start: RwSignal::new(String::new()),
            quiet_end: RwSignal::new(String::new()),
            time_zone: RwSignal::new(String::new()),
        }
    }

    fn load(&self, f: &Flow) {
        let k = &f.keywords;
        for (sig, words) in self
            .keywords
            .iter()
            .zip([&k.accept, &k.reject, &k.stop, &k.start, &k.help])
        {
            sig.set(join_words(words));
        }
        let m = &f.messages;
        for (sig, text) in self.messages.iter().zip([
            &m.request,
            &m.accepted,
            &m.rejected,
            &m.opted_out,
            &m.help,
            &m.channel_off,
        ]) {
            sig.set(text.clone());
        }
        self.resend.set(f.resend_interval_minutes.to_string());
        self.reprompts
            .set(f.reprompt.max_auto_reprompts.to_string());
        let q = f.quiet_hours.clone();
        self.quiet_on.set(q.is_some());
        let q = q.unwrap_or_default();
        self.quiet_start.set(q.start);
        self.quiet_end.set(q.end);
        self.time_zone.set(f.default_time_zone.clone());
    }

    /// The flow as typed, and the fields that could not even be parsed.
    fn build(&self) -> (Flow, Vec<FlowProblem>) {
        let mut f = Flow::default();
        let mut bad = Vec::new();
        let k = &mut f.keywords;
        for (sig, words) in self.keywords.iter().zip([
            &mut k.accept,
            &mut k.reject,
            &mut k.stop,
            &mut k.start,
            &mut k.help,
        ]) {
            *words = split_words(&sig.get());
        }
        let m = &mut f.messages;
        for (sig, text) in self.messages.iter().zip([
            &mut m.request,
            &mut m.accepted,
            &mut m.rejected,
            &mut m.opted_out,
            &mut m.help,
            &mut m.channel_off,
        ]) {
            *text = sig.get();
        }
        match self.resend.get().trim().parse() {
            Ok(n) => f.resend_interval_minutes = n,
            Err(_) => bad.push(not_a_number("resend_interval_minutes")),
        }
        match self.reprompts.get().trim().parse() {
            Ok(n) => f.reprompt.max_auto_reprompts = n,
            Err(_) => bad.push(not_a_number("reprompt.max_auto_reprompts")),
        }
        f.quiet_hours = self.quiet_on.get().then(|| QuietHours {
            start: self.quiet_start.get(),
            end: self.quiet_end.get(),
        });
        f.default_time_zone = self.time_zone.get();
        (f, bad)
    }
}

/// Input parsing problems first, then the engine's verdict on the rest.
fn check(
    flow: &Flow,
    unparsed: &[FlowProblem],
    channel: Channel,
) -> Result<ValidFlow, Vec<FlowProblem>> {
    match validate(flow, channel) {
        Ok(v) if unparsed.is_empty() => Ok(v),
        Ok(_) => Err(unparsed.to_vec()),
        Err(engine) => {
            let mut all = unparsed.to_vec();
            // A box we could not parse was sent to the engine as its default;
            // whatever it says about that field would be about a value the
            // admin never typed.
            all.extend(
                engine
                    .into_iter()
                    .filter(|p| !unparsed.iter().any(|u| u.field == p.field)),
            );
            Err(all)
        }
    }
}

#[component]
pub fn FlowEditorPage() -> impl IntoView {
    let ctx = admin();
    let lobs = ctx.me.lines_of_business.clone();
    let lob = RwSignal::new(lobs.first().map(|l| l.id).unwrap_or(0));
    let channel = RwSignal::new(ApiChannel::Whatsapp);
    let company = ctx.me.organization.name.clone();
    let agent_name = ctx.me.user.name.clone();

    let doc = LocalResource::new(move || {
        let url = format!(
            "/api/v1/admin/flows/{}/{}",
            lob.get(),
            channel.get().as_str()
        );
        async move { net::get_json::<FlowDocument>(&url).await }
    });

    let draft = Draft::new();
    let saved = RwSignal::new(None::<Flow>);
    let is_default = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);
    Effect::new(move |_| match doc.get() {
        Some(Ok(d)) => match serde_json::from_value::<Flow>(d.flow) {
            Ok(f) => {
                draft.load(&f);
                saved.set(Some(f));
                is_default.set(d.is_default);
                load_error.set(None);
            }
            Err(e) => load_error.set(Some(format!("The saved flow could not be read ({e})."))),
        },
        Some(Err(e)) => load_error.set(Some(e.to_string())),
        None => {}
    });

    let built = Memo::new(move |_| draft.build());
    let checked = Memo::new(move |_| {
        let (f, bad) = built.get();
        check(&f, &bad, engine_channel(channel.get()))
    });
    let problems = Memo::new(move |_| checked.get().err().unwrap_or_default());
    let dirty = Memo::new(move |_| saved.get().is_some_and(|s| built.with(|(f, _)| *f != s)));

    // The server's own answer to the last save, shown beside its field until
    // the admin edits the flow again.
    let server_error = RwSignal::new(None::<ApiFailure>);
    Effect::new(move |_| {
        built.track();
        server_error.set(None);
    });
    let status = RwSignal::new(String::new());

    let save = Action::new_local(move |flow: &Flow| {
        let url = format!(
            "/api/v1/admin/flows/{}/{}",
            lob.get_untracked(),
            channel.get_untracked().as_str()
        );
        let body = SaveFlowRequest {
            flow: serde_json::to_value(flow).unwrap_or_default(),
        };
        async move { net::send_json::<_, FlowDocument>(gloo_net::http::Method::PUT, &url, &body).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(d)) => {
            // Show what the server stored, so the editor and the baseline for
            // "unsaved changes" are the same flow.
            if let Ok(f) = serde_json::from_value::<Flow>(d.flow) {
                draft.load(&f);
                saved.set(Some(f));
            }
            is_default.set(false);
            status.set("Saved. New conversations follow this flow from now on.".into());
        }
        Some(Err(e)) => {
            status.set(String::new());
            server_error.set(Some(e));
        }
        None => {}
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if checked.with_untracked(|c| c.is_ok()) {
            status.set("Saving…".into());
            save.dispatch(built.get_untracked().0);
        }
    };

    let messages_for = move |field: &'static str| {
        Signal::derive(move || {
            let mut out: Vec<String> = problems.with(|ps| {
                ps.iter()
                    .filter(|p| p.field == field)
                    .map(|p| p.message.clone())
                    .collect()
            });
            server_error.with(|e| {
                if let Some(e) = e {
                    if e.field.as_deref().and_then(|f| f.strip_prefix("flow.")) == Some(field) {
                        out.push(format!("Server: {}", e.message));
                    }
                }
            });
            out
        })
    };

    warn_before_leaving(dirty);

    // Changing the line of business or channel loads another flow: ask first
    // when this one has unsaved edits.
    let confirm_switch = move |ev: &leptos::ev::Event| -> bool {
        if !dirty.get_untracked() || window().confirm_with_message(LEAVE_WARNING).unwrap_or(true) {
            return true;
        }
        let select: web_sys::HtmlSelectElement = event_target(ev);
        select.set_value(&match select.id().as_str() {
            "flow-lob" => lob.get_untracked().to_string(),
            _ => channel.get_untracked().as_str().to_string(),
        });
        false
    };

    let flow_for_preview = Signal::derive(move || checked.get().ok());
    let preview_channel = Signal::derive(move || engine_channel(channel.get()));
    let limit = move || optline_engine::flow::max_message_chars(engine_channel(channel.get()));

    view! {
        <section class="page flow-page" aria-labelledby="flows-title">
            <h1 id="flows-title">"Opt-in flows"</h1>
            <p class="lead">
                "What contacts are asked and told, and which replies count. Problems show as you type; "
                "try the flow in the preview before saving."
            </p>
            <div class="flow-select">
                <label for="flow-lob">"Line of business"</label>
                <select
                    id="flow-lob"
                    prop:value=move || lob.get().to_string()
                    on:change=move |ev| {
                        if confirm_switch(&ev) {
                            if let Ok(v) = event_target_value(&ev).parse() {
                                lob.set(v);
                            }
                        }
                    }
                >
                    {lobs
                        .iter()
                        .map(|l| view! { <option value=l.id.to_string()>{l.name.clone()}</option> })
                        .collect_view()}
                </select>
                <label for="flow-channel">"Channel"</label>
                <select
                    id="flow-channel"
                    prop:value=move || channel.get().as_str()
                    on:change=move |ev| {
                        if confirm_switch(&ev) {
                            channel
                                .set(
                                    if event_target_value(&ev) == "sms" {
                                        ApiChannel::Sms
                                    } else {
                                        ApiChannel::Whatsapp
                                    },
                                );
                        }
                    }
                >
                    <option value="whatsapp">"WhatsApp"</option>
                    <option value="sms">"SMS"</option>
                </select>
                <span class="muted">
                    {move || if is_default.get() { "Using the default flow (never customised)." } else { "" }}
                </span>
            </div>
            {move || load_error.get().map(|e| view! { <p role="alert" class="error-box">{e}</p> })}
            <div class="flow-layout">
                <form class="flow-form" on:submit=on_submit novalidate=true>
                    <fieldset>
                        <legend>"Keywords"</legend>
                        <p class="hint">
                            "Separate words with commas. Matching ignores case, spaces and punctuation. "
                            "A word may belong to one set only."
                        </p>
                        {KEYWORD_FIELDS
                            .iter()
                            .zip(draft.keywords)
                            .map(|((key, label, hint), sig)| {
                                let field: &'static str = match *key {
                                    "accept" => "keywords.accept",
                                    "reject" => "keywords.reject",
                                    "stop" => "keywords.stop",
                                    "start" => "keywords.start",
                                    _ => "keywords.help",
                                };
                                view! { <TextField field label=label hint=hint value=sig errors=messages_for(field) /> }
                            })
                            .collect_view()}
                    </fieldset>
                    <fieldset>
                        <legend>"Messages"</legend>
                        <p class="hint" id="placeholder-help">
                            "Placeholders: " <code>"{company}"</code> " your organization's name, "
                            <code>"{agent}"</code> " the agent's name, " <code>"{contact}"</code>
                            " the contact's name, " <code>"{channel}"</code> " SMS or WhatsApp. "
                            {move || format!("Each message may have up to {} characters on this channel.", limit())}
                        </p>
                        {MESSAGE_FIELDS
                            .iter()
                            .zip(draft.messages)
                            .map(|((key, label, hint), sig)| {
                                let field: &'static str = match *key {
                                    "request" => "messages.request",
                                    "accepted" => "messages.accepted",
                                    "rejected" => "messages.rejected",
                                    "opted_out" => "messages.opted_out",
                                    "help" => "messages.help",
                                    _ => "messages.channel_off",
                                };
                                view! {
                                    <MessageField field label=label hint=hint value=sig errors=messages_for(field) limit=Signal::derive(limit) />
                                }
                            })
                            .collect_view()}
                    </fieldset>
                    <fieldset>
                        <legend>"Timing"</legend>
                        <TextField
                            field="resend_interval_minutes"
                            label="Resend interval (minutes)"
                            hint="How long an unanswered request waits before an agent may send it again. 1440 = 24 hours; at least 60."
                            value=draft.resend
                            errors=messages_for("resend_interval_minutes")
                            numeric=true
                        />
                        <TextField
                            field="reprompt.max_auto_reprompts"
                            label="Automatic re-prompts per request"
                            hint="When a pending contact replies something else, the request is sent again up to this many times (0 turns it off)."
                            value=draft.reprompts
                            errors=messages_for("reprompt.max_auto_reprompts")
                            numeric=true
                        />
                        <div class="field">
                            <label class="check">
                                <input
                                    type="checkbox"
                                    prop:checked=move || draft.quiet_on.get()
                                    on:change=move |ev| draft.quiet_on.set(event_target_checked(&ev))
                                />
                                "Quiet hours (no opt-in requests from agents in the contact's local time)"
                            </label>
                        </div>
                        <Show when=move || draft.quiet_on.get()>
                            <div class="field-row">
                                <TextField
                                    field="quiet_hours.start"
                                    label="Quiet hours start (HH:MM)"
                                    hint=""
                                    value=draft.quiet_start
                                    errors=messages_for("quiet_hours.start")
                                />
                                <TextField
                                    field="quiet_hours.end"
                                    label="Quiet hours end (HH:MM)"
                                    hint=""
                                    value=draft.quiet_end
                                    errors=messages_for("quiet_hours.end")
                                />
                            </div>
                            <FieldError id="quiet_hours-error".into() messages=messages_for("quiet_hours") />
                        </Show>
                        <TextField
                            field="default_time_zone"
                            label="Default time zone"
                            hint="Used when a contact's own time zone is unknown, e.g. America/New_York."
                            value=draft.time_zone
                            errors=messages_for("default_time_zone")
                        />
                    </fieldset>
                    <div class="form-actions">
                        <button
                            type="submit"
                            disabled=move || checked.with(|c| c.is_err()) || !dirty.get() || save.pending().get()
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
                        <p class="form-status" role="status" aria-live="polite">
                            {move || {
                                let n = problems.with(Vec::len);
                                if n > 0 {
                                    format!(
                                        "{n} problem{} to fix before saving.",
                                        if n == 1 { "" } else { "s" },
                                    )
                                } else if dirty.get() {
                                    "Unsaved changes.".to_string()
                                } else {
                                    status.get()
                                }
                            }}
                        </p>
                    </div>
                    {move || {
                        server_error
                            .get()
                            .filter(|e| !e.field.as_deref().is_some_and(|f| f.starts_with("flow.")))
                            .map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })
                    }}
                    <OtherProblems problems=problems />
                </form>
                <Preview
                    flow=flow_for_preview
                    channel=preview_channel
                    company=company
                    agent_name=agent_name
                />
            </div>
        </section>
    }
}

/// Problems whose field has no box of its own (should not happen, but the
/// engine may learn new fields before this screen does).
#[component]
fn OtherProblems(problems: Memo<Vec<FlowProblem>>) -> impl IntoView {
    const KNOWN: [&str; 4] = ["keywords.", "messages.", "quiet_hours", "reprompt."];
    let other = move || {
        problems.with(|ps| {
            ps.iter()
                .filter(|p| {
                    !KNOWN.iter().any(|k| p.field.starts_with(k))
                        && p.field != "resend_interval_minutes"
                        && p.field != "default_time_zone"
                })
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || !other().is_empty()>
            <div role="alert" class="error-box">
                {move || other().into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
            </div>
        </Show>
    }
}

fn dom_id(field: &str) -> String {
    format!("flow-{}", field.replace('.', "-"))
}

#[component]
fn TextField(
    field: &'static str,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    errors: Signal<Vec<String>>,
    #[prop(optional)] numeric: bool,
) -> impl IntoView {
    let id = dom_id(field);
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_empty() {
        err_id.clone()
    } else {
        format!("{hint_id} {err_id}")
    };
    view! {
        <div class="field" class:invalid=move || !errors.with(Vec::is_empty)>
            <label for=id.clone()>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id.clone()>{hint}</p> })}
            <input
                id=id
                type="text"
                inputmode=if numeric { "numeric" } else { "text" }
                aria-describedby=described
                aria-invalid=move || (!errors.with(Vec::is_empty)).to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <FieldError id=err_id messages=errors />
        </div>
    }
}

#[component]
fn MessageField(
    field: &'static str,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    errors: Signal<Vec<String>>,
    limit: Signal<usize>,
) -> impl IntoView {
    let id = dom_id(field);
    let err_id = format!("{id}-error");
    let count_id = format!("{id}-count");
    let described = format!("{count_id} {err_id} placeholder-help");
    view! {
        <div class="field" class:invalid=move || !errors.with(Vec::is_empty)>
            <label for=id.clone()>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <textarea
                id=id
                rows="3"
                aria-describedby=described
                aria-invalid=move || (!errors.with(Vec::is_empty)).to_string()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
            <p class="hint count" id=count_id>
                {move || format!("{} / {} characters", value.with(|v| v.chars().count()), limit.get())}
            </p>
            <FieldError id=err_id messages=errors />
        </div>
    }
}

/// While `dirty`, closing or reloading the tab asks the browser's own
/// question, and following a link inside the app asks ours.
fn warn_before_leaving(dirty: Memo<bool>) {
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if dirty.get_untracked() {
            ev.prevent_default();
            ev.set_return_value("unsaved");
        }
    });
    // The router follows links from a click listener on `window`; a listener
    // on the document runs first, and a prevented click is left alone by it.
    let on_click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        if !dirty.get_untracked() || ev.default_prevented() {
            return;
        }
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten());
        if link.is_some() && !window().confirm_with_message(LEAVE_WARNING).unwrap_or(true) {
            ev.prevent_default();
        }
    });
    let doc = document();
    let _ = doc.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    // `on_cleanup` wants Send; the listener lives on this (only) thread, so
    // wrap it the way Leptos itself does (its send_wrapper re-export: the
    // app adds no crate for it).
    let keep = leptos::__reexports::send_wrapper::SendWrapper::new((doc, on_click));
    on_cleanup(move || {
        unload.remove();
        let (doc, on_click) = keep.take();
        let _ = doc.remove_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    });
}
