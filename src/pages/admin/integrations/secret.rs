//! A signing secret shown once (after creating an endpoint or rotating its
//! secret), with a copy button. It lives only in this page's memory: the
//! server never shows it again.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

/// A secret to show: which endpoint it signs for and what to tell the admin.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownSecret {
    pub url: String,
    pub secret: String,
    pub note: String,
}

/// Writes `text` to the clipboard (`navigator.clipboard`), then calls
/// `done` with whether it worked. Read through `Reflect` so the app needs
/// no extra web-sys features for one call.
fn copy_text(text: &str, done: impl FnOnce(bool) + 'static) {
    let promise = (|| {
        let window = web_sys::window()?;
        let navigator = Reflect::get(&window, &"navigator".into()).ok()?;
        let clipboard = Reflect::get(&navigator, &"clipboard".into())
            .ok()
            .filter(|c| !c.is_undefined())?;
        let write = Reflect::get(&clipboard, &"writeText".into())
            .ok()?
            .dyn_into::<Function>()
            .ok()?;
        write.call1(&clipboard, &JsValue::from_str(text)).ok()
    })();
    let Some(promise) = promise else {
        done(false);
        return;
    };
    let done = Rc::new(RefCell::new(Some(done)));
    let on_error = done.clone();
    let ok = Closure::once_into_js(move |_: JsValue| {
        if let Some(f) = done.borrow_mut().take() {
            f(true);
        }
    });
    let failed = Closure::once_into_js(move |_: JsValue| {
        if let Some(f) = on_error.borrow_mut().take() {
            f(false);
        }
    });
    if let Some(then) = Reflect::get(&promise, &"then".into())
        .ok()
        .and_then(|t| t.dyn_into::<Function>().ok())
    {
        let _ = then.call2(&promise, &ok, &failed);
    }
}

#[component]
pub fn SecretOnce(shown: RwSignal<Option<ShownSecret>>) -> impl IntoView {
    let copied = RwSignal::new(String::new());
    view! {
        {move || {
            shown
                .get()
                .map(|s| {
                    let secret = s.secret.clone();
                    let copy = move |_| {
                        copy_text(
                            &secret,
                            move |ok| {
                                copied
                                    .set(
                                        if ok {
                                            "Copied to the clipboard.".into()
                                        } else {
                                            "Could not copy: select the secret and copy it yourself.".into()
                                        },
                                    )
                            },
                        );
                    };
                    view! {
                        <section class="notice info secret-once" aria-labelledby="secret-title">
                            <h2 id="secret-title">"Signing secret for " {s.url.clone()}</h2>
                            <p>{s.note.clone()}</p>
                            <label for="signing-secret">"Signing secret"</label>
                            <div class="inline-form">
                                <input id="signing-secret" type="text" readonly prop:value=s.secret.clone() />
                                <button type="button" on:click=copy>"Copy secret"</button>
                                <button
                                    type="button"
                                    class="secondary"
                                    on:click=move |_| {
                                        copied.set(String::new());
                                        shown.set(None);
                                    }
                                >
                                    "I have stored it"
                                </button>
                            </div>
                            <p role="status" class="form-status">{move || copied.get()}</p>
                        </section>
                    }
                })
        }}
    }
}
