//! One conversation: the page that wires a [`ThreadModel`] to the server,
//! the live stream and the screen. Every decision is the model's (and,
//! through it, the wasm engine's); this module only fetches, calls and
//! renders.

mod header;
mod messages;
mod notice;

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::ActionResult;

use crate::address::Page;
use crate::api_client::{self, ApiFailure};
use crate::components::composer::Composer;
use crate::components::consent_banner::ConsentBanner;
use crate::components::manual_record::ManualRecords;
use crate::components::sms_counter::SmsCounter;
use crate::condition::condition;
use crate::live::use_live;
use crate::navigation::use_location;
use crate::session::use_session;
use crate::thread_model::{Action, Call, Follow, Retry, ThreadModel};
use crate::time;
use header::ThreadHeader;
use messages::MessageList;
use notice::NoticeBar;

type Model = RwSignal<ThreadModel>;

/// Fetches the conversation the model is about.
fn load(model: Model) {
    let id = model.with_untracked(ThreadModel::id);
    leptos::task::spawn_local(async move {
        let r = api_client::conversation(id).await;
        let f = model.try_update(|m| (m.id() == id).then(|| m.loaded(r, time::browser_now())));
        follow(model, f.flatten().unwrap_or_default());
    });
}

/// Does what the model asked for after an update.
fn follow(model: Model, f: Follow) {
    if f.reload {
        load(model);
    }
    if f.mark_read {
        let id = model.with_untracked(ThreadModel::id);
        leptos::task::spawn_local(async move {
            let _ = api_client::mark_read(id).await;
        });
    }
}

/// The server call for an allowed action.
async fn perform(call: Call) -> Result<ActionResult, ApiFailure> {
    match call {
        Call::SendMessage { conversation, body } => {
            api_client::send_message(conversation, body).await
        }
        Call::RequestOptIn { conversation } => api_client::request_opt_in(conversation).await,
    }
}

#[component]
pub fn Thread() -> impl IntoView {
    let location = use_location();
    let session = use_session();
    let live = use_live();
    // The open conversation; while the page is being left, still the last one
    // (nothing is fetched for an address that is going away).
    let id = Memo::new(move |prev: Option<&i64>| match location.page.get() {
        Page::Workspace { open: Some(id) } => id,
        _ => prev.copied().unwrap_or(0),
    });
    let model: Model = RwSignal::new(ThreadModel::new(0));
    let loading_older = RwSignal::new(false);

    // Countdowns (resend, WhatsApp window) move on without a reload.
    let tick = RwSignal::new(0u64);
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
    let now = Signal::derive(move || {
        tick.track();
        model.with(|m| m.server_now(time::browser_now()))
    });

    effect(move || {
        model.set(ThreadModel::new(id.get()));
        load(model);
    });
    Effect::new(move |prev: Option<u64>| {
        let n = live.resync.get();
        if prev.is_some() {
            load(model);
        }
        n
    });
    effect(move || {
        if let Some(ev) = live.event.get() {
            let f = model.try_update(|m| m.live(ev));
            follow(model, f.unwrap_or_default());
        }
    });

    // One path for every agent action: the model decides, the server answers.
    let act = move |action: Action| {
        let Some(me) = session.me.get_untracked() else {
            return;
        };
        let now = now.get_untracked();
        let Some(call) = model.try_update(|m| m.begin(action, &me, now)).flatten() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let r = perform(call.clone()).await;
            let f = model.try_update(|m| m.finished(&call, r));
            follow(model, f.unwrap_or_default());
        });
    };
    let load_older = move || {
        let Some(first) = model.with_untracked(ThreadModel::oldest_message) else {
            return;
        };
        let id = model.with_untracked(ThreadModel::id);
        loading_older.set(true);
        leptos::task::spawn_local(async move {
            let r = api_client::older_messages(id, first).await;
            loading_older.set(false);
            model.update(|m| m.older_loaded(r));
        });
    };
    let retry = Callback::new(move |r: Retry| match r {
        Retry::Action(a) => act(a),
        Retry::Load => load(model),
    });

    // What the view shows, each part recomputed only when it changes.
    let actions = Memo::new(move |_| {
        let me = session.me.get()?;
        let now = now.get();
        model.with(|m| m.actions(&me, now))
    });
    let send_refusal = Signal::derive(move || {
        actions.with(|a| a.as_ref().and_then(|a| a.send.as_ref().err().cloned()))
    });
    let loaded = condition(move || model.with(|m| m.detail().is_some()));
    let load_error = Memo::new(move |_| model.with(|m| m.load_error().cloned()));
    let has_more = condition(move || model.with(|m| m.detail().is_some_and(|d| d.has_more)));
    let busy = Memo::new(move |_| model.with(|m| m.busy()));
    let draft = Memo::new(move |_| model.with(|m| m.draft.clone()));
    let sms = Memo::new(move |_| {
        model.with(|m| {
            m.detail()
                .is_some_and(|d| d.conversation.channel == optline_api::Channel::Sms)
        })
    });

    view! {
        <section class="page thread" aria-labelledby="thread-title">
            {move || load_error.get().map(|e| view! {
                <div class="notice error" role="alert">
                    {e.message} " "
                    <button type="button" class="secondary" on:click=move |_| retry.run(Retry::Load)>"Retry"</button>
                </div>
            })}
            {move || (!loaded.get() && load_error.with(Option::is_none))
                .then(|| view! { <p aria-busy="true">"Loading the conversation…"</p> })}
            <ThreadHeader model now />
            {move || loaded.get().then(|| view! {
                {move || has_more.get().then(|| view! {
                    <button type="button" class="secondary older" disabled=loading_older on:click=move |_| load_older()>
                        {move || if loading_older.get() { "Loading older messages…" } else { "Load older messages" }}
                    </button>
                })}
                <MessageList model />
                <ConsentBanner
                    actions
                    requesting=Signal::derive(move || busy.get() == Some(Action::RequestOptIn))
                    on_request=move |_| act(Action::RequestOptIn)
                />
                <ManualRecords model />
                <NoticeBar model on_retry=retry />
                <Composer
                    draft
                    on_input=move |v| model.update(|m| m.draft = v)
                    refusal=send_refusal
                    sending=Signal::derive(move || busy.get() == Some(Action::Send))
                    on_send=move |_| act(Action::Send)
                >
                    {move || sms.get().then(|| view! { <SmsCounter text=draft /> })}
                </Composer>
            })}
        </section>
    }
}
