//! The SMS segment limit of a flow (DESIGN.md rule 17), shown for SMS flows
//! only; `validate` checks its range and every text against it.

use leptos::prelude::*;
use optline_engine::Channel;

use super::draft::Draft;
use super::fields::{Problems, TextField};
use crate::condition::condition;

#[component]
pub fn SmsLimitField(
    draft: Draft,
    problems: Problems,
    #[prop(into)] channel: Signal<Channel>,
) -> impl IntoView {
    let sms = condition(move || channel.get() == Channel::Sms);
    view! {
        {move || sms.get().then(|| view! {
            <fieldset>
                <legend>"SMS length"</legend>
                <TextField
                field="max_sms_segments"
                label="Most SMS segments per message"
                hint="Carriers bill each segment. 1 to 10; 2 is usual."
                value=draft.max_segments
                errors=problems.of("max_sms_segments")
                numeric=true
                />
            </fieldset>
        })}
    }
}
