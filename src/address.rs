//! Which screen an address names: the app's routing table as plain data.
//!
//! The app routes itself instead of using `leptos_router`: its handful of
//! fixed addresses did not need a general router, and that one cost 52 KB
//! gzipped, 14 % of an agent's first download (issue 13). This module is pure, so the
//! table is unit tested natively; [`crate::navigation`] follows the browser's
//! address and renders the [`Page`] it names.

/// One settings screen (`/admin/<slug>`); each is fetched on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Users,
    Flows,
    Ownership,
    Audit,
    Insights,
    Proof,
    Integrations,
}

impl Screen {
    const ALL: [Screen; 7] = [
        Screen::Users,
        Screen::Flows,
        Screen::Ownership,
        Screen::Audit,
        Screen::Insights,
        Screen::Proof,
        Screen::Integrations,
    ];

    /// The last segment of the screen's address.
    pub fn slug(self) -> &'static str {
        match self {
            Screen::Users => "users",
            Screen::Flows => "flows",
            Screen::Ownership => "ownership",
            Screen::Audit => "audit",
            Screen::Insights => "insights",
            Screen::Proof => "proof",
            Screen::Integrations => "integrations",
        }
    }

    fn from_slug(slug: &str) -> Option<Screen> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }
}

/// What the app shows for an address. Pages whose inner value changes while
/// the page stays (the open conversation, the settings screen) keep one
/// variant, so moving inside them never rebuilds the frame around them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Home,
    Login,
    /// `/inbox` (nothing open) or `/conversations/<id>`.
    Workspace {
        open: Option<i64>,
    },
    /// `/admin/<screen>`.
    Settings(Screen),
    /// `/phone`: the simulator's contact phone.
    Phone,
    NotFound,
}

impl Page {
    /// The page for a path (no query). One trailing slash is ignored.
    pub fn of(path: &str) -> Page {
        let path = match path.strip_suffix('/') {
            Some(p) if !p.is_empty() => p,
            _ => path,
        };
        match path {
            "/" | "" => Page::Home,
            "/login" => Page::Login,
            "/inbox" => Page::Workspace { open: None },
            "/phone" => Page::Phone,
            _ => {
                if let Some(id) = path.strip_prefix("/conversations/") {
                    return id
                        .parse()
                        .map_or(Page::NotFound, |id| Page::Workspace { open: Some(id) });
                }
                path.strip_prefix("/admin/")
                    .and_then(Screen::from_slug)
                    .map_or(Page::NotFound, Page::Settings)
            }
        }
    }
}

/// Where an address that names no page of its own leads instead (the
/// browser's history is rewritten, so Back does not return to it).
pub fn redirect(path: &str) -> Option<&'static str> {
    matches!(path, "/admin" | "/admin/").then_some("/admin/users")
}

/// Whether a navigation link to `href` is the current page (its
/// `aria-current`): the link's path or anything under it; the root only
/// for itself; the inbox also while a conversation is open beside it.
pub fn is_current(href: &str, path: &str) -> bool {
    if href == "/" {
        return path == "/";
    }
    let workspace = |p| matches!(Page::of(p), Page::Workspace { .. });
    if workspace(href) && workspace(path) {
        return true;
    }
    path.strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A link target this app handles itself rather than loading from the
/// server: a path on this origin that is not the API's.
pub fn is_in_app(href: &str) -> bool {
    href.starts_with('/') && !href.starts_with("//") && href != "/api" && !href.starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_names_its_page() {
        assert_eq!(Page::of("/"), Page::Home);
        assert_eq!(Page::of("/login"), Page::Login);
        assert_eq!(Page::of("/inbox"), Page::Workspace { open: None });
        assert_eq!(Page::of("/inbox/"), Page::Workspace { open: None });
        assert_eq!(
            Page::of("/conversations/42"),
            Page::Workspace { open: Some(42) }
        );
        assert_eq!(Page::of("/phone"), Page::Phone);
        for s in Screen::ALL {
            assert_eq!(Page::of(&format!("/admin/{}", s.slug())), Page::Settings(s));
        }
    }

    #[test]
    fn unknown_addresses_are_not_found() {
        for p in [
            "/nowhere",
            "/conversations/",
            "/conversations/abc",
            "/conversations/1/2",
            "/admin/nothing",
            "/admin/users/extra",
            "/inboxes",
            "//inbox",
        ] {
            assert_eq!(Page::of(p), Page::NotFound, "{p}");
        }
    }

    #[test]
    fn the_settings_root_leads_to_the_first_screen() {
        assert_eq!(redirect("/admin"), Some("/admin/users"));
        assert_eq!(redirect("/admin/"), Some("/admin/users"));
        assert_eq!(redirect("/admin/users"), None);
        assert_eq!(redirect("/"), None);
    }

    #[test]
    fn a_link_is_current_on_its_page_and_below_it() {
        assert!(is_current("/", "/"));
        assert!(!is_current("/", "/inbox"));
        assert!(is_current("/inbox", "/inbox"));
        assert!(is_current("/inbox", "/conversations/4"));
        assert!(!is_current("/inbox", "/phone"));
        assert!(is_current("/admin", "/admin/users"));
        assert!(is_current("/admin/users", "/admin/users"));
        assert!(!is_current("/admin/users", "/admin/flows"));
        assert!(!is_current("/in", "/inbox"));
    }

    #[test]
    fn only_app_paths_are_handled_in_the_app() {
        assert!(is_in_app("/inbox?q=ana"));
        assert!(is_in_app("/admin/audit"));
        assert!(!is_in_app("/api/audit.csv"));
        assert!(!is_in_app("/api"));
        assert!(!is_in_app("//example.com/x"));
        assert!(!is_in_app("https://example.com/"));
        assert!(!is_in_app("#main"));
        assert!(!is_in_app("mailto:a@b.c"));
    }
}
