//! The inbox: every conversation of the agent's number, newest first. This
//! module owns the loading (pages, search and filters sent to the server,
//! live updates); [`filters`] draws the search form, [`list`] the scrolling
//! list and [`row`] one conversation.
//!
//! While the server answers a new search, the rows already loaded are
//! filtered locally so a keystroke repaints at once. The filters live in
//! the URL's query, beside whichever conversation is open.

mod filters;
mod list;
mod row;

use std::time::Duration;

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{Channel, ConversationSummary, LiveEvent, StateName};

use crate::api_client::{self, ApiFailure, ConversationFilter};
use crate::components::new_conversation::NewConversation;
use crate::live::use_live;
use crate::navigation::{query_param, use_location};
use filters::InboxFilters;
use list::ConversationList;

const PAGE: usize = 100;

/// What the local search looks in — name, number, last message text —
/// lowercased once when the conversations arrive, not on every keystroke.
#[derive(Clone, PartialEq)]
struct SearchKey([String; 3]);

impl SearchKey {
    fn of(c: &ConversationSummary) -> Self {
        let lower = |s: Option<&str>| s.map(str::to_lowercase).unwrap_or_default();
        SearchKey([
            lower(c.contact.name.as_deref()),
            c.contact.phone.clone(),
            lower(c.last_message.as_ref().map(|m| m.body.as_str())),
        ])
    }

    /// Does it match the typed search, already lowercased?
    fn matches(&self, q_lower: &str) -> bool {
        q_lower.is_empty() || self.0.iter().any(|k| k.contains(q_lower))
    }
}

/// Does a conversation the server just sent belong in the filtered list?
fn fits(f: &ConversationFilter, c: &ConversationSummary) -> bool {
    f.channel.is_none_or(|ch| ch == c.channel)
        && f.state.is_none_or(|s| s == c.consent.state.state())
        && SearchKey::of(c).matches(&f.q.to_lowercase())
}

/// The query naming these filters (deep links, back button), `?…` or empty.
fn filter_query(f: &ConversationFilter) -> String {
    let pairs = [
        ("q", Some(f.q.as_str()).filter(|q| !q.is_empty())),
        ("state", f.state.map(StateName::as_str)),
        ("channel", f.channel.map(Channel::as_str)),
    ];
    let mut url = String::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            url.push(if url.is_empty() { '?' } else { '&' });
            url.push_str(&format!("{k}={}", api_client::encode(v)));
        }
    }
    url
}

/// The filters a query names (the inverse of [`filter_query`]).
fn filter_of_query(search: &str) -> ConversationFilter {
    let param = |k| query_param(search, k).unwrap_or_default();
    ConversationFilter {
        q: param("q").trim().to_string(),
        state: StateName::parse(&param("state")),
        channel: Channel::parse(&param("channel")),
    }
}

