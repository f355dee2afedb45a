//! The browser's address as a signal, and moving to another address
//! without a reload.
//!
//! [`Location`] follows the address bar: links inside the app, Back and
//! Forward, and the app's own [`Location::go`] / [`Location::replace`]. The
//! page an address names is [`crate::address`]'s to say. One listener on the
//! window handles every in-app link, so views write plain `<a href>`.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::address::{self, Page};

/// The address: path and query (`"?a=b"`, or empty).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Url {
    path: String,
    search: String,
}

impl Url {
    /// What the address bar shows now.
    fn current() -> Url {
        let loc = window().location();
        Url {
            path: loc.pathname().unwrap_or_default(),
            search: loc.search().unwrap_or_default(),
        }
    }
}

/// The app's address. Copy it into closures; read it anywhere under the app.
#[derive(Clone, Copy)]
pub struct Location {
    url: RwSignal<Url>,
    /// Counts the user's moves: links and [`Location::go`], Back, Forward;
    /// not [`Location::replace`], which pages use to write their own state.
    moves: RwSignal<u64>,
    /// The page the address names (changes only when the page does).
    pub page: Memo<Page>,
}

/// Follows the browser's address from now on; once, at the app's root.
pub fn provide_location() -> Location {
    let url = RwSignal::new(Url::current());
    let loc = Location {
        url,
        moves: RwSignal::new(0),
        page: Memo::new(move |_| url.with(|u| Page::of(&u.path))),
    };
    loc.follow_redirect();
    provide_context(loc);
    // The app is never unmounted, so neither listener is ever removed.
    // Back and Forward.
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        loc.url.set(Url::current());
        loc.moves.update(|n| *n += 1);
        loc.follow_redirect();
    });
    // In-app links move without a reload; everything else is the browser's.
    let _ = window_event_listener(leptos::ev::click, move |ev| {
        if let Some(href) = in_app_link(&ev) {
            ev.prevent_default();
            loc.go(&href);
        }
    });
    loc
}

pub fn use_location() -> Location {
    expect_context::<Location>()
}

impl Location {
    /// Moves to `href` as a new history entry (Back returns), scrolled to
    /// the top when the page changes.
    pub fn go(self, href: &str) {
        let before = self.url.with_untracked(|u| u.path.clone());
        self.write(href, false);
        self.moves.update(|n| *n += 1);
        if self.url.with_untracked(|u| u.path != before) {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    }

    /// Moves to `href` in place of the current entry (a filter typed into
    /// the address, a redirect): Back skips it, and the scroll stays.
    pub fn replace(self, href: &str) {
        self.write(href, true);
    }

    /// A query parameter, decoded as the browser does; not tracked (pages
    /// read their query once, when they open).
    pub fn query(self, key: &str) -> Option<String> {
        self.url.with_untracked(|u| query_param(&u.search, key))
    }

    /// The whole query (`"?a=b"`, or empty), not tracked.
    pub fn search(self) -> String {
        self.url.with_untracked(|u| u.search.clone())
    }

    /// The query once the user has moved (a link, Back, Forward), tracked:
    /// for a page whose state follows its address while it stays open. The
    /// page's own [`Location::replace`] is no move, so writing its state
    /// into the address never reads it back.
    pub fn search_after_move(self) -> String {
        self.moves.track();
        self.search()
    }

    /// Whether a navigation link to `href` is the current page, tracked.
    pub fn is_current(self, href: &str) -> bool {
        self.url.with(|u| address::is_current(href, &u.path))
    }

    fn write(self, href: &str, replace: bool) {
        let Ok(history) = window().history() else {
            return;
        };
        let same = self
            .url
            .with_untracked(|u| format!("{}{}", u.path, u.search) == href);
        let written = if replace || same {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href))
        };
        if written.is_ok() {
            // The browser's reading of `href` (resolved, encoded) is the address.
            self.url.set(Url::current());
            self.follow_redirect();
        }
    }

    fn follow_redirect(self) {
        if let Some(to) = self.url.with_untracked(|u| address::redirect(&u.path)) {
            self.replace(to);
        }
    }
}

/// A parameter of a query (`"?a=b"`), decoded as the browser does.
pub fn query_param(search: &str, key: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(search)
        .ok()?
        .get(key)
}

/// A link in the page's navigation: marked `aria-current="page"` while its
/// page (or one below it) is open.
#[component]
pub fn NavLink(href: &'static str, children: Children) -> impl IntoView {
    let loc = use_location();
    view! {
        <a href=href aria-current=move || loc.is_current(href).then_some("page")>
            {children()}
        </a>
    }
}

/// The in-app target of a plain left click on a link, if the app should
/// handle it: not a new tab or window, not a download, not another site.
fn in_app_link(ev: &web_sys::MouseEvent) -> Option<String> {
    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.ctrl_key()
        || ev.shift_key()
        || ev.alt_key()
    {
        return None;
    }
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    let a = target.closest("a[href]").ok()??;
    let leaves = a.has_attribute("download")
        || a.get_attribute("target")
            .is_some_and(|t| !t.is_empty() && t != "_self")
        || a.get_attribute("rel")
            .is_some_and(|r| r.split_whitespace().any(|r| r == "external"));
    let href = a.get_attribute("href")?;
    (!leaves && address::is_in_app(&href)).then_some(href)
}
