//! Drop-down pickers: [`Select`], a `<select>` of fixed options bound to a
//! signal, and its typed forms for the engine's channels ([`ChannelSelect`])
//! and consent states ([`StateSelect`]), worded by the engine itself.

use leptos::prelude::*;
use optline_api::{Channel, StateName};

/// A `<select>` showing `value` among `options` (`(value, text)` pairs).
/// `allow` is asked before a change takes effect; when it says no, the
/// select shows `value` again and `on_change` is not called.
#[component]
pub fn Select(
    #[prop(optional_no_strip)] id: Option<&'static str>,
    /// The accessible name when no `<label for>` names it.
    #[prop(optional_no_strip)]
    aria_label: Option<String>,
    options: Vec<(String, String)>,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_change: Callback<String>,
    #[prop(optional_no_strip)] allow: Option<Callback<(), bool>>,
) -> impl IntoView {
    let changed = move |ev: leptos::ev::Event| {
        let select: web_sys::HtmlSelectElement = event_target(&ev);
        if allow.is_none_or(|a| a.run(())) {
            on_change.run(select.value());
        } else {
            select.set_value(&value.get_untracked());
        }
    };
    view! {
        <select id=id aria-label=aria_label prop:value=value on:change=changed>
            {options
                .into_iter()
                .map(|(v, text)| view! { <option value=v>{text}</option> })
                .collect_view()}
        </select>
    }
}

/// `(value, text)` pairs: an optional "any" choice (`""`), then `items`.
pub fn options<T: Copy>(
    any: Option<&'static str>,
    items: impl IntoIterator<Item = T>,
    value: impl Fn(T) -> String,
    text: impl Fn(T) -> String,
) -> Vec<(String, String)> {
    any.map(|a| (String::new(), a.to_string()))
        .into_iter()
        .chain(items.into_iter().map(|i| (value(i), text(i))))
        .collect()
}

/// SMS or WhatsApp (or, with `any`, neither in particular: `None`).
#[component]
pub fn ChannelSelect(
    #[prop(optional)] id: Option<&'static str>,
    /// The text of a first choice meaning "any channel".
    #[prop(optional)]
    any: Option<&'static str>,
    #[prop(into)] value: Signal<Option<Channel>>,
    #[prop(into)] on_change: Callback<Option<Channel>>,
    #[prop(optional)] allow: Option<Callback<(), bool>>,
) -> impl IntoView {
    let options = options(
        any,
        Channel::ALL,
        |c| c.as_str().into(),
        |c| c.display_name().into(),
    );
    let value = Signal::derive(move || value.get().map(|c| c.as_str()).unwrap_or("").to_string());
    let on_change = Callback::new(move |v: String| on_change.run(Channel::parse(&v)));
    view! { <Select id options value on_change allow /> }
}

/// A stored consent state, in the engine's words (or, with `any`, `None`).
/// "Pending" includes expired requests: expiry is derived, not stored.
#[component]
pub fn StateSelect(
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] any: Option<&'static str>,
    #[prop(into)] value: Signal<Option<StateName>>,
    #[prop(into)] on_change: Callback<Option<StateName>>,
) -> impl IntoView {
    let options = options(
        any,
        StateName::ALL,
        |s| s.as_str().into(),
        |s| s.label().into(),
    );
    let value = Signal::derive(move || value.get().map(|s| s.as_str()).unwrap_or("").to_string());
    let on_change = Callback::new(move |v: String| on_change.run(StateName::parse(&v)));
    view! { <Select id options value on_change /> }
}