#[component]
pub fn Inbox(
    /// The conversation open beside the list, if any.
    #[prop(into)]
    open: Signal<Option<i64>>,
) -> impl IntoView {
    let location = use_location();
    let live = use_live();
    let opened_with = filter_of_query(&location.search());
    let search = RwSignal::new(opened_with.q);
    let state = RwSignal::new(opened_with.state);
    let channel = RwSignal::new(opened_with.channel);
    let filter = Memo::new(move |_| ConversationFilter {
        q: search.get().trim().to_string(),
        state: state.get(),
        channel: channel.get(),
    });

    // What the server returned, and for which filters.
    let items = RwSignal::new(Vec::<ConversationSummary>::new());
    let loaded_for = RwSignal::new(None::<ConversationFilter>);
    let total = RwSignal::new(0u64);
    let next_cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiFailure>);
    let seq = StoredValue::new(0u64);
    // The keyboard's position in the list (back to the top on a new search).
    let active = RwSignal::new(0usize);

    let load = move |more: bool| {
        let f = filter.get_untracked();
        let cursor = more.then(|| next_cursor.get_untracked()).flatten();
        if more && cursor.is_none() {
            return;
        }
        seq.update_value(|s| *s += 1);
        let my = seq.get_value();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let r = api_client::conversations(&f, PAGE, cursor).await;
            // A newer search superseded this one, or the inbox was left
            // meanwhile (`try_`: reading a disposed value would abort the app).
            if seq.try_get_value() != Some(my) {
                return;
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

    // Refetch when the filters change; keep them in the URL (of the inbox
    // or of the conversation open beside it).
    effect(move || {
        let f = filter.get();
        active.set(0);
        let loc = window().location();
        let path = loc.pathname().unwrap_or_default();
        let target = format!("{path}{}", filter_query(&f));
        if target != format!("{path}{}", loc.search().unwrap_or_default()) {
            // After the list is painted: writing the URL (history and the
            // reactions to the address) is no part of what the keystroke
            // shows. Unless the user has gone to another page, or typed on,
            // meanwhile.
            request_animation_frame(move || {
                set_timeout(
                    move || {
                        let still = filter.try_with_untracked(|now| *now == f) == Some(true);
                        if still && window().location().pathname().ok() == Some(path) {
                            location.replace(&target);
                        }
                    },
                    Duration::ZERO,
                )
            });
        }
        load(false);
    });
    // The other way: the filters follow the address when the user moves
    // (the Inbox link, Back, Forward), so the list never shows filters its
    // address does not name.
    effect(move || {
        let named = filter_of_query(&location.search_after_move());
        if filter.with_untracked(|f| *f != named) {
            search.set(named.q);
            state.set(named.state);
            channel.set(named.channel);
        }
    });
    Effect::new(move |prev: Option<u64>| {
        let n = live.resync.get();
        if prev.is_some() {
            load(false);
        }
        n
    });
    // Live: a new message moves its conversation to the top; consent
    // changes update the row in place.
    effect(move || match live.event.get() {
        Some(LiveEvent::Message { conversation, .. }) => {
            let fits = filter.with_untracked(|f| fits(f, &conversation));
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
        Some(LiveEvent::Consent {
            conversation_id,
            consent,
        }) => items.update(|v| {
            // A page fetched before this event may already hold a newer state.
            if let Some(c) = v
                .iter_mut()
                .find(|c| c.id == conversation_id && c.consent.version <= consent.version)
            {
                c.consent = consent;
            }
        }),
        _ => {}
    });

    let keys = Memo::new(move |_| items.with(|v| v.iter().map(SearchKey::of).collect::<Vec<_>>()));
    let shown = Memo::new(move |_| {
        let f = filter.get();
        let exact = loaded_for.with(|l| l.as_ref() == Some(&f));
        let q = f.q.to_lowercase();
        items.with(|v| {
            keys.with(|k| {
                v.iter()
                    .zip(k)
                    .filter(|(_, key)| exact || key.matches(&q))
                    .map(|(c, _)| c.clone())
                    .collect::<Vec<_>>()
            })
        })
    });

    // The keyboard goes on from the conversation that is open.
    effect(move || {
        let Some(id) = open.get() else { return };
        if let Some(i) = shown.with(|s| s.iter().position(|c| c.id == id)) {
            active.set(i);
        }
    });

    let count = move || {
        if loading.get() && loaded_for.with(Option::is_none) {
            return "Loading conversations…".to_string();
        }
        let n = total.get();
        let s = if n == 1 { "" } else { "s" };
        let updating = if loading.get() { " · updating…" } else { "" };
        format!("{n} conversation{s}{updating}")
    };
    let empty = move || {
        (loaded_for.with(Option::is_some) && shown.with(Vec::is_empty)).then(|| {
            let filtered = filter.with(|f| *f != ConversationFilter::default());
            view! {
                <p class="empty">
                    {if filtered {
                        "No conversations match this search or filter."
                    } else {
                        "No conversations yet. Start one with “New conversation”, or wait for a contact to write."
                    }}
                </p>
            }
        })
    };

    view! {
        <section class="page inbox" aria-labelledby="inbox-title">
            <div class="inbox-head">
                <h1 id="inbox-title">"Inbox"</h1>
                <NewConversation />
            </div>
            <InboxFilters search state channel />
            <p class="inbox-count" aria-live="polite">{count}</p>
            {move || error.get().map(|e| view! {
                <div class="notice error" role="alert">
                    {e.message} " "
                    <button type="button" class="secondary" on:click=move |_| load(false)>"Retry"</button>
                </div>
            })}
            {empty}
            <ConversationList
                shown
                active
                open
                on_near_end=move |_| {
                    if !loading.get_untracked() {
                        load(true);
                    }
                }
            />
        </section>
    }
}
