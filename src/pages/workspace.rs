//! The agent's workspace: the conversation list and the open conversation
//! side by side from 1024 px, one at a time below (CSS decides which pane
//! shows; both follow the URL, so deep links and back/forward work).
//!
//! It owns the keyboard between the panes: opening a conversation moves
//! focus into it, and Escape there returns focus to the list (or, when the
//! list is not shown, goes back to it).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::address::Page;
use crate::condition::condition;
use crate::navigation::use_location;
use crate::pages::inbox::Inbox;
use crate::pages::thread::Thread;

/// The DOM id of the conversation list (the listbox).
pub const LIST_ID: &str = "conversation-list";
/// The DOM id of the pane that holds the open conversation.
pub const PANE_ID: &str = "conversation-pane";

fn element(id: &str) -> Option<web_sys::HtmlElement> {
    document().get_element_by_id(id)?.dyn_into().ok()
}

/// Moves focus into the conversation pane once it is drawn.
pub fn focus_conversation() {
    request_animation_frame(|| {
        if let Some(pane) = element(PANE_ID) {
            let _ = pane.focus();
        }
    });
}

#[component]
pub fn Workspace() -> impl IntoView {
    let location = use_location();
    let open = Memo::new(move |_| match location.page.get() {
        Page::Workspace { open } => open,
        _ => None,
    });
    // The pane is rebuilt only when a conversation opens or closes; another
    // conversation is the same thread view with a new id.
    let any_open = condition(move || open.get().is_some());
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        // An Escape already handled, or meant for an open dialog (whose
        // native close must not be cancelled), is not ours.
        if ev.key() != "Escape" || ev.default_prevented() || inside_dialog(&ev) {
            return;
        }
        ev.prevent_default();
        match element(LIST_ID) {
            // Two panes: the list is on screen (a hidden one has no box).
            Some(list) if list.offset_parent().is_some() => {
                let _ = list.focus();
            }
            _ => {
                let search = window().location().search().unwrap_or_default();
                location.go(&format!("/inbox{search}"));
            }
        }
    };
    view! {
        <div class="workspace" class:has-open=any_open>
            <div class="workspace-list">
                <Inbox open=Signal::derive(move || open.get()) />
            </div>
            <div class="workspace-thread" id=PANE_ID tabindex="-1" on:keydown=on_key>
                {move || {
                    if any_open.get() {
                        view! { <Thread /> }.into_any()
                    } else {
                        view! { <NoConversation /> }.into_any()
                    }
                }}
            </div>
        </div>
    }
}

/// Whether the key event comes from inside a `<dialog>`.
fn inside_dialog(ev: &leptos::ev::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("dialog").ok().flatten())
        .is_some()
}

/// The right pane while no conversation is open (two panes only).
#[component]
fn NoConversation() -> impl IntoView {
    view! {
        <section class="page thread-empty" aria-label="Conversation">
            <p>"Choose a conversation from the list (j/k to move, Enter to open), or start a new one."</p>
        </section>
    }
}
