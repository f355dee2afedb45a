//! One conversation: messages, the consent banner and the composer.
//!
//! Every verdict comes from the wasm engine (`optline_engine`) fed with the
//! server's own data (flow, raw consent state, holder, channel switch, server
//! clock). A click shows the engine's verdict at once; the server's answer
//! then confirms it, or corrects it — and a correction is said out loud.

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use optline_api::{
    ActionResult, Channel, ConversationDetail, DeliveryStatus, Direction, LiveEvent, Message,
    MessageKind, MessagePage, SendMessageRequest,
};
use optline_engine::{self as engine, AgentActions, Event, Verdict};

use crate::components::composer::Composer;
use crate::components::consent_badge::ConsentBadge;
use crate::components::consent_banner::ConsentBanner;
use crate::live::use_live;
use crate::net::{self, ApiFailure};
use crate::session::use_session;
use crate::time;

#[derive(Clone, PartialEq)]
enum Tone {
    Info,
    Warn,
    Error,
}

#[derive(Clone, PartialEq)]
struct Notice {
    tone: Tone,
    text: String,
    /// Offer a retry (transport errors).
    retry: Option<Retry>,
}

#[derive(Clone, Copy, PartialEq)]
enum Retry {
    Send,
    Request,
    Load,
}

/// Everything the engine needs, built from the server's data.
struct EngineInput {
    flow: engine::ValidFlow,
    ctx: engine::Context,
    thread: engine::Thread,
    agent: engine::UserId,
}

fn engine_channel(c: Channel) -> engine::Channel {
    match c {
        Channel::Sms => engine::Channel::Sms,
        Channel::Whatsapp => engine::Channel::WhatsApp,
    }
}

fn engine_input(
    d: &ConversationDetail,
    me: &optline_api::Me,
    thread_override: Option<&engine::Thread>,
    now: DateTime<Utc>,
) -> Option<EngineInput> {
    let c = &d.conversation;
    let channel = engine_channel(c.channel);
    let flow: engine::Flow = serde_json::from_value(d.flow.clone()).ok()?;
    let flow = engine::validate(&flow, channel).ok()?;
    let thread = match thread_override {
        Some(t) => t.clone(),
        None => serde_json::from_value(c.consent.raw.clone()).ok()?,
    };
    let mut ctx = engine::Context::new(now, channel);
    ctx.channel_enabled = d.channel_enabled;
    ctx.contact_utc_offset_seconds = c.contact.utc_offset_seconds;
    ctx.holder = c.owner_user_id.map(engine::UserId);
    ctx.company = me.organization.name.clone();
    ctx.agent_name = me.user.name.clone();
    ctx.contact_name = c.contact.name.clone().unwrap_or_default();
    Some(EngineInput {
        flow,
        ctx,
        thread,
        agent: engine::UserId(me.user.id),
    })
}

fn status_words(m: &Message) -> String {
    match m.status {
        DeliveryStatus::Received => String::new(),
        DeliveryStatus::Queued => "◷ Queued".into(),
        DeliveryStatus::Sent => "✓ Sent".into(),
        DeliveryStatus::Delivered => "✓✓ Delivered".into(),
        DeliveryStatus::Read => "✓✓ Read".into(),
        DeliveryStatus::Failed => format!(
            "✕ Failed: {}",
            m.error.as_deref().unwrap_or("the provider gave no reason")
        ),
    }
}

fn merge(into: &mut Vec<Message>, new: impl IntoIterator<Item = Message>) {
    for m in new {
        match into.iter_mut().find(|x| x.id == m.id) {
            Some(x) => *x = m,
            None => into.push(m),
        }
    }
    into.sort_by_key(|m| m.id);
}

