//! The audit's filter form (contact, number, channel, local dates) and the
//! CSV export link for exactly the applied filters. The server's complaints
//! about a filter show beside its box.

use leptos::prelude::*;

use crate::api_client::{self, ApiFailure, AuditFilter};
use crate::components::select::ChannelSelect;
use crate::time;

#[component]
pub fn AuditFilters(
    /// Set on "Apply filters".
    applied: RwSignal<AuditFilter>,
    /// The last load's failure (its `field` names a box).
    failure: RwSignal<Option<ApiFailure>>,
) -> impl IntoView {
    let contact = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    let channel = RwSignal::new(applied.with_untracked(|a| a.channel));
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());

    // Dates are local calendar days; `to` includes its whole day (the
    // server's `to` is exclusive).
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A chart's stage, how, line of business and agent stay until
        // cleared (they have no box here).
        let kept = applied.get_untracked();
        applied.set(AuditFilter {
            contact: contact.get_untracked(),
            number: number.get_untracked(),
            channel: channel.get_untracked(),
            from: time::local_midnight_utc(&from.get_untracked(), 0),
            to: time::local_midnight_utc(&to.get_untracked(), 1),
            ..kept
        });
    };
    let csv_href = move || applied.with(api_client::audit_csv_url);
    let field_error = move |name: &'static str| {
        failure.with(|f| {
            f.as_ref()
                .filter(|e| e.field.as_deref() == Some(name))
                .map(|e| e.message.clone())
        })
    };
    let text = move |id: &'static str,
                     label: &'static str,
                     kind: &'static str,
                     sig: RwSignal<String>,
                     field: &'static str| {
        let err = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type=kind
                    aria-describedby=err.clone()
                    prop:value=move || sig.get()
                    on:input=move |ev| sig.set(event_target_value(&ev))
                />
                <div class="field-errors" id=err>
                    {move || field_error(field).map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
            </div>
        }
    };

    view! {
        <form class="audit-filters" on:submit=apply aria-label="Audit filters">
            <div class="field-grid">
                {text("audit-contact", "Contact phone", "tel", contact, "contact")}
                {text("audit-number", "Business number", "tel", number, "number")}
                <div class="field">
                    <label for="audit-channel">"Channel"</label>
                    <ChannelSelect
                        id="audit-channel"
                        any="Both"
                        value=channel
                        on_change=move |c| channel.set(c)
                    />
                </div>
                {text("audit-from", "From (date)", "date", from, "from")}
                {text("audit-to", "To (date, inclusive)", "date", to, "to")}
            </div>
            <div class="form-actions">
                <button type="submit">"Apply filters"</button>
                <a class="button-link" href=csv_href download="consent-audit.csv">
                    "Export CSV"
                </a>
            </div>
        </form>
    }
}
