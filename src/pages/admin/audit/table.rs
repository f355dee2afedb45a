//! The audit records as a table, actors named (`user:<id>` becomes the
//! user's name once the user list has arrived).

use leptos::prelude::*;
use optline_api::AuditRecord;

use crate::api_client;
use crate::pages::admin::Table;
use crate::server_calls::Loaded;
use crate::time;

const HEADERS: &[&str] = &[
    "Time",
    "Business number",
    "Contact",
    "Channel",
    "Actor",
    "Action",
    "Change",
    "Evidence",
    "Source",
];

/// The evidence's source in a few words: the provider, whether its
/// signature was verified, and the WhatsApp template that went out.
fn source_words(r: &AuditRecord) -> String {
    let Some(src) = r.source.as_deref() else {
        return "—".into();
    };
    let mut s = match src {
        "whatsapp" => "WhatsApp".to_string(),
        "twilio" => "Twilio".to_string(),
        other => other.to_string(),
    };
    if r.signature_verified {
        s.push_str(", signed");
    }
    if let Some(t) = &r.template_name {
        s.push_str(&format!(
            ", template {t} ({})",
            r.template_language.as_deref().unwrap_or("?")
        ));
    }
    s
}

#[component]
pub fn AuditTable(rows: RwSignal<Vec<AuditRecord>>) -> impl IntoView {
    let users = Loaded::new(api_client::users);
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
    view! {
        <Table headers=HEADERS>
            // Rows by position, not keyed: pages only append, so rows keep
            // their nodes, and no keyed-list code joins the bundle (issue 13).
            {move || rows.get().into_iter().map(|r| {
                let source = source_words(&r);
                view! {
                <tr>
                    <td>{time::local(&r.at)}</td>
                    <td>{r.business_number}</td>
                    <td>{r.contact_phone}</td>
                    <td>{r.channel.display_name()}</td>
                    <td>{move || actor(&r.actor)}</td>
                    <td>{r.action.replace('_', " ")}</td>
                    <td>{format!("{} → {}", r.from_state.replace('_', " "), r.to_state.replace('_', " "))}</td>
                    <td class="evidence">{r.evidence}</td>
                    <td class="source">{source}</td>
                </tr>
                }
            }).collect_view()}
        </Table>
    }
}
