//! Consent insights: the opt-in funnel of a period as charts. This module
//! loads the numbers for the applied filters and shows the loading, error,
//! empty and filled states; [`filters`] is the period and filter form,
//! [`charts`] draws the bars (SVG) and their table views.
//!
//! Every number comes from the server's one aggregate
//! (`GET /api/v1/admin/insights`); the page computes no count itself, it
//! only scales bars and words durations.

mod charts;
mod filters;

use leptos::prelude::*;
use optline_api::{FunnelStage, Insights};

use crate::api_client::{self, AuditFilter, InsightsFilter};
use crate::decimals::fixed;
use crate::server_calls::Loaded;
use charts::{Bar, BarChart, BarTable, DailyChart, DailyTable};
use filters::InsightsFilters;

/// An opt-out's `how` in words.
fn how_label(how: &str) -> String {
    match how {
        "keyword" => "STOP keyword".into(),
        "plain_language_revocation" => "Plain-language revocation".into(),
        "carrier_stop" => "Carrier STOP".into(),
        "provider_opt_out" => "Refused by the provider (opted out at the carrier)".into(),
        "manual" => "Recorded by an admin".into(),
        other => other.replace('_', " "),
    }
}

/// "45 s", "12 min", "3.5 h", "2.1 days".
fn duration(secs: Option<i64>) -> String {
    let Some(s) = secs else {
        return "—".into();
    };
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", (s + 30) / 60),
        s if s < 48 * 3600 => format!("{} h", fixed(s as f64 / 3600.0, 1)),
        s => format!("{} days", fixed(s as f64 / 86400.0, 1)),
    }
}

/// The audit filter the applied insights filter and the answered period
/// stand for (every bar adds its stage and how).
fn audit_base(f: &InsightsFilter, ins: &Insights) -> AuditFilter {
    AuditFilter {
        channel: f.channel,
        from: Some(ins.from.clone()),
        to: Some(ins.to.clone()),
        lob: f.lob,
        agent: f.agent,
        ..AuditFilter::default()
    }
}

fn funnel_bars(ins: &Insights, base: &AuditFilter) -> Vec<Bar> {
    let f = &ins.funnel;
    let link = |stage: FunnelStage, how: Option<&str>| {
        Some(
            AuditFilter {
                stage: Some(stage),
                how: how.map(str::to_string),
                ..base.clone()
            }
            .page_href(),
        )
    };
    let bar = |label: &str, count: i64, href: Option<String>, tone: &'static str| Bar {
        label: label.into(),
        count,
        href,
        sub: false,
        tone,
    };
    let mut bars = vec![
        bar(
            "Requests by agents",
            f.requests_by_agents,
            link(FunnelStage::AgentRequest, None),
            "",
        ),
        bar(
            "Automatic re-prompts",
            f.requests_automatic,
            link(FunnelStage::AutoReprompt, None),
            "",
        ),
        bar(
            "Accepted",
            f.accepted,
            link(FunnelStage::Accepted, None),
            "tone-accept",
        ),
        bar(
            "Rejected",
            f.rejected,
            link(FunnelStage::Rejected, None),
            "tone-neutral",
        ),
        bar(
            "No answer within the resend interval",
            f.no_answer,
            None,
            "tone-neutral",
        ),
        bar(
            "Opted out",
            f.opted_out,
            link(FunnelStage::OptedOut, None),
            "tone-optout",
        ),
    ];
    bars.extend(f.opted_out_by.iter().map(|h| Bar {
        label: how_label(&h.how),
        count: h.count,
        href: link(FunnelStage::OptedOut, Some(&h.how)),
        sub: true,
        tone: "tone-optout",
    }));
    bars
}

fn failure_bars(ins: &Insights) -> Vec<Bar> {
    ins.failures
        .iter()
        .map(|f| Bar {
            label: format!(
                "{}: {}",
                f.provider,
                if f.error.is_empty() {
                    "no error given"
                } else {
                    &f.error
                }
            ),
            count: f.count,
            href: None,
            sub: false,
            tone: "",
        })
        .collect()
}

