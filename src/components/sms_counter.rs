//! The SMS segment count under the composer (DESIGN.md rule 17): how many
//! segments the carrier will send for the text as typed, and "(Unicode)"
//! once a character needs UCS-2. The counting and the words are the wasm
//! engine's (`sms_count`, `texts::sms_segments`); this only renders them.
//!
//! Only the count sits in the polite live region, so a screen reader hears
//! "2 SMS segments" when the count changes, not every keystroke; the room
//! left in the segment is shown beside it, outside the region.

use leptos::prelude::*;
use optline_engine::{sms_count, texts};

#[component]
pub fn SmsCounter(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let count = Memo::new(move |_| text.with(|t| sms_count(t)));
    let label = Memo::new(move |_| {
        count.with(|c| {
            if c.segments == 0 {
                String::new()
            } else {
                texts::sms_segments(c)
            }
        })
    });
    let left = move || {
        count.with(|c| (c.segments > 0).then(|| format!(" · {}", texts::sms_units_left(c))))
    };
    view! {
        <p class="sms-count hint" id="composer-segments">
            <span role="status" aria-live="polite">{move || label.get()}</span>
            <span class="muted">{left}</span>
        </p>
    }
}
