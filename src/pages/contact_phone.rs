//! The contact phone (simulator): anyone can play a contact — pick or type a
//! phone number and a business number, read what the business sent, reply.
//! No login: this is how a new user tries the whole flow in a second tab.
//! The phone has no live stream (events are per logged-in user), so it polls.
//!
//! Agents never need it, so it is fetched on demand (the `phone` chunk, see
//! [`crate::on_demand`]).

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::{Channel, Direction, SimInboundRequest, SimPhoneInbox};

use crate::api_client::{self, ApiFailure};
use crate::components::new_conversation::phone_problem;
use crate::components::select::ChannelSelect;
use crate::condition::condition;
use crate::navigation::use_location;
use crate::on_demand::{on_demand, OnDemand, Wording};
use crate::server_calls::{Loaded, Task};
use crate::time;

const SIMULATOR_OFF: &str = "The contact simulator is off on this server. It runs only when the server is started with --simulator (the README's run command does).";

on_demand! {
    /// Builds the phone (the entry of the `phone` chunk).
    fn phone_view() in phone {
        view! { <ContactPhone /> }.into_any()
    }
}

const PHONE: Wording = Wording {
    loading: "Loading the contact phone…",
    title: Some("Contact phone unavailable"),
    failed: "The contact phone could not be loaded. Check your connection, then try again.",
};

/// The contact phone, fetched on demand, with "Retry" if loading fails.
#[component]
pub fn ContactPhonePage() -> impl IntoView {
    view! { <OnDemand load=Box::new(phone_view) wording=PHONE /> }
}

