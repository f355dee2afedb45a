//! The model's notice under the messages: information as a polite status,
//! warnings and errors as alerts, with "Retry" when retrying can help.

use leptos::prelude::*;

use crate::thread_model::{Retry, ThreadModel, Tone};

#[component]
pub fn NoticeBar(model: RwSignal<ThreadModel>, on_retry: Callback<Retry>) -> impl IntoView {
    let notice = Memo::new(move |_| model.with(|m| m.notice().cloned()));
    move || {
        notice.get().map(|n| {
            let (class, role) = match n.tone {
                Tone::Info => ("notice info", "status"),
                Tone::Warn => ("notice warn", "alert"),
                Tone::Error => ("notice error", "alert"),
            };
            view! {
                <div class=class role=role>
                    {n.text} " "
                    {n.retry.map(|r| view! {
                        <button type="button" class="secondary" on:click=move |_| on_retry.run(r)>"Retry"</button>
                    })}
                </div>
            }
        })
    }
}
