//! The inbox: every conversation of the agent's number, newest first.
//!
//! Only the rows in view are in the DOM (fixed row height, absolute
//! positions), so 10,000 conversations scroll and filter smoothly. Search and
//! filters go to the server; while it answers, the rows already loaded are
//! filtered locally so a keystroke repaints at once.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use optline_api::{
    Channel, ConversationPage, ConversationSummary, Direction, LiveEvent, MessageKind,
};

use crate::components::consent_badge::ConsentBadge;
use crate::components::new_conversation::NewConversation;
use crate::live::use_live;
use crate::net::{self, ApiFailure};
use crate::time;

const ROW_HEIGHT: f64 = 76.0;
const PAGE: usize = 100;

fn channel_words(c: Channel) -> &'static str {
    match c {
        Channel::Sms => "SMS",
        Channel::Whatsapp => "WhatsApp",
    }
}

fn matches_locally(c: &ConversationSummary, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let q = q.to_lowercase();
    c.contact
        .name
        .as_deref()
        .is_some_and(|n| n.to_lowercase().contains(&q))
        || c.contact.phone.contains(&q)
        || c.last_message
            .as_ref()
            .is_some_and(|m| m.body.to_lowercase().contains(&q))
}

#[derive(Clone, PartialEq)]
struct Filters {
    q: String,
    state: String,
    channel: String,
}

impl Filters {
    fn query(&self, cursor: Option<&str>) -> String {
        let mut s = format!("/api/v1/conversations?limit={PAGE}");
        for (k, v) in [
            ("q", &self.q),
            ("state", &self.state),
            ("channel", &self.channel),
        ] {
            if !v.is_empty() {
                s.push_str(&format!("&{k}={}", net::encode(v)));
            }
        }
        if let Some(c) = cursor {
            s.push_str(&format!("&cursor={}", net::encode(c)));
        }
        s
    }
}

