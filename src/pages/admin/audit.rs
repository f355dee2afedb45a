//! The consent audit: filter by contact, number, channel and date; page
//! through the records; export the filtered set as CSV. The export is a
//! plain link to the server's streamed CSV, so a huge audit never passes
//! through this page's memory.

use leptos::prelude::*;
use optline_api::{AuditPage as Page, AuditRecord, UserList};
use web_sys::js_sys::encode_uri_component;

use crate::net;
use crate::time;

/// The filters as typed.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    contact: String,
    number: String,
    channel: String,
    from: String,
    to: String,
}

impl Filters {
    /// The query string both the list and the CSV export use, so the export
    /// is exactly the filtered set. Dates are local calendar days; `to`
    /// includes its whole day (the server's `to` is exclusive).
    fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, v) in [
            ("contact", &self.contact),
            ("number", &self.number),
            ("channel", &self.channel),
        ] {
            if !v.trim().is_empty() {
                pairs.push((k, v.trim().to_string()));
            }
        }
        if let Some(t) = time::local_midnight_utc(&self.from, 0) {
            pairs.push(("from", t));
        }
        if let Some(t) = time::local_midnight_utc(&self.to, 1) {
            pairs.push(("to", t));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", String::from(encode_uri_component(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let contact = RwSignal::new(String::new());
    let number = RwSignal::new(String::new());
    let channel = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    // Applied filters: the list reloads on "Apply", not on every keystroke.
    let applied = RwSignal::new(Filters::default());
    let rows = RwSignal::new(Vec::<AuditRecord>::new());
    let next = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<net::ApiFailure>);
    // Actors come as `user:<id>`; people read names.
    let users = LocalResource::new(|| net::get_json::<UserList>("/api/v1/admin/users"));
    let actor = move |a: &str| -> String {
        let named = a
            .strip_prefix("user:")
            .and_then(|id| id.parse::<i64>().ok())
            .and_then(|id| {
                users.with(|l| {
                    l.as_ref()
                        .and_then(|r| r.as_ref().ok())
                        .and_then(|l| l.users.iter().find(|u| u.id == id))
                        .map(|u| u.name.clone())
                })
            });
        named.unwrap_or_else(|| a.to_string())
    };

    let load = Action::new_local(move |(q, cursor): &(String, Option<String>)| {
        let mut url = format!("/api/v1/admin/audit?limit=100&{q}");
        if let Some(c) = cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let more = cursor.is_some();
        async move { (more, net::get_json::<Page>(&url).await) }
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
        load.dispatch((applied.get().query(), None));
    });

    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(Filters {
            contact: contact.get_untracked(),
            number: number.get_untracked(),
            channel: channel.get_untracked(),
            from: from.get_untracked(),
            to: to.get_untracked(),
        });
    };
    let csv_href = move || format!("/api/v1/admin/audit.csv?{}", applied.get().query());
    let field_error = move |name: &'static str| {
        failure.with(|f| {
            f.as_ref()
                .filter(|e| e.field.as_deref() == Some(name))
                .map(|e| e.message.clone())
                .unwrap_or_default()
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
                    {move || {
                        let m = field_error(field);
                        (!m.is_empty()).then(|| view! { <p class="field-error">{m}</p> })
                    }}
                </div>
            </div>
        }
    };

    view! {
        <section class="page" aria-labelledby="audit-title">
            <h1 id="audit-title">"Consent audit"</h1>
            <p class="lead">"Every consent change, with who made it and the evidence. Records are never changed or deleted."</p>
            <form class="audit-filters" on:submit=apply aria-label="Audit filters">
                <div class="field-grid">
                    {text("audit-contact", "Contact phone", "tel", contact, "contact")}
                    {text("audit-number", "Business number", "tel", number, "number")}
                    <div class="field">
                        <label for="audit-channel">"Channel"</label>
                        <select id="audit-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                            <option value="">"Both"</option>
                            <option value="whatsapp">"WhatsApp"</option>
                            <option value="sms">"SMS"</option>
                        </select>
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
            {move || {
                failure
                    .get()
                    .filter(|e| e.field.is_none())
                    .map(|e| view! { <p role="alert" class="error-box">{e.message}</p> })
            }}
            <p role="status" class="form-status">
                {move || {
                    let n = rows.with(Vec::len);
                    format!("{n} record{}{} shown.", if n == 1 { "" } else { "s" }, if next.with(Option::is_some) { " (more available)" } else { "" })
                }}
            </p>
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Business number"</th>
                            <th scope="col">"Contact"</th>
                            <th scope="col">"Channel"</th>
                            <th scope="col">"Actor"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Change"</th>
                            <th scope="col">"Evidence"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|r| r.id let:r>
                            <tr>
                                <td>{time::local(&r.at)}</td>
                                <td>{r.business_number}</td>
                                <td>{r.contact_phone}</td>
                                <td>{if r.channel == optline_api::Channel::Sms { "SMS" } else { "WhatsApp" }}</td>
                                <td>{move || actor(&r.actor)}</td>
                                <td>{r.action.replace('_', " ")}</td>
                                <td>{format!("{} → {}", r.from_state.replace('_', " "), r.to_state.replace('_', " "))}</td>
                                <td class="evidence">{r.evidence}</td>
                            </tr>
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || next.with(Option::is_some)>
                <button
                    type="button"
                    class="secondary"
                    on:click=move |_| {
                        load.dispatch((applied.get_untracked().query(), next.get_untracked()));
                    }
                >
                    "Load more"
                </button>
            </Show>
        </section>
    }
}