#[component]
pub fn Thread() -> impl IntoView {
    let params = use_params_map();
    let session = use_session();
    let live = use_live();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0))
    });

    let detail = RwSignal::new(None::<ConversationDetail>);
    let load_error = RwSignal::new(None::<ApiFailure>);
    // Server clock minus browser clock, so the engine judges with the
    // server's time (the test clock moves it).
    let skew_ms = RwSignal::new(0i64);
    let tick = RwSignal::new(0u64);
    let now = move || {
        tick.track();
        time::browser_now() + Duration::milliseconds(skew_ms.get())
    };
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let requesting = RwSignal::new(false);
    let notice = RwSignal::new(None::<Notice>);
    // The engine's predicted thread and messages while the server decides.
    let optimistic_thread = RwSignal::new(None::<engine::Thread>);
    let optimistic_msgs = RwSignal::new(Vec::<(String, MessageKind)>::new());
    let loading_older = RwSignal::new(false);
    // Live messages that arrived while the conversation was loading.
    let early = StoredValue::new(Vec::<Message>::new());

    let mark_read = move || {
        let id = id.get_untracked();
        leptos::task::spawn_local(async move {
            let _ = net::post_empty(&format!("/api/v1/conversations/{id}/read")).await;
        });
    };
    let load = move || {
        let id = id.get_untracked();
        load_error.set(None);
        leptos::task::spawn_local(async move {
            match net::get_json::<ConversationDetail>(&format!("/api/v1/conversations/{id}")).await
            {
                Ok(d) => {
                    if let Some(server_now) = time::parse(&d.now) {
                        skew_ms.set((server_now - time::browser_now()).num_milliseconds());
                    }
                    let mut d = d;
                    merge(
                        &mut d.messages,
                        early.try_update_value(std::mem::take).unwrap_or_default(),
                    );
                    detail.set(Some(d));
                    mark_read();
                }
                Err(e) => load_error.set(Some(e)),
            }
        });
    };
    Effect::new(move |_| {
        id.track();
        detail.set(None);
        notice.set(None);
        draft.set(String::new());
        load();
    });
    Effect::new(move |prev: Option<u64>| {
        let n = live.resync.get();
        if prev.is_some() {
            load();
        }
        n
    });
    // Countdowns (resend, WhatsApp window) move on without a reload.
    let interval = set_interval_with_handle(
        move || tick.update(|t| *t += 1),
        std::time::Duration::from_secs(20),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = interval {
            h.clear();
        }
    });

    Effect::new(move |_| {
        let Some(ev) = live.event.get() else { return };
        let me = id.get_untracked();
        match ev {
            LiveEvent::Message {
                conversation,
                message,
            } if conversation.id == me => {
                let inbound = message.direction == Direction::Inbound;
                if !inbound {
                    // The server's copy replaces the engine's prediction.
                    optimistic_msgs.update(|v| v.retain(|(t, _)| *t != message.body));
                }
                if detail.with_untracked(|d| d.is_none()) {
                    // Still loading: the answer may predate this event.
                    early.update_value(|v| v.push(message));
                    return;
                }
                detail.update(|d| {
                    if let Some(d) = d {
                        d.conversation = *conversation;
                        merge(&mut d.messages, [message]);
                    }
                });
                if inbound {
                    mark_read();
                }
            }
            LiveEvent::Status {
                conversation_id,
                message_id,
                status,
                error,
            } if conversation_id == me => {
                detail.update(|d| {
                    if let Some(m) = d
                        .as_mut()
                        .and_then(|d| d.messages.iter_mut().find(|m| m.id == message_id))
                    {
                        m.status = status;
                        m.error = error;
                    }
                });
            }
            LiveEvent::Consent {
                conversation_id,
                consent,
            } if conversation_id == me => {
                detail.update(|d| {
                    if let Some(d) = d {
                        d.conversation.consent = consent;
                    }
                });
            }
            LiveEvent::Ownership { ownership } => {
                let ours = detail.with_untracked(|d| {
                    d.as_ref()
                        .is_some_and(|d| d.conversation.contact.phone == ownership.contact_phone)
                });
                if ours {
                    load();
                }
            }
            _ => {}
        }
    });

    let actions: Memo<Option<AgentActions>> = Memo::new(move |_| {
        let t = now();
        let me = session.me.get()?;
        let over = optimistic_thread.get();
        detail.with(|d| {
            let d = d.as_ref()?;
            let i = engine_input(d, &me, over.as_ref(), t)?;
            Some(engine::agent_actions(&i.flow, &i.ctx, &i.thread, i.agent))
        })
    });

    // The engine's verdict for an event, right now, plus its predicted step.
    let predict = move |event: &Event| -> Option<engine::Step> {
        let me = session.me.get_untracked()?;
        let t = now();
        detail.with_untracked(|d| {
            let i = engine_input(d.as_ref()?, &me, None, t)?;
            Some(engine::step(&i.flow, &i.ctx, &i.thread, event))
        })
    };

    let apply_result = move |r: ActionResult| {
        detail.update(|d| {
            if let Some(d) = d {
                d.conversation = r.conversation;
                merge(&mut d.messages, r.messages);
            }
        });
    };

    let on_failure = move |e: ApiFailure, retry: Retry| {
        let n = if e.status == 409 || e.status == 422 {
            // The server, which has the final word, disagreed with the
            // engine's prediction: say so, and reload its view of the facts.
            load();
            Notice {
                tone: Tone::Warn,
                text: format!("The server refused this: {}", e.message),
                retry: None,
            }
        } else {
            Notice {
                tone: Tone::Error,
                text: e.message,
                retry: Some(retry),
            }
        };
        notice.set(Some(n));
    };

    let send = move || {
        if sending.get_untracked() {
            return;
        }
        let text = draft.get_untracked();
        let Some(step) = predict(&Event::AgentSends {
            agent: engine::UserId(
                session
                    .me
                    .with_untracked(|m| m.as_ref().map(|m| m.user.id).unwrap_or(0)),
            ),
            text: text.clone(),
        }) else {
            return;
        };
        if let Verdict::Refused(r) = step.verdict {
            notice.set(Some(Notice {
                tone: Tone::Warn,
                text: r.text,
                retry: None,
            }));
            return;
        }
        notice.set(None);
        sending.set(true);
        optimistic_msgs.set(
            step.outbound
                .iter()
                .map(|o| (o.text.clone(), MessageKind::Agent))
                .collect(),
        );
        let id = id.get_untracked();
        leptos::task::spawn_local(async move {
            let r = net::post_json::<_, ActionResult>(
                &format!("/api/v1/conversations/{id}/messages"),
                &SendMessageRequest { body: text.clone() },
            )
            .await;
            sending.set(false);
            optimistic_msgs.set(Vec::new());
            match r {
                Ok(r) => {
                    // Keep anything typed meanwhile; clear what was sent.
                    if draft.get_untracked() == text {
                        draft.set(String::new());
                    }
                    apply_result(r);
                }
                Err(e) => on_failure(e, Retry::Send),
            }
        });
    };
    let request = move || {
        if requesting.get_untracked() {
            return;
        }
        let agent = engine::UserId(
            session
                .me
                .with_untracked(|m| m.as_ref().map(|m| m.user.id).unwrap_or(0)),
        );
        let Some(step) = predict(&Event::AgentRequestsOptIn { agent }) else {
            return;
        };
        if let Verdict::Refused(r) = step.verdict {
            notice.set(Some(Notice {
                tone: Tone::Warn,
                text: r.text,
                retry: None,
            }));
            return;
        }
        notice.set(Some(Notice {
            tone: Tone::Info,
            text: "Sending the opt-in request…".into(),
            retry: None,
        }));
        requesting.set(true);
        optimistic_thread.set(Some(step.thread.clone()));
        optimistic_msgs.set(
            step.outbound
                .iter()
                .map(|o| (o.text.clone(), MessageKind::Automatic))
                .collect(),
        );
        let id = id.get_untracked();
        leptos::task::spawn_local(async move {
            let r = net::post_action::<ActionResult>(&format!(
                "/api/v1/conversations/{id}/opt-in-request"
            ))
            .await;
            requesting.set(false);
            optimistic_thread.set(None);
            optimistic_msgs.set(Vec::new());
            match r {
                Ok(r) => {
                    apply_result(r);
                    notice.set(Some(Notice {
                        tone: Tone::Info,
                        text: "Opt-in request sent.".into(),
                        retry: None,
                    }));
                }
                Err(e) => on_failure(e, Retry::Request),
            }
        });
    };
    let retry = move |r: Retry| match r {
        Retry::Send => send(),
        Retry::Request => request(),
        Retry::Load => load(),
    };
    let load_older = move || {
        let Some(first) =
            detail.with_untracked(|d| d.as_ref().and_then(|d| d.messages.first().map(|m| m.id)))
        else {
            return;
        };
        let id = id.get_untracked();
        loading_older.set(true);
        leptos::task::spawn_local(async move {
            let r = net::get_json::<MessagePage>(&format!(
                "/api/v1/conversations/{id}/messages?before={first}"
            ))
            .await;
            loading_older.set(false);
            match r {
                Ok(p) => detail.update(|d| {
                    if let Some(d) = d {
                        d.has_more = p.has_more;
                        merge(&mut d.messages, p.messages);
                    }
                }),
                Err(e) => notice.set(Some(Notice {
                    tone: Tone::Error,
                    text: e.message,
                    retry: None,
                })),
            }
        });
    };

    let send_refusal = Signal::derive(move || {
        actions.with(|a| a.as_ref().and_then(|a| a.send.as_ref().err().cloned()))
    });

    let header = move || {
        detail.with(|d| {
            d.as_ref().map(|d| {
                let c = &d.conversation;
                let title = c.contact.name.clone().unwrap_or_else(|| c.contact.phone.clone());
                let zone = c.contact.time_zone.clone();
                let channel = match c.channel { Channel::Sms => "SMS", Channel::Whatsapp => "WhatsApp" };
                let state = c.consent.state.clone();
                let phone = c.contact.phone.clone();
                let enabled = d.channel_enabled;
                view! {
                    <header class="thread-head">
                        <a href="/inbox" class="back">"← Inbox"</a>
                        <h1 id="thread-title">{title}</h1>
                        <p class="thread-facts">
                            <span>{phone}</span>
                            <span class="badge channel">{channel} {(!enabled).then_some(" (turned off)")}</span>
                            <ConsentBadge state=state />
                            <span>"Their time: " {move || time::clock_in_zone(now(), &zone)} " (" {c.contact.time_zone.clone()} ")"</span>
                        </p>
                    </header>
                }
            })
        })
    };

    let messages = move || {
        let mut last_day = String::new();
        let mut out = Vec::new();
        detail.with(|d| {
            let Some(d) = d.as_ref() else { return };
            for m in &d.messages {
                let at = time::parse(&m.created_at);
                if let Some(t) = at {
                    let day = time::day(t);
                    if day != last_day {
                        out.push(view! { <li class="day-separator"><span>{day.clone()}</span></li> }.into_any());
                        last_day = day;
                    }
                }
                let (who, class) = match (m.kind, m.direction) {
                    (MessageKind::Automatic, _) => ("Automatic message", "msg automatic"),
                    (_, Direction::Inbound) => ("Contact", "msg inbound"),
                    (_, Direction::Outbound) => ("You", "msg outbound"),
                };
                let status = status_words(m);
                let failed = m.status == DeliveryStatus::Failed;
                out.push(view! {
                    <li class=class>
                        <span class="msg-who">{who}</span>
                        <p class="msg-body">{m.body.clone()}</p>
                        <span class="msg-meta">
                            {at.map(|t| view! { <time datetime=m.created_at.clone()>{time::clock(t)}</time> })}
                            {(!status.is_empty()).then(|| view! { <span class="msg-status" class:failed=failed>{status}</span> })}
                        </span>
                    </li>
                }.into_any());
            }
        });
        for (text, kind) in optimistic_msgs.get() {
            let (who, class) = if kind == MessageKind::Automatic {
                ("Automatic message", "msg automatic optimistic")
            } else {
                ("You", "msg outbound optimistic")
            };
            out.push(
                view! {
                    <li class=class>
                        <span class="msg-who">{who}</span>
                        <p class="msg-body">{text}</p>
                        <span class="msg-meta"><span class="msg-status">"Sending…"</span></span>
                    </li>
                }
                .into_any(),
            );
        }
        out
    };

    // Keep the newest message in view.
    let list = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |_| {
        detail.track();
        optimistic_msgs.track();
        if let Some(el) = list.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });

    view! {
        <section class="page thread" aria-labelledby="thread-title">
            {move || load_error.get().map(|e| view! {
                <div class="notice error" role="alert">
                    {e.message} " "
                    <button type="button" class="secondary" on:click=move |_| retry(Retry::Load)>"Retry"</button>
                </div>
            })}
            {move || (detail.with(|d| d.is_none()) && load_error.with(|e| e.is_none()))
                .then(|| view! { <p aria-busy="true">"Loading the conversation…"</p> })}
            {header}
            <Show when=move || detail.with(|d| d.is_some())>
                {move || detail.with(|d| d.as_ref().is_some_and(|d| d.has_more)).then(|| view! {
                    <button type="button" class="secondary older" disabled=loading_older on:click=move |_| load_older()>
                        {move || if loading_older.get() { "Loading older messages…" } else { "Load older messages" }}
                    </button>
                })}
                <ol class="messages" aria-label="Messages" node_ref=list tabindex="0">{messages}</ol>
                <ConsentBanner actions=actions requesting=requesting on_request=Callback::new(move |_| request()) />
                {move || notice.get().map(|n| {
                    let (class, role) = match n.tone {
                        Tone::Info => ("notice info", "status"),
                        Tone::Warn => ("notice warn", "alert"),
                        Tone::Error => ("notice error", "alert"),
                    };
                    view! {
                        <div class=class role=role>
                            {n.text} " "
                            {n.retry.map(|r| view! { <button type="button" class="secondary" on:click=move |_| retry(r)>"Retry"</button> })}
                        </div>
                    }
                })}
                <Composer draft=draft refusal=send_refusal sending=sending on_send=Callback::new(move |_| send()) />
            </Show>
        </section>
    }
}