#[component]
pub fn Inbox() -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let live = use_live();
    let from_url = |k: &str| query.with_untracked(|q| q.get(k)).unwrap_or_default();
    let search = RwSignal::new(from_url("q"));
    let state_filter = RwSignal::new(from_url("state"));
    let channel_filter = RwSignal::new(from_url("channel"));
    let filters = Memo::new(move |_| Filters {
        q: search.get().trim().to_string(),
        state: state_filter.get(),
        channel: channel_filter.get(),
    });

    // What the server returned, and for which filters.
    let items = RwSignal::new(Vec::<ConversationSummary>::new());
    let loaded_for = RwSignal::new(None::<Filters>);
    let total = RwSignal::new(0u64);
    let next_cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiFailure>);
    let seq = StoredValue::new(0u64);

    let load = move |more: bool| {
        let f = filters.get_untracked();
        let cursor = if more {
            next_cursor.get_untracked()
        } else {
            None
        };
        if more && cursor.is_none() {
            return;
        }
        seq.update_value(|s| *s += 1);
        let my = seq.get_value();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let r = net::get_json::<ConversationPage>(&f.query(cursor.as_deref())).await;
            if seq.get_value() != my {
                return; // a newer search superseded this one
            }
            loading.set(false);
            match r {
                Ok(page) => {
                    error.set(None);
                    total.set(page.total);
                    next_cursor.set(page.next_cursor);
                    if more {
                        items.update(|v| v.extend(page.items));
                    } else {
                        items.set(page.items);
                    }
                    loaded_for.set(Some(f));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    // Refetch when the filters change; keep them in the URL (deep links, back).
    Effect::new(move |_| {
        let f = filters.get();
        let mut url = String::from("/inbox");
        let mut sep = '?';
        for (k, v) in [("q", &f.q), ("state", &f.state), ("channel", &f.channel)] {
            if !v.is_empty() {
                url.push_str(&format!("{sep}{k}={}", net::encode(v)));
                sep = '&';
            }
        }
        navigate(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
        load(false);
    });
    Effect::new(move |prev: Option<u64>| {
        let n = live.resync.get();
        if prev.is_some() {
            load(false);
        }
        n
    });
    // Live: a new message moves its conversation to the top; consent and
    // status changes update the row in place.
    Effect::new(move |_| {
        let Some(ev) = live.event.get() else { return };
        match ev {
            LiveEvent::Message { conversation, .. } => {
                let f = filters.get_untracked();
                let fits = (f.channel.is_empty() || f.channel == conversation.channel.as_str())
                    && (f.state.is_empty() || f.state == conversation.consent.state)
                    && matches_locally(&conversation, &f.q);
                items.update(|v| {
                    let before = v.len();
                    v.retain(|c| c.id != conversation.id);
                    if fits {
                        v.insert(0, *conversation);
                    }
                    if v.len() > before {
                        total.update(|t| *t += 1);
                    }
                });
            }
            LiveEvent::Consent {
                conversation_id,
                consent,
            } => items.update(|v| {
                if let Some(c) = v.iter_mut().find(|c| c.id == conversation_id) {
                    c.consent = consent;
                }
            }),
            _ => {}
        }
    });

    let shown = Memo::new(move |_| {
        let f = filters.get();
        let exact = loaded_for.with(|l| l.as_ref() == Some(&f));
        items.with(|v| {
            if exact {
                v.clone()
            } else {
                v.iter()
                    .filter(|c| matches_locally(c, &f.q))
                    .cloned()
                    .collect()
            }
        })
    });

    // Virtual scrolling.
    let scroller = NodeRef::<leptos::html::Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(600.0f64);
    let active = RwSignal::new(0usize);
    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            scroll_top.set(el.scroll_top() as f64);
            viewport.set(el.client_height() as f64);
            let bottom_row = ((el.scroll_top() + el.client_height()) as f64 / ROW_HEIGHT) as usize;
            if bottom_row + 20 > shown.with(|s| s.len()) && !loading.get_untracked() {
                load(true);
            }
        }
    };
    let window_rows = move || {
        let first = (scroll_top.get() / ROW_HEIGHT).floor() as usize;
        let count = (viewport.get() / ROW_HEIGHT).ceil() as usize + 6;
        let first = first.saturating_sub(3);
        shown.with(|s| {
            s.iter()
                .enumerate()
                .skip(first)
                .take(count)
                .map(|(i, c)| (i, c.clone()))
                .collect::<Vec<_>>()
        })
    };
    let go = use_navigate();
    let open = StoredValue::new_local(move |id: i64| {
        go(&format!("/conversations/{id}"), Default::default());
    });
    let keep_visible = move |i: usize| {
        if let Some(el) = scroller.get() {
            let top = i as f64 * ROW_HEIGHT;
            let st = el.scroll_top() as f64;
            let h = el.client_height() as f64;
            if top < st {
                el.set_scroll_top(top as i32);
            } else if top + ROW_HEIGHT > st + h {
                el.set_scroll_top((top + ROW_HEIGHT - h) as i32);
            }
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let len = shown.with(|s| s.len());
        if len == 0 {
            return;
        }
        let cur = active.get_untracked().min(len - 1);
        let next = match ev.key().as_str() {
            "ArrowDown" | "j" => (cur + 1).min(len - 1),
            "ArrowUp" | "k" => cur.saturating_sub(1),
            "Home" => 0,
            "End" => len - 1,
            "Enter" => {
                ev.prevent_default();
                if let Some(id) = shown.with(|s| s.get(cur).map(|c| c.id)) {
                    open.with_value(|o| o(id));
                }
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        active.set(next);
        keep_visible(next);
    };
    let active_id = move || {
        let a = active.get();
        shown.with(|s| s.get(a).map(|c| format!("conv-{}", c.id)))
    };
    let now = time::browser_now();

    view! {
        <section class="page inbox" aria-labelledby="inbox-title">
            <div class="inbox-head">
                <h1 id="inbox-title">"Inbox"</h1>
                <NewConversation />
            </div>
            <form class="inbox-filters" role="search" on:submit=|ev| ev.prevent_default()>
                <label for="inbox-search">"Search"</label>
                <input
                    id="inbox-search"
                    type="search"
                    placeholder="Name, number or message text"
                    prop:value=search
                    on:input=move |ev| { active.set(0); search.set(event_target_value(&ev)) }
                />
                <label for="inbox-state">"Consent"</label>
                <select id="inbox-state" prop:value=state_filter on:change=move |ev| { active.set(0); state_filter.set(event_target_value(&ev)) }>
                    <option value="">"All states"</option>
                    <option value="not_requested">"Not requested"</option>
                    <option value="pending">"Opt-in pending"</option>
                    <option value="accepted">"Opted in"</option>
                    <option value="rejected">"Rejected"</option>
                    <option value="opted_out">"Opted out"</option>
                </select>
                <label for="inbox-channel">"Channel"</label>
                <select id="inbox-channel" prop:value=channel_filter on:change=move |ev| { active.set(0); channel_filter.set(event_target_value(&ev)) }>
                    <option value="">"All channels"</option>
                    <option value="sms">"SMS"</option>
                    <option value="whatsapp">"WhatsApp"</option>
                </select>
            </form>
            <p class="inbox-count" aria-live="polite">
                {move || if loading.get() && loaded_for.with(|l| l.is_none()) {
                    "Loading conversations…".to_string()
                } else {
                    let n = total.get();
                    format!("{n} conversation{}{}", if n == 1 { "" } else { "s" }, if loading.get() { " · updating…" } else { "" })
                }}
            </p>
            {move || error.get().map(|e| view! {
                <div class="notice error" role="alert">
                    {e.message} " "
                    <button type="button" class="secondary" on:click=move |_| load(false)>"Retry"</button>
                </div>
            })}
            {move || (loaded_for.with(|l| l.is_some()) && shown.with(|s| s.is_empty())).then(|| {
                let filtered = filters.with(|f| !f.q.is_empty() || !f.state.is_empty() || !f.channel.is_empty());
                view! {
                    <p class="empty">
                        {if filtered {
                            "No conversations match this search or filter."
                        } else {
                            "No conversations yet. Start one with “New conversation”, or wait for a contact to write."
                        }}
                    </p>
                }
            })}
            <p id="inbox-keys" class="hint">"Use j/k or the arrow keys to move, Enter to open."</p>
            <div class="inbox-scroll" node_ref=scroller on:scroll=on_scroll>
                <ul
                    role="listbox"
                    aria-label="Conversations"
                    aria-describedby="inbox-keys"
                    tabindex="0"
                    aria-activedescendant=active_id
                    on:keydown=on_key
                    style=move || format!("height:{}px", shown.with(|s| s.len()) as f64 * ROW_HEIGHT)
                >
                    {move || {
                        let setsize = shown.with(|s| s.len());
                        window_rows()
                            .into_iter()
                            .map(|(i, c)| {
                                let id = c.id;
                                let title = c.contact.name.clone().unwrap_or_else(|| c.contact.phone.clone());
                                let sub = c.contact.name.as_ref().map(|_| c.contact.phone.clone());
                                let preview = c.last_message.as_ref().map(|m| {
                                    let who = match (m.direction, m.kind) {
                                        (_, MessageKind::Automatic) => "Automatic: ",
                                        (Direction::Outbound, _) => "You: ",
                                        _ => "",
                                    };
                                    format!("{who}{}", m.body)
                                });
                                let when = time::parse(&c.updated_at).map(|t| time::short(t, now));
                                let state = c.consent.state.clone();
                                view! {
                                    <li
                                        role="option"
                                        id=format!("conv-{id}")
                                        aria-selected=move || (active.get() == i).to_string()
                                        aria-setsize=setsize
                                        aria-posinset=i + 1
                                        class="conv-row"
                                        class:unread={c.unread > 0}
                                        style=format!("top:{}px;height:{}px", i as f64 * ROW_HEIGHT, ROW_HEIGHT)
                                        on:click=move |_| { active.set(i); open.with_value(|o| o(id)) }
                                    >
                                        <span class="conv-who">
                                            <strong>{title}</strong>
                                            {sub.map(|s| view! { <span class="muted">" " {s}</span> })}
                                        </span>
                                        <span class="conv-meta">
                                            <span class="badge channel">{channel_words(c.channel)}</span>
                                            <ConsentBadge state=state />
                                            {(c.unread > 0).then(|| view! { <span class="badge unread-count">{format!("{} unread", c.unread)}</span> })}
                                            {when.map(|w| view! { <time datetime=c.updated_at.clone()>{w}</time> })}
                                        </span>
                                        <span class="conv-preview">{preview.unwrap_or_else(|| "No messages yet".into())}</span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
        </section>
    }
}
