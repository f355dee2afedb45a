//! The line-of-business picker of the settings screens, listing the
//! organization's lines of business from the admin's context.

use leptos::prelude::*;

use super::admin;
use crate::components::select::{options, Select};

#[component]
pub fn LobSelect(
    #[prop(optional)] id: Option<&'static str>,
    /// The accessible name when no `<label for>` names it.
    #[prop(optional, into)]
    aria_label: Option<String>,
    /// The text of a first choice meaning "every line of business".
    #[prop(optional)]
    any: Option<&'static str>,
    #[prop(into)] value: Signal<Option<i64>>,
    #[prop(into)] on_change: Callback<Option<i64>>,
    /// Asked before a change; `false` keeps the current choice.
    #[prop(optional)]
    allow: Option<Callback<(), bool>>,
) -> impl IntoView {
    let lobs = admin().me.lines_of_business;
    let options = options(
        any,
        lobs.iter().map(|l| (l.id, l.name.as_str())),
        |(id, _)| id.to_string(),
        |(_, name)| name.to_string(),
    );
    let value = Signal::derive(move || value.get().map(|v| v.to_string()).unwrap_or_default());
    let on_change = Callback::new(move |v: String| on_change.run(v.parse().ok()));
    view! { <Select id aria_label options value on_change allow /> }
}
