//! The "Change time zone…" form, fetched on its first use. It collects the
//! zone and a reason, sends them, and shows the server's answer.

use crate::effects::effect;
use leptos::html;
use leptos::prelude::*;
use optline_api::{Contact, ContactTimeZoneRequest};

use crate::api_client::{self, ApiFailure};
use crate::server_calls::Task;

/// What the form sends: the contact and the request.
type Change = (i64, ContactTimeZoneRequest);

/// The form, drawn while `open`; starts from the contact's current zone.
#[component]
pub fn TimeZoneForm(
    contact: Signal<Option<Contact>>,
    on_changed: Callback<Contact>,
    open: RwSignal<bool>,
    /// The button that opened the form: focus goes back there on Cancel.
    opener: NodeRef<html::Button>,
) -> impl IntoView {
    let zone = RwSignal::new(
        contact
            .get_untracked()
            .map(|c| c.time_zone)
            .unwrap_or_default(),
    );
    let note = RwSignal::new(String::new());
    let save = Task::new(|(id, req): &Change| api_client::set_contact_time_zone(*id, req.clone()));
    let failure = Memo::new(move |_| save.value().get().and_then(Result::err));
    // Keyboard users land in the field they came for, and back in it when
    // the server refused it (the Save button they pressed was disabled
    // meanwhile, which drops focus).
    let zone_input = NodeRef::<html::Input>::new();
    // The form may be built before it is on the page (fetched on demand):
    // focus next frame, when it is there.
    effect(move || {
        failure.track();
        if let Some(input) = zone_input.get() {
            request_animation_frame(move || {
                let _ = input.focus();
            });
        }
    });
    effect(move || {
        if let Some(Ok(c)) = save.value().get() {
            on_changed.run(c);
            open.set(false);
        }
    });
    // Closing without saving gives focus back to the button that opened it.
    let close = move || {
        open.set(false);
        if let Some(b) = opener.get_untracked() {
            let _ = b.focus();
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(c) = contact.get_untracked() else {
            return;
        };
        let n = note.get_untracked();
        save.dispatch((
            c.id,
            ContactTimeZoneRequest {
                time_zone: zone.get_untracked().trim().to_string(),
                note: (!n.trim().is_empty()).then_some(n),
            },
        ));
    };
    let zone_error = move || field_error(failure.get(), "time_zone");
    view! {
            <form class="time-zone-form" role="group" aria-labelledby="tz-form-title" on:submit=submit novalidate
                on:keydown=move |ev| if ev.key() == "Escape" {
                    // Handled here: the workspace must not also move focus.
                    ev.prevent_default();
                    close();
                }>
                <p id="tz-form-title" class="form-title">"Change the contact's time zone"</p>
                <p class="hint">
                    "Quiet hours follow this zone. The change is recorded in the consent audit."
                </p>
                <label for="tz-zone">"Time zone (IANA name)"</label>
                <input
                    id="tz-zone"
                    node_ref=zone_input
                    type="text"
                    list="tz-candidates"
                    autocomplete="off"
                    placeholder="America/New_York"
                    aria-invalid=move || zone_error().is_some().to_string()
                    aria-describedby="tz-zone-error"
                    prop:value=zone
                    on:input=move |ev| zone.set(event_target_value(&ev))
                />
                <datalist id="tz-candidates">
                    {move || contact.get().map(|c| c.time_zones.into_iter().map(|z| view! { <option value=z.clone()></option> }).collect_view())}
                </datalist>
                {move || zone_error().map(|e| view! { <p id="tz-zone-error" class="field-error">{e}</p> })}
                <label for="tz-note">"Reason (kept in the audit)"</label>
                <input id="tz-note" type="text" prop:value=note on:input=move |ev| note.set(event_target_value(&ev)) />
                {move || failure.get().filter(|f| f.field.as_deref() != Some("time_zone")).map(|f| view! {
                    <p class="notice error" role="alert">{f.message}</p>
                })}
                <div class="actions">
                    <button type="submit" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save time zone" }}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| close()>"Cancel"</button>
                </div>
            </form>
    }
}

/// The server's message when it named `field`.
fn field_error(failure: Option<ApiFailure>, field: &str) -> Option<String> {
    failure
        .filter(|f| f.field.as_deref() == Some(field))
        .map(|f| f.message)
}
