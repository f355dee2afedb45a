//! Cross-site write protection for cookie-authenticated requests.
//!
//! SameSite=Strict alone leaves gaps (old browsers, sibling subdomains
//! counting as same-site), so a write that carries the session cookie must
//! also (1) be `application/json` — a cross-site form or a "simple" fetch
//! cannot send that type without a CORS preflight, which this server never
//! grants — and (2) come from this server's own origin: an `Origin` header
//! equal to it, or, where a browser sends no `Origin`,
//! `Sec-Fetch-Site: same-origin`. The own origin is `--public-url` when
//! given, else the request's `Host`.
//!
//! Not checked: safe methods, requests without the session cookie (they
//! are not authenticated by it, e.g. login or API clients) and provider
//! webhooks (signed, and sent by servers without cookies).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth;
use super::error::ApiError;
use crate::state::AppState;

/// Refuses a cookie-authenticated write that is not JSON from this origin.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let exempt = req.uri().path().starts_with("/api/v1/webhooks/");
    let has_cookie =
        auth::session_token_in(req.headers(), auth::cookie_name(&state.config)).is_some();
    if write && has_cookie && !exempt {
        if let Err(e) = check(req.headers(), state.config.public_origin().as_deref()) {
            return e.into_response();
        }
    }
    next.run(req).await
}

fn forbidden(code: &str, message: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

fn check(headers: &HeaderMap, public_origin: Option<&str>) -> Result<(), ApiError> {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let json = text(header::CONTENT_TYPE).is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json {
        return Err(forbidden(
            "json_required",
            "A logged-in write must be sent with `Content-Type: application/json` (even without a body). The request was refused to protect your session from other sites.".into(),
        )
        .field("Content-Type"));
    }
    match text(header::ORIGIN) {
        Some(origin) => {
            let own = match public_origin {
                Some(o) => same(origin, o),
                // Without --public-url the scheme is unknown (a TLS proxy
                // may sit in front): compare host and port with `Host`.
                None => text(header::HOST).is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
                }),
            };
            if own {
                Ok(())
            } else {
                Err(forbidden(
                    "cross_origin",
                    format!("This write came from another site (`Origin: {origin}`) and was refused. Use Optline from its own address."),
                )
                .field("Origin"))
            }
        }
        None if text(header::HeaderName::from_static("sec-fetch-site"))
            .is_some_and(|v| v.eq_ignore_ascii_case("same-origin")) =>
        {
            Ok(())
        }
        None => Err(forbidden(
            "origin_required",
            "A logged-in write needs an `Origin` header of this server's address (or `Sec-Fetch-Site: same-origin`); browsers send it themselves. The request was refused.".into(),
        )
        .field("Origin")),
    }
}

fn same(origin: &str, own: &str) -> bool {
    origin.trim_end_matches('/').eq_ignore_ascii_case(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn needs_json_and_own_origin() {
        let ok = h(&[
            ("content-type", "application/json; charset=utf-8"),
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(check(&ok, None).is_ok());
        let plain = h(&[
            ("content-type", "text/plain"),
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert_eq!(check(&plain, None).unwrap_err().code, "json_required");
        let foreign = h(&[
            ("content-type", "application/json"),
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert_eq!(check(&foreign, None).unwrap_err().code, "cross_origin");
        let fetch_site = h(&[
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(check(&fetch_site, None).is_ok());
        let none = h(&[("content-type", "application/json"), ("host", "x")]);
        assert_eq!(check(&none, None).unwrap_err().code, "origin_required");
        let public = h(&[
            ("content-type", "application/json"),
            ("origin", "https://optline.example.com"),
        ]);
        assert!(check(&public, Some("https://optline.example.com")).is_ok());
        assert!(check(&public, Some("https://other.example.com")).is_err());
    }
}
