//! What a screen waits for from the server: [`Loaded`], a value fetched
//! (again when what it reads changes, or on [`Loaded::refetch`]), and
//! [`Task`], a change sent on demand with its pending state and answer.
//!
//! They stand in for Leptos' `LocalResource` and `Action` with the part of
//! their surface the screens use (`get`, `refetch`; `dispatch`, `pending`,
//! `value`). Theirs carry suspense, transitions and thread-safe wrappers
//! the app never uses, compiled again for every value type: these
//! two are a signal and a task (issue 13, measured in the README).
//!
//! Both survive their screen being left while an answer is on its way: a
//! late answer is written into a disposed signal, which ignores it.

use std::future::Future;
use std::pin::Pin;

use crate::condition::condition;
use crate::effects::effect;
use leptos::prelude::*;

type Call<I, O> = Box<dyn Fn(&I) -> Pin<Box<dyn Future<Output = O>>>>;

/// A value fetched from the server. `None` until the first answer; while a
/// new one is on its way the last answer stays (no flash of "Loading…").
pub struct Loaded<T: Send + Sync + 'static> {
    value: RwSignal<Option<T>>,
    /// Bumped by `refetch`.
    version: RwSignal<u32>,
    /// A request newer than the answer shown is on its way.
    loading: RwSignal<bool>,
}

impl<T: Send + Sync + 'static> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for Loaded<T> {}

impl<T: Clone + Send + Sync + 'static> Loaded<T> {
    /// Fetches with `fetch` now, and again whenever a signal it reads changes.
    /// Answers may come back out of order: one older than the answer shown
    /// is dropped, any newer one is shown at once (so repeated refetches
    /// never starve the screen).
    pub fn new<Fut: Future<Output = T> + 'static>(fetch: impl Fn() -> Fut + 'static) -> Self {
        let value = RwSignal::new(None);
        let version = RwSignal::new(0u32);
        let loading = RwSignal::new(false);
        // (requests sent, newest answer shown)
        let seq = StoredValue::new((0u32, 0u32));
        effect(move || {
            version.track();
            let pending = fetch();
            seq.update_value(|(sent, _)| *sent += 1);
            let mine = seq.get_value().0;
            loading.set(true);
            leptos::task::spawn_local(async move {
                let answer = pending.await;
                let Some((sent, shown)) = seq.try_get_value() else {
                    return; // the screen was left meanwhile
                };
                if mine > shown {
                    seq.set_value((sent, mine));
                    value.set(Some(answer));
                    loading.set(mine < sent);
                }
            });
        });
        Loaded {
            value,
            version,
            loading,
        }
    }

    /// Whether a newer answer is on its way (tracked).
    pub fn loading(&self) -> bool {
        self.loading.get()
    }

    /// The last answer (tracked).
    pub fn get(&self) -> Option<T> {
        self.value.get()
    }

    /// Reads the last answer in place (tracked).
    pub fn with<R>(&self, read: impl FnOnce(&Option<T>) -> R) -> R {
        self.value.with(read)
    }

    /// Asks the server again.
    pub fn refetch(&self) {
        self.version.update(|n| *n += 1);
    }
}

/// A change sent to the server when the user asks for it.
pub struct Task<I: 'static, O: Send + Sync + 'static> {
    call: StoredValue<Call<I, O>, LocalStorage>,
    value: RwSignal<Option<O>>,
    /// Calls on their way.
    running: RwSignal<u32>,
    pending: Memo<bool>,
}

impl<I: 'static, O: Send + Sync + 'static> Clone for Task<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I: 'static, O: Send + Sync + 'static> Copy for Task<I, O> {}

impl<I: 'static, O: Clone + Send + Sync + 'static> Task<I, O> {
    pub fn new<Fut: Future<Output = O> + 'static>(call: impl Fn(&I) -> Fut + 'static) -> Self {
        let call: Call<I, O> = Box::new(move |input| Box::pin(call(input)));
        let running = RwSignal::new(0u32);
        Task {
            call: StoredValue::new_local(call),
            value: RwSignal::new(None),
            running,
            pending: condition(move || running.get() > 0),
        }
    }

    /// Sends `input`; its answer becomes [`Task::value`].
    pub fn dispatch(&self, input: I) {
        let Some(pending) = self.call.try_with_value(|call| call(&input)) else {
            return; // the screen is gone
        };
        let (value, running) = (self.value, self.running);
        running.update(|n| *n += 1);
        leptos::task::spawn_local(async move {
            let answer = pending.await;
            running.update(|n| *n = n.saturating_sub(1));
            value.set(Some(answer));
        });
    }

    /// The last answer.
    pub fn value(&self) -> RwSignal<Option<O>> {
        self.value
    }

    /// Whether a call is on its way (tracked).
    pub fn pending(&self) -> Memo<bool> {
        self.pending
    }
}
