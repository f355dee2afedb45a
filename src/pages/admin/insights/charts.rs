//! The insights' charts, drawn as SVG by the app (no chart library), each
//! with a table view of the same numbers for screen readers and keyboards.
//!
//! A bar is a link to the audit filtered to exactly the records it counts
//! (same stage, how, period and filters: the server counts both with one
//! definition). Bars without audit records behind them ("no answer",
//! failed sends) are plain.

use leptos::prelude::*;
use optline_api::{Insights, InsightsDay};

use crate::api_client::AuditFilter;
use crate::decimals::fixed;
use crate::navigation::use_location;

/// One horizontal bar: its label, count and (when it has records) the
/// audit page showing them.
#[derive(Clone)]
pub struct Bar {
    pub label: String,
    pub count: i64,
    pub href: Option<String>,
    /// A sub-row (opt-outs by how), drawn indented.
    pub sub: bool,
    /// The bar's colour class (`tone-accept`, …); empty takes the chart's.
    pub tone: &'static str,
}

/// Bar length in the SVG's 0–100 coordinates; a non-zero count stays visible.
fn length(count: i64, max: i64) -> f64 {
    if count <= 0 || max <= 0 {
        return 0.0;
    }
    (count as f64 / max as f64 * 100.0).max(0.8)
}

/// Horizontal bars with their counts; rows with a link open the audit.
#[component]
pub fn BarChart(
    /// The chart's heading id (names the list).
    labelled_by: &'static str,
    bars: Vec<Bar>,
    /// The `class` of the bars (colour).
    tone: &'static str,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0);
    let rows = bars
        .into_iter()
        .map(|b| {
            let w = length(b.count, max);
            let tone = if b.tone.is_empty() { tone } else { b.tone };
            let svg = view! {
                <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                    <rect class="bar-track" x="0" y="0" width="100" height="10" />
                    <rect class=tone x="0" y="0" width=fixed(w, 2) height="10" />
                </svg>
            };
            // A link is named by its visible words (label, count).
            let name = format!("{} {}", b.label, b.count);
            let class = if b.sub { "bar-row sub" } else { "bar-row" };
            let inner = view! {
                <span class="bar-label">{b.label.clone()}</span>
                {svg}
                <span class="bar-count">{b.count}</span>
            };
            match b.href {
                Some(href) => view! {
                    <li class=class>
                        <a class="bar-link" href=href title=format!("{name}: open these records in the audit")>
                            {inner}
                        </a>
                    </li>
                }
                .into_any(),
                None => view! { <li class=class><div class="bar-link">{inner}</div></li> }.into_any(),
            }
        })
        .collect_view();
    view! { <ul class="bar-chart" aria-labelledby=labelled_by>{rows}</ul> }
}

/// The same bars as a table.
#[component]
pub fn BarTable(caption: &'static str, bars: Vec<Bar>) -> impl IntoView {
    let rows = bars
        .into_iter()
        .map(|b| {
            let label = if b.sub {
                format!("— {}", b.label)
            } else {
                b.label.clone()
            };
            let count = match b.href {
                Some(h) => view! { <a href=h>{b.count}</a> }.into_any(),
                None => view! { <span>{b.count}</span> }.into_any(),
            };
            view! { <tr><th scope="row">{label}</th><td>{count}</td></tr> }
        })
        .collect_view();
    view! {
        <details class="table-view">
            <summary>{format!("{caption} as a table")}</summary>
            <div class="table-wrap">
                <table>
                    <caption>{caption}</caption>
                    <thead><tr><th scope="col">"What"</th><th scope="col">"Count"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}

/// Which daily series a bar belongs to.
#[derive(Clone, Copy, PartialEq)]
pub enum Series {
    Requests,
    Acceptances,
    OptOuts,
}

impl Series {
    pub const ALL: [Series; 3] = [Series::Requests, Series::Acceptances, Series::OptOuts];
    pub fn label(self) -> &'static str {
        match self {
            Series::Requests => "Requests",
            Series::Acceptances => "Acceptances",
            Series::OptOuts => "Opt-outs",
        }
    }
    fn class(self) -> &'static str {
        match self {
            Series::Requests => "tone-request",
            Series::Acceptances => "tone-accept",
            Series::OptOuts => "tone-optout",
        }
    }
    fn count(self, d: &InsightsDay) -> i64 {
        match self {
            Series::Requests => d.requests,
            Series::Acceptances => d.acceptances,
            Series::OptOuts => d.opt_outs,
        }
    }
}

