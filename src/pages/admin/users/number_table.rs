//! The business numbers table: who uses each number, its line of business
//! and provider, and a switch per channel (SMS, WhatsApp).

use leptos::prelude::*;
use optline_api::{BusinessNumber, Channel, UpdateNumberRequest, User};

use super::UpdateNumber;
use crate::pages::admin::{admin, lob_name, Table};

const HEADERS: &[&str] = &[
    "Number",
    "Used by",
    "Line of business",
    "Provider",
    "SMS",
    "WhatsApp",
];

fn provider_name(p: &str) -> String {
    match p {
        "simulator" => "Simulator".into(),
        "whatsapp_cloud" => "WhatsApp Cloud API".into(),
        "twilio" => "Twilio".into(),
        other => other.into(),
    }
}

/// A checkbox exposed as a switch: its accessible name says which channel of
/// which number, its state says on or off.
#[component]
fn Switch(label: String, on: bool, toggle: impl Fn(bool) + 'static) -> impl IntoView {
    view! {
        <label class="switch">
            <input
                type="checkbox"
                role="switch"
                aria-label=label
                prop:checked=on
                on:change=move |ev| toggle(event_target_checked(&ev))
            />
            <span aria-hidden="true">{if on { "On" } else { "Off" }}</span>
        </label>
    }
}

#[component]
pub fn NumberTable(
    numbers: Vec<BusinessNumber>,
    users: Vec<User>,
    update: UpdateNumber,
) -> impl IntoView {
    let ctx = admin();
    let rows = numbers
        .into_iter()
        .map(|n| {
            let id = n.id;
            let owner = n
                .user_id
                .and_then(|u| users.iter().find(|x| x.id == u))
                .map(|u| u.name.clone())
                .unwrap_or_else(|| "—".into());
            let switches = Channel::ALL.map(|channel| {
                let on = match channel {
                    Channel::Sms => n.sms_enabled,
                    Channel::WhatsApp => n.whatsapp_enabled,
                };
                let toggle = move |on: bool| {
                    let whatsapp = channel == Channel::WhatsApp;
                    let req = UpdateNumberRequest {
                        sms_enabled: (!whatsapp).then_some(on),
                        whatsapp_enabled: whatsapp.then_some(on),
                        user_id: None,
                        provider: None,
                    };
                    update.dispatch((id, req));
                };
                let label = format!("{} for {}", channel.display_name(), n.phone);
                view! { <td><Switch label on toggle /></td> }
            });
            view! {
                <tr>
                    <th scope="row">{n.phone.clone()}</th>
                    <td>{owner}</td>
                    <td>{lob_name(&ctx, Some(n.line_of_business_id))}</td>
                    <td>{provider_name(&n.provider)}</td>
                    {switches}
                </tr>
            }
        })
        .collect_view();
    view! {
        <Table headers=HEADERS>{rows}</Table>
        <p class="hint">
            "Turning a channel off makes the number's inbound messages on it get the flow's "
            "auto-reply, and agents see the channel as unavailable."
        </p>
    }
}
