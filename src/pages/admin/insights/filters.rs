//! The insights' period (last 7/30/90 days or custom local dates) and
//! filters (line of business, channel, agent). Applying them sets the
//! filter the page loads with.

use leptos::prelude::*;
use optline_api::{Channel, Role};

use crate::api_client::{self, InsightsFilter};
use crate::components::select::{options, ChannelSelect, Select};
use crate::condition::condition;
use crate::pages::admin::LobSelect;
use crate::server_calls::Loaded;
use crate::time;

/// The preset periods, in days; `None` is "custom".
const PERIODS: [(Option<i64>, &str); 4] = [
    (Some(7), "Last 7 days"),
    (Some(30), "Last 30 days"),
    (Some(90), "Last 90 days"),
    (None, "Custom dates"),
];

/// `[now − days, now)` as RFC 3339 instants.
pub fn last_days(days: i64) -> (String, String) {
    let now = time::browser_now();
    let from = now - chrono::Duration::days(days);
    let f = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    (f(from), f(now))
}

#[component]
pub fn InsightsFilters(applied: RwSignal<InsightsFilter>) -> impl IntoView {
    let period = RwSignal::new(Some(30i64));
    let from_date = RwSignal::new(String::new());
    let to_date = RwSignal::new(String::new());
    let lob = RwSignal::new(None::<i64>);
    let channel = RwSignal::new(None::<Channel>);
    let agent = RwSignal::new(None::<i64>);
    let users = Loaded::new(api_client::users);

    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (from, to) = match period.get_untracked() {
            Some(days) => {
                let (f, t) = last_days(days);
                (Some(f), Some(t))
            }
            // Local calendar days; the end date counts whole.
            None => (
                time::local_midnight_utc(&from_date.get_untracked(), 0),
                time::local_midnight_utc(&to_date.get_untracked(), 1),
            ),
        };
        applied.set(InsightsFilter {
            from,
            to,
            lob: lob.get_untracked(),
            channel: channel.get_untracked(),
            agent: agent.get_untracked(),
        });
    };

    let period_options = options(
        None,
        PERIODS.iter().map(|(d, _)| *d),
        |d| d.map(|d| d.to_string()).unwrap_or_else(|| "custom".into()),
        |d| {
            PERIODS
                .iter()
                .find(|(x, _)| *x == d)
                .map(|(_, t)| t.to_string())
                .unwrap_or_default()
        },
    );
    let custom_period = condition(move || period.get().is_none());
    let period_value = Signal::derive(move || {
        period
            .get()
            .map(|d| d.to_string())
            .unwrap_or_else(|| "custom".into())
    });
    let agent_select = move || {
        let agents: Vec<(i64, String)> = users
            .get()
            .and_then(Result::ok)
            .map(|l| {
                l.users
                    .into_iter()
                    .filter(|u| u.role == Role::Agent)
                    .map(|u| (u.id, u.name))
                    .collect()
            })
            .unwrap_or_default();
        let opts = std::iter::once((String::new(), "All agents".to_string()))
            .chain(agents.into_iter().map(|(id, n)| (id.to_string(), n)))
            .collect::<Vec<_>>();
        view! {
            <Select
                id=Some("insights-agent")
                aria_label=None
                options=opts
                value=Signal::derive(move || agent.get().map(|a| a.to_string()).unwrap_or_default())
                on_change=Callback::new(move |v: String| agent.set(v.parse().ok()))
                allow=None
            />
        }
    };

    view! {
        <form class="insights-filters" on:submit=apply aria-label="Insights filters">
            <div class="field-grid">
                <div class="field">
                    <label for="insights-period">"Period"</label>
                    <Select
                        id=Some("insights-period")
                        aria_label=None
                        options=period_options
                        value=period_value
                        on_change=Callback::new(move |v: String| period.set(v.parse().ok()))
                        allow=None
                    />
                </div>
                {move || custom_period.get().then(|| view! {
                    <div class="field">
                        <label for="insights-from">"From (date)"</label>
                        <input id="insights-from" type="date"
                            prop:value=move || from_date.get()
                            on:input=move |ev| from_date.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="insights-to">"To (date, inclusive)"</label>
                        <input id="insights-to" type="date"
                            prop:value=move || to_date.get()
                            on:input=move |ev| to_date.set(event_target_value(&ev)) />
                    </div>
                })}
                <div class="field">
                    <label for="insights-lob">"Line of business"</label>
                    <LobSelect id="insights-lob" any="All lines of business" value=lob on_change=move |l| lob.set(l) />
                </div>
                <div class="field">
                    <label for="insights-channel">"Channel"</label>
                    <ChannelSelect id="insights-channel" any="Both" value=channel on_change=move |c| channel.set(c) />
                </div>
                <div class="field">
                    <label for="insights-agent">"Agent"</label>
                    {agent_select}
                </div>
            </div>
            <div class="form-actions">
                <button type="submit">"Show insights"</button>
            </div>
        </form>
    }
}