/// The audit records behind one day's bar of `series`: that UTC day,
/// clipped to the period counted.
pub fn day_href(base: &AuditFilter, ins: &Insights, day: &str, series: Series) -> Vec<String> {
    let start = format!("{day}T00:00:00Z");
    // The next midnight, through the RFC 3339 reader the app has anyway
    // (chrono's `%Y-%m-%d` parser alone is about 5 KB of the settings).
    let end = crate::time::parse(&start)
        .and_then(|t| t.checked_add_signed(chrono::TimeDelta::days(1)))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| start.clone());
    let clip = |a: &str, b: &str, later: bool| {
        let (ta, tb) = (crate::time::parse(a), crate::time::parse(b));
        match (ta, tb) {
            (Some(x), Some(y)) if (x > y) == later => a.to_string(),
            _ => b.to_string(),
        }
    };
    let from = clip(&start, &ins.from, true);
    let to = clip(&end, &ins.to, false);
    let stages: &[optline_api::FunnelStage] = match series {
        Series::Requests => &[
            optline_api::FunnelStage::AgentRequest,
            optline_api::FunnelStage::AutoReprompt,
        ],
        Series::Acceptances => &[optline_api::FunnelStage::Accepted],
        Series::OptOuts => &[optline_api::FunnelStage::OptedOut],
    };
    stages
        .iter()
        .map(|s| {
            AuditFilter {
                from: Some(from.clone()),
                to: Some(to.clone()),
                stage: Some(*s),
                ..base.clone()
            }
            .page_href()
        })
        .collect()
}

/// Requests, acceptances and opt-outs per UTC day as grouped columns; a
/// click on a column opens that day's records in the audit (requests open
/// the agents' requests; the table view links both kinds).
#[component]
pub fn DailyChart(ins: Insights, base: AuditFilter) -> impl IntoView {
    let days = ins.daily.clone();
    let max = days
        .iter()
        .flat_map(|d| Series::ALL.map(|s| s.count(d)))
        .max()
        .unwrap_or(0)
        .max(1);
    // Each day is 4 units wide: three bars and a gap.
    let width = days.len().max(1) * 4;
    let location = use_location();
    let bars = days
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            Series::ALL.into_iter().enumerate().map({
                let ins = ins.clone();
                let base = base.clone();
                move |(k, s)| {
                    let c = s.count(d);
                    let h = if c > 0 {
                        (c as f64 / max as f64 * 100.0).max(1.5)
                    } else {
                        0.0
                    };
                    let x = i as f64 * 4.0 + k as f64 + 0.5;
                    let href = day_href(&base, &ins, &d.day, s).into_iter().next();
                    view! {
                        <rect
                            class=format!("{} day-bar", s.class())
                            x=fixed(x, 2)
                            y=fixed(100.0 - h, 2)
                            width="0.9"
                            height=fixed(h, 2)
                            data-day=d.day.clone()
                            data-series=s.label()
                            data-count=c
                            on:click=move |_| {
                                if let Some(h) = &href {
                                    location.go(h);
                                }
                            }
                        />
                    }
                }
            })
        })
        .collect_view();
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    view! {
        <div class="daily-chart">
            <svg viewBox=format!("0 0 {width} 100") preserveAspectRatio="none" class="daily" role="img"
                aria-label=format!("Requests, acceptances and opt-outs per day from {first} to {last}; the table view lists the numbers.")>
                {bars}
            </svg>
            <div class="daily-axis" aria-hidden="true"><span>{first}</span><span>{format!("max {max} a day")}</span><span>{last}</span></div>
            <ul class="legend" aria-hidden="true">
                {Series::ALL.map(|s| view! { <li><span class=format!("swatch {}", s.class())></span>{s.label()}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// The daily numbers as a table, each count a link to its records.
#[component]
pub fn DailyTable(ins: Insights, base: AuditFilter) -> impl IntoView {
    let rows = ins
        .daily
        .iter()
        .map(|d| {
            let cells = Series::ALL
                .map(|s| {
                    let c = s.count(d);
                    let hrefs = day_href(&base, &ins, &d.day, s);
                    let links = if c == 0 || s != Series::Requests {
                        let h = hrefs.into_iter().next().unwrap_or_default();
                        view! { <a href=h aria-label=format!("{}: {c} {}", d.day, s.label().to_lowercase())>{c}</a> }.into_any()
                    } else {
                        let (a, r) = (d.requests, hrefs);
                        view! {
                            <span>{a}" ("
                                <a href=r[0].clone()>"by agents"</a>", "
                                <a href=r[1].clone()>"automatic"</a>")"
                            </span>
                        }
                        .into_any()
                    };
                    view! { <td>{links}</td> }
                })
                .collect_view();
            view! { <tr><th scope="row">{d.day.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <details class="table-view">
            <summary>"Daily series as a table"</summary>
            <div class="table-wrap">
                <table>
                    <caption>"Per day (UTC)"</caption>
                    <thead><tr>
                        <th scope="col">"Day"</th>
                        {Series::ALL.map(|s| view! { <th scope="col">{s.label()}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}
