//! The consent audit: this module loads the filtered records page by page;
//! [`filters`] is the filter form and its CSV export link, [`table`] the
//! records. The export is a plain link to the server's streamed CSV, so a
//! huge audit never passes through this page's memory. The page's address
//! may carry filters (`/admin/audit?stage=accepted&from=…`): an insights
//! chart's bar opens exactly the records it counts that way.

mod filters;
mod table;

use crate::effects::effect;
use leptos::prelude::*;
use optline_api::AuditRecord;

use crate::api_client::{self, ApiFailure, AuditFilter};
use crate::condition::condition;
use crate::navigation::use_location;
use crate::server_calls::Task;
use filters::AuditFilters;
use table::AuditTable;

#[component]
pub fn AuditPage() -> impl IntoView {
    // Applied filters: the list reloads on "Apply", not on every keystroke.
    // The address's filters apply from the start.
    let location = use_location();
    let applied = RwSignal::new(AuditFilter::from_query(|k| location.query(k)));
    let rows = RwSignal::new(Vec::<AuditRecord>::new());
    let next = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ApiFailure>);

    let load = Task::new(move |cursor: &Option<String>| {
        let more = cursor.is_some();
        let (filter, cursor) = (applied.get_untracked(), cursor.clone());
        async move { (more, api_client::audit(&filter, cursor).await) }
    });
    effect(move || {
        if let Some((more, r)) = load.value().get() {
            match r {
                Ok(p) => {
                    failure.set(None);
                    if more {
                        rows.update(|rs| rs.extend(p.items));
                    } else {
                        rows.set(p.items);
                    }
                    next.set(p.next_cursor);
                }
                Err(e) => failure.set(Some(e)),
            }
        }
    });
    effect(move || {
        applied.track();
        load.dispatch(None);
    });

    let more = condition(move || next.with(Option::is_some));
    let shown = move || {
        let n = rows.with(Vec::len);
        let more = if next.with(Option::is_some) {
            " (more available)"
        } else {
            ""
        };
        format!("{n} record{}{more} shown.", if n == 1 { "" } else { "s" })
    };

    view! {
        <section class="page" aria-labelledby="audit-title">
            <h1 id="audit-title">"Consent audit"</h1>
            <p class="lead">"Every consent change, with who made it and the evidence. Records are never changed or deleted."</p>
            <ChartFilters applied />
            <AuditFilters applied failure />
            {move || {
                failure
                    .get()
                    .filter(|e| e.field.is_none())
                    .map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })
            }}
            <p role="status" class="form-status">{shown}</p>
            <AuditTable rows />
            {move || more.get().then(|| view! {
                <button type="button" class="secondary" on:click=move |_| { load.dispatch(next.get_untracked()); }>
                    "Load more"
                </button>
            })}
        </section>
    }
}

/// The filters a chart's bar added (funnel stage, how, period, line of
/// business, agent), in words, with a way back to every record.
#[component]
fn ChartFilters(applied: RwSignal<AuditFilter>) -> impl IntoView {
    let words = move || {
        let f = applied.get();
        let mut parts = Vec::new();
        if let Some(s) = f.stage {
            parts.push(format!("stage: {}", s.as_str().replace('_', " ")));
        }
        if let Some(h) = &f.how {
            parts.push(format!("how: {}", h.replace('_', " ")));
        }
        if let (Some(a), Some(b)) = (&f.from, &f.to) {
            parts.push(format!(
                "from {} to {}",
                crate::time::local(a),
                crate::time::local(b)
            ));
        }
        if let Some(l) = f.lob {
            parts.push(format!(
                "line of business: {}",
                super::lob_name(&super::admin(), Some(l))
            ));
        }
        if let Some(a) = f.agent {
            parts.push(format!("agent #{a}"));
        }
        let from_chart = f.stage.is_some() || f.lob.is_some() || f.agent.is_some();
        (from_chart && !parts.is_empty()).then(|| parts.join(", "))
    };
    move || {
        words().map(|w| {
            view! {
                <p class="chart-filters" role="status">
                    {format!("Showing the records of an insights chart ({w}). ")}
                    <a href="/admin/audit" on:click=move |_| applied.set(AuditFilter::default())>
                        "Show every record"
                    </a>
                </p>
            }
        })
    }
}
