//! The consent audit: this module loads the filtered records page by page;
//! [`filters`] is the filter form and its CSV export link, [`table`] the
//! records. The export is a plain link to the server's streamed CSV, so a
//! huge audit never passes through this page's memory.

mod filters;
mod table;

use leptos::prelude::*;
use optline_api::AuditRecord;

use crate::api_client::{self, ApiFailure, AuditFilter};
use filters::AuditFilters;
use table::AuditTable;

#[component]
pub fn AuditPage() -> impl IntoView {
    // Applied filters: the list reloads on "Apply", not on every keystroke.
    let applied = RwSignal::new(AuditFilter::default());
    let rows = RwSignal::new(Vec::<AuditRecord>::new());
    let next = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ApiFailure>);

    let load = Action::new_local(move |cursor: &Option<String>| {
        let more = cursor.is_some();
        let (filter, cursor) = (applied.get_untracked(), cursor.clone());
        async move { (more, api_client::audit(&filter, cursor).await) }
    });
    Effect::new(move |_| {
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
    Effect::new(move |_| {
        applied.track();
        load.dispatch(None);
    });

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
            <AuditFilters applied failure />
            {move || {
                failure
                    .get()
                    .filter(|e| e.field.is_none())
                    .map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })
            }}
            <p role="status" class="form-status">{shown}</p>
            <AuditTable rows />
            <Show when=move || next.with(Option::is_some)>
                <button type="button" class="secondary" on:click=move |_| { load.dispatch(next.get_untracked()); }>
                    "Load more"
                </button>
            </Show>
        </section>
    }
}
