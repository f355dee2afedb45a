//! The inbox's search form: free text, consent status and channel. The
//! choices are the engine's own ([`StateName::ALL`], [`Channel::ALL`])
//! in the engine's words.

use leptos::prelude::*;
use optline_api::{Channel, StateName};

use crate::components::select::{ChannelSelect, StateSelect};

#[component]
pub fn InboxFilters(
    search: RwSignal<String>,
    state: RwSignal<Option<StateName>>,
    channel: RwSignal<Option<Channel>>,
) -> impl IntoView {
    view! {
        <form class="inbox-filters" role="search" on:submit=|ev| ev.prevent_default()>
            <label for="inbox-search">"Search"</label>
            <input
                id="inbox-search"
                type="search"
                placeholder="Name, number or message text"
                prop:value=search
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <label for="inbox-state">"Consent"</label>
            <StateSelect
                id="inbox-state"
                any="All states"
                value=state
                on_change=move |s| state.set(s)
            />
            <label for="inbox-channel">"Channel"</label>
            <ChannelSelect
                id="inbox-channel"
                any="All channels"
                value=channel
                on_change=move |c| channel.set(c)
            />
        </form>
    }
}
