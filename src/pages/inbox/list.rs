//! The conversation list: a listbox moved through with j/k or the arrow
//! keys and opened with Enter or a click (focus then moves into the open
//! conversation; Escape there brings it back). Only the rows in view are in the
//! DOM (fixed row height, absolute positions), so 10,000 conversations
//! scroll smoothly; nearing the end asks for the next page.

use leptos::prelude::*;
use optline_api::ConversationSummary;

use super::row::{ConversationRow, ROW_HEIGHT, ROW_PX};
use crate::navigation::use_location;
use crate::pages::workspace;
use crate::time;

/// Rows drawn above and below the visible ones.
const OVERSCAN: usize = 3;
/// Ask for the next page when fewer rows than this are left below.
const NEAR_END: usize = 20;

#[component]
pub fn ConversationList(
    shown: Memo<Vec<ConversationSummary>>,
    /// The row the keyboard is on.
    active: RwSignal<usize>,
    /// The conversation open beside the list (marked `aria-current`).
    #[prop(into)]
    open: Signal<Option<i64>>,
    #[prop(into)] on_near_end: Callback<()>,
) -> impl IntoView {
    let scroller = NodeRef::<leptos::html::Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(600.0f64);
    let on_scroll = move |_| {
        if let Some(el) = scroller.get() {
            scroll_top.set(el.scroll_top() as f64);
            viewport.set(el.client_height() as f64);
            let bottom_row = ((el.scroll_top() + el.client_height()) as f64 / ROW_HEIGHT) as usize;
            if bottom_row + NEAR_END > shown.with(Vec::len) {
                on_near_end.run(());
            }
        }
    };
    let window_rows = move || {
        let first = ((scroll_top.get() / ROW_HEIGHT).floor() as usize).saturating_sub(OVERSCAN);
        let count = (viewport.get() / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        shown.with(|s| {
            s.iter()
                .enumerate()
                .skip(first)
                .take(count)
                .map(|(i, c)| (i, c.clone()))
                .collect::<Vec<_>>()
        })
    };
    let location = use_location();
    let go_to = Callback::new(move |id: i64| {
        // The filters stay in the query beside the open conversation.
        let search = window().location().search().unwrap_or_default();
        location.go(&format!("/conversations/{id}{search}"));
        workspace::focus_conversation();
    });
    let keep_visible = move |i: usize| {
        if let Some(el) = scroller.get() {
            let top = i as f64 * ROW_HEIGHT;
            let st = el.scroll_top() as f64;
            let h = el.client_height() as f64;
            if top < st {
                el.set_scroll_top(top as i32);
            } else if top + ROW_HEIGHT > st + h {
                el.set_scroll_top((top + ROW_HEIGHT - h) as i32);
            }
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let len = shown.with(Vec::len);
        if len == 0 {
            return;
        }
        let cur = active.get_untracked().min(len - 1);
        let next = match ev.key().as_str() {
            "ArrowDown" | "j" => (cur + 1).min(len - 1),
            "ArrowUp" | "k" => cur.saturating_sub(1),
            "Home" => 0,
            "End" => len - 1,
            "Enter" => {
                ev.prevent_default();
                if let Some(id) = shown.with(|s| s.get(cur).map(|c| c.id)) {
                    go_to.run(id);
                }
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        active.set(next);
        keep_visible(next);
    };
    let active_id = move || {
        let a = active.get();
        shown.with(|s| s.get(a).map(|c| format!("conv-{}", c.id)))
    };
    let now = time::browser_now();

    view! {
        <p id="inbox-keys" class="hint">"Use j/k or the arrow keys to move, Enter to open, Escape in a conversation to come back."</p>
        <div class="inbox-scroll" node_ref=scroller on:scroll=on_scroll>
            <ul
                id=workspace::LIST_ID
                role="listbox"
                aria-label="Conversations"
                aria-describedby="inbox-keys"
                tabindex="0"
                aria-activedescendant=active_id
                on:keydown=on_key
                // CSSOM, not a style attribute: the CSP has no 'unsafe-inline' styles.
                style:height=move || format!("{}px", shown.with(Vec::len) * ROW_PX)
            >
                {move || {
                    let setsize = shown.with(Vec::len);
                    window_rows()
                        .into_iter()
                        .map(|(i, c)| {
                            let id = c.id;
                            view! {
                                <ConversationRow
                                    c
                                    index=i
                                    setsize
                                    now
                                    selected=Signal::derive(move || active.get() == i)
                                    current=Signal::derive(move || open.get() == Some(id))
                                    on_open=move |_| {
                                        active.set(i);
                                        go_to.run(id);
                                    }
                                />
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