fn is_empty(ins: &Insights) -> bool {
    let f = &ins.funnel;
    f.requests_by_agents + f.requests_automatic + f.accepted + f.rejected + f.opted_out == 0
        && ins.failures.is_empty()
}

#[component]
fn Figures(ins: Insights) -> impl IntoView {
    let rate = ins
        .acceptance_rate
        .map(|r| format!("{} %", fixed(r * 100.0, 1)))
        .unwrap_or_else(|| "—".into());
    let t = &ins.time_to_accept;
    view! {
        <dl class="figures">
            <div><dt>"Acceptance rate"</dt><dd>{rate}</dd></div>
            <div><dt>"Median time to accept"</dt><dd>{duration(t.median_seconds)}</dd></div>
            <div><dt>"90th percentile"</dt><dd>{duration(t.p90_seconds)}</dd></div>
            <div><dt>"Acceptances timed"</dt><dd>{t.count}</dd></div>
        </dl>
        <p class="hint">"Acceptance rate: accepted ÷ requests by agents. Times run from the agent's latest request to the contact's acceptance."</p>
    }
}

#[component]
fn Charts(ins: Insights, filter: InsightsFilter) -> impl IntoView {
    let base = audit_base(&filter, &ins);
    let funnel = funnel_bars(&ins, &base);
    let failures = failure_bars(&ins);
    let period = format!(
        "From {} to {}.",
        crate::time::local(&ins.from),
        crate::time::local(&ins.to)
    );
    view! {
        <p class="form-status">{period}</p>
        <Figures ins=ins.clone() />
        <h2 id="funnel-title">"Opt-in funnel"</h2>
        <BarChart labelled_by="funnel-title" bars=funnel.clone() tone="tone-request" />
        <BarTable caption="Opt-in funnel" bars=funnel />
        <h2 id="daily-title">"Per day (UTC)"</h2>
        <DailyChart ins=ins.clone() base=base.clone() />
        <DailyTable ins=ins.clone() base=base />
        <h2 id="failures-title">"Failed sends by provider error"</h2>
        {if failures.is_empty() {
            view! { <p>"No failed sends in this period."</p> }.into_any()
        } else {
            view! {
                <BarChart labelled_by="failures-title" bars=failures.clone() tone="tone-failure" />
                <BarTable caption="Failed sends" bars=failures />
            }
            .into_any()
        }}
    }
}

/// `/admin/insights`.
#[component]
pub fn InsightsPage() -> impl IntoView {
    let (from, to) = filters::last_days(30);
    let applied = RwSignal::new(InsightsFilter {
        from: Some(from),
        to: Some(to),
        ..InsightsFilter::default()
    });
    let data = Loaded::new(move || {
        let f = applied.get();
        async move { (api_client::insights(&f).await, f) }
    });
    let body = move || {
        match data.get() {
        None => view! { <p role="status" class="form-status">"Loading insights…"</p> }.into_any(),
        Some((Err(e), _)) => view! {
            <div role="alert" class="error-box">
                <p>{format!("The insights could not be loaded: {}", e.message)}</p>
                <button type="button" on:click=move |_| data.refetch()>"Retry"</button>
            </div>
        }
        .into_any(),
        Some((Ok(ins), _)) if is_empty(&ins) => view! {
            <p role="status" class="empty">"No consent activity in this period for these filters. Choose a longer period or other filters."</p>
        }
        .into_any(),
        Some((Ok(ins), f)) => view! { <Charts ins filter=f /> }.into_any(),
    }
    };
    view! {
        <section class="page insights" aria-labelledby="insights-title">
            <h1 id="insights-title">"Consent insights"</h1>
            <p class="lead">"How opt-in requests are answered: the funnel, how fast contacts accept, opt-outs and failed sends. Every bar opens its records in the audit."</p>
            <InsightsFilters applied />
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(45)), "45 s");
        assert_eq!(duration(Some(600)), "10 min");
        assert_eq!(duration(Some(5 * 3600)), "5.0 h");
        assert_eq!(duration(Some(3 * 86400)), "3.0 days");
    }
}
