//! Live updates: one `EventSource` on the server's event stream while logged in.
//!
//! The browser's EventSource retries by itself after a dropped connection; when
//! it gives up (CLOSED, e.g. the server answered an error while restarting) we
//! open a new one after a pause. Screens watch [`Live::event`] and refetch on
//! [`Live::resync`] (after a reconnect, events may have been missed).

use std::cell::RefCell;

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::LiveEvent;
use wasm_bindgen::prelude::*;
use web_sys::{EventSource, MessageEvent};

use crate::session::use_session;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LiveStatus {
    Off,
    Connecting,
    Connected,
    Reconnecting,
}

impl LiveStatus {
    /// The state's name in `data-state`, which the style sheet selects on.
    pub fn name(self) -> &'static str {
        match self {
            LiveStatus::Off => "Off",
            LiveStatus::Connecting => "Connecting",
            LiveStatus::Connected => "Connected",
            LiveStatus::Reconnecting => "Reconnecting",
        }
    }
}

#[derive(Clone, Copy)]
pub struct Live {
    pub status: RwSignal<LiveStatus>,
    /// The latest event (set for every event, even equal ones).
    pub event: RwSignal<Option<LiveEvent>>,
    /// Bumped after each reconnect: refetch what is on screen.
    pub resync: RwSignal<u64>,
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

struct Connection {
    source: EventSource,
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

fn close() {
    CONNECTION.with(|c| {
        if let Some(c) = c.borrow_mut().take() {
            c.source.close();
        }
    });
}

fn connect(live: Live, generation: StoredValue<u64>) {
    close();
    let Ok(source) = EventSource::new(crate::api_client::EVENTS_URL) else {
        live.status.set(LiveStatus::Reconnecting);
        return;
    };
    let mut handlers = Vec::new();
    let on_ready = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        let was = live.status.get_untracked();
        live.status.set(LiveStatus::Connected);
        if was == LiveStatus::Reconnecting {
            live.resync.update(|n| *n += 1);
        }
    });
    let _ = source.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
    handlers.push(on_ready);
    let on_resync = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        live.resync.update(|n| *n += 1);
    });
    let _ = source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
    handlers.push(on_resync);
    for name in ["message", "status", "consent", "ownership"] {
        let h = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(data) = e
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string())
            else {
                return;
            };
            if let Some(ev) = crate::api_client::live_event::decode(name, &data) {
                live.event.set(Some(ev));
            }
        });
        let _ = source.add_event_listener_with_callback(name, h.as_ref().unchecked_ref());
        handlers.push(h);
    }
    let src = source.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if live.status.get_untracked() == LiveStatus::Off {
            return;
        }
        live.status.set(LiveStatus::Reconnecting);
        if src.ready_state() == EventSource::CLOSED {
            // The browser gave up: check the session (a 401 ends it and
            // logs out), then try again.
            let gen = generation.get_value();
            set_timeout(
                move || {
                    if generation.get_value() != gen {
                        return;
                    }
                    leptos::task::spawn_local(async move {
                        let me = crate::api_client::me().await;
                        if generation.get_value() == gen
                            && !matches!(&me, Err(e) if e.is_unauthorized())
                        {
                            connect(live, generation);
                        }
                    });
                },
                std::time::Duration::from_secs(2),
            );
        }
    });
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    handlers.push(on_error);
    CONNECTION.with(|c| {
        *c.borrow_mut() = Some(Connection {
            source,
            _handlers: handlers,
        })
    });
}

/// Provides [`Live`] and keeps the connection open while someone is logged in.
pub fn provide_live() -> Live {
    let live = Live {
        status: RwSignal::new(LiveStatus::Off),
        event: RwSignal::new(None),
        resync: RwSignal::new(0),
    };
    provide_context(live);
    let session = use_session();
    let user = Memo::new(move |_| session.me.with(|m| m.as_ref().map(|m| m.user.id)));
    let generation = StoredValue::new(0u64);
    effect(move || {
        generation.update_value(|g| *g += 1);
        match user.get() {
            Some(_) => {
                live.status.set(LiveStatus::Connecting);
                connect(live, generation);
            }
            None => {
                live.status.set(LiveStatus::Off);
                close();
            }
        }
    });
    live
}

/// "Live" / "Reconnecting…" in the header, so a silent screen is never
/// mistaken for a quiet one.
#[component]
pub fn LiveIndicator() -> impl IntoView {
    let live = use_live();
    view! {
        <span role="status" class="live-status" data-state=move || live.status.get().name()>
            {move || match live.status.get() {
                LiveStatus::Off => "",
                LiveStatus::Connecting => "Connecting…",
                LiveStatus::Connected => "Live",
                LiveStatus::Reconnecting => "Reconnecting…",
            }}
        </span>
    }
}