#[component]
fn ContactPhone() -> impl IntoView {
    let location = use_location();
    let q = |k: &str| location.query(k);
    let me = RwSignal::new(q("from").unwrap_or_else(|| "+12125550199".into()));
    let to = RwSignal::new(q("to").unwrap_or_default());
    let channel = RwSignal::new(
        q("channel")
            .and_then(|c| Channel::parse(&c))
            .unwrap_or(Channel::Sms),
    );
    let reply = RwSignal::new(String::new());
    let inbox = RwSignal::new(None::<SimPhoneInbox>);
    let poll_error = RwSignal::new(None::<ApiFailure>);

    let directory = Loaded::new(api_client::sim_numbers);
    // Default to the first business number once the directory arrives.
    effect(move || {
        if let Some(Ok(d)) = directory.get() {
            if to.with_untracked(|t| t.is_empty()) {
                if let Some(n) = d.numbers.first() {
                    to.set(n.phone.clone());
                }
            }
        }
    });
    // Keep the choice in the URL, so a tab can be bookmarked or shared.
    effect(move || {
        let url = format!(
            "/phone?from={}&to={}&channel={}",
            api_client::encode(&me.get()),
            api_client::encode(&to.get()),
            channel.get().as_str()
        );
        location.replace(&url);
    });

    let valid_me = condition(move || me.with(|p| phone_problem(p).is_none()));
    let refresh = move || {
        if !valid_me.get_untracked() {
            inbox.set(None);
            return;
        }
        let phone = me.get_untracked();
        leptos::task::spawn_local(async move {
            match api_client::sim_inbox(&phone).await {
                Ok(i) => {
                    poll_error.set(None);
                    // `try_`: the page may have been left meanwhile (reading
                    // a disposed signal would abort the app).
                    if inbox.try_with_untracked(|x| x.as_ref() != Some(&i)) == Some(true) {
                        inbox.set(Some(i));
                    }
                }
                Err(e) => poll_error.set(Some(e)),
            }
        });
    };
    effect(move || {
        me.track();
        refresh();
    });
    let interval = set_interval_with_handle(refresh, std::time::Duration::from_millis(1500)).ok();
    on_cleanup(move || {
        if let Some(h) = interval {
            h.clear();
        }
    });

    let send = Task::new(|req: &SimInboundRequest| api_client::sim_inbound(req.clone()));
    effect(move || {
        if let Some(Ok(_)) = send.value().get() {
            reply.set(String::new());
            refresh();
        }
    });
    let submit = move || {
        if send.pending().get_untracked() {
            return;
        }
        send.dispatch(SimInboundRequest {
            from: me.get_untracked(),
            to: to.get_untracked(),
            channel: channel.get_untracked(),
            body: reply.get_untracked(),
            provider_message_id: None,
        });
    };

    let shown = move || {
        let to = to.get();
        let ch = channel.get();
        inbox.with(|i| {
            i.as_ref()
                .map(|i| {
                    i.messages
                        .iter()
                        .filter(|m| m.business_number == to && m.channel == ch)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };

    view! {
        <section class="page phone" aria-labelledby="phone-title">
            <h1 id="phone-title">"Contact phone"</h1>
            <p class="hint">"Play a client: choose your number and the business you are writing to, then reply to what the business sent. Log in as an agent in another tab to see both sides."</p>
            <div class="phone-setup">
                <label for="phone-me">"Your phone number"</label>
                <input id="phone-me" type="tel" prop:value=me on:input=move |ev| me.set(event_target_value(&ev))
                    aria-invalid=move || (!valid_me.get()).to_string() aria-describedby="phone-me-hint" />
                <p id="phone-me-hint" class=move || if valid_me.get() { "hint" } else { "field-error" }>
                    {move || me.with(|p| phone_problem(p)).unwrap_or("International format, e.g. +12125550141.")}
                </p>
                <label for="phone-to">"Business number"</label>
                <select id="phone-to" prop:value=to on:change=move |ev| to.set(event_target_value(&ev))>
                    {move || directory.get().and_then(|r| r.ok()).map(|d| d.numbers.into_iter().map(|n| {
                        let label = format!("{} — {}, {}{}", n.phone, n.organization, n.line_of_business,
                            n.agent.map(|a| format!(" ({a})")).unwrap_or_default());
                        view! { <option value=n.phone.clone()>{label}</option> }
                    }).collect_view())}
                </select>
                <label for="phone-channel">"Channel"</label>
                <ChannelSelect
                    id="phone-channel"
                    value=Signal::derive(move || Some(channel.get()))
                    on_change={move |c: Option<Channel>| channel.set(c.unwrap_or(Channel::Sms))}
                />
            </div>
            {move || directory.get().and_then(|r| r.err()).map(|e| {
                // Production servers run without the simulator (no /sim routes).
                let text = if e.code == "no_such_endpoint" {
                    SIMULATOR_OFF.to_string()
                } else {
                    e.message
                };
                view! { <p class="notice error" role="alert">{text}</p> }
            })}
            {move || poll_error.get().map(|e| view! { <p class="notice error" role="alert">{e.message}</p> })}
            <ol class="messages phone-messages" aria-label="Messages on this phone" aria-live="polite">
                {move || {
                    let list = shown();
                    if list.is_empty() {
                        return view! { <li class="empty">"No messages with this business yet."</li> }.into_any();
                    }
                    list.into_iter().map(|m| {
                        let mine = m.direction == Direction::Inbound;
                        let at = time::parse(&m.created_at).map(time::clock).unwrap_or_default();
                        view! {
                            <li class=if mine { "msg outbound" } else { "msg inbound" }>
                                <span class="msg-who">{if mine { "You" } else { "Business" }}</span>
                                <p class="msg-body">{m.body}</p>
                                <span class="msg-meta"><time datetime=m.created_at>{at}</time></span>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ol>
            <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label for="phone-reply">"Reply"</label>
                <textarea id="phone-reply" rows="2" prop:value=reply
                    on:input=move |ev| reply.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() { ev.prevent_default(); submit(); }
                    }></textarea>
                <button type="submit" disabled=move || send.pending().get() || !valid_me.get()>
                    {move || if send.pending().get() { "Sending…" } else { "Send reply" }}
                </button>
                <p class="reason">{move || send.value().get().and_then(|r| r.err()).map(|e| e.message)}</p>
            </form>
        </section>
    }
}
