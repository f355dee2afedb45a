//! Security headers on every response (API and SPA): the Content Security
//! Policy, `nosniff`, no referrer, no framing, and HSTS behind https.
//!
//! Trunk writes the app's loader as an inline `<script type="module">` into
//! index.html. Rather than allow inline scripts in general, the policy
//! allows exactly the SHA-256 of each inline script of the index.html being
//! served, computed once at start.

use std::path::Path;

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use base64::Engine;
use sha2_010::Digest;
use tower_http::set_header::SetResponseHeaderLayer;

/// `'sha256-…'` for each inline `<script>` (one without `src`) of `html`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| i + at) {
        let Some(tag_end) = lower[start..].find('>').map(|i| i + start) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| i + tag_end) else {
            break;
        };
        let tag = &lower[start..tag_end];
        let has_src = tag
            .split(|c: char| c.is_ascii_whitespace())
            .any(|a| a.starts_with("src="));
        if !has_src {
            // The browser hashes the element's text exactly as written.
            let body = &html[tag_end + 1..close];
            let digest = sha2_010::Sha256::digest(body.as_bytes());
            out.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        at = close;
    }
    out
}

/// The policy for the index.html in `static_dir` (no hashes if it is
/// missing: the API still gets the policy).
pub fn content_security_policy(static_dir: &Path) -> String {
    let html = std::fs::read_to_string(static_dir.join("index.html")).unwrap_or_default();
    let mut script_src = vec!["'self'".to_string(), "'wasm-unsafe-eval'".to_string()];
    script_src.extend(inline_script_hashes(&html));
    format!(
        "default-src 'self'; script-src {}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        script_src.join(" ")
    )
}

/// Adds the headers to every response of `router` (a handler's own value
/// wins, none sets them today).
pub fn layer(router: Router, static_dir: &Path, https: bool) -> Router {
    let csp = HeaderValue::from_str(&content_security_policy(static_dir))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    let fixed: [(HeaderName, HeaderValue); 4] = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    let mut router = router;
    for (name, value) in fixed {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    if https {
        // Only when the public origin is https: over plain HTTP the header
        // is ignored, and on a local test server it would pin the browser.
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = "<html><SCRIPT type=\"module\">alert(1)</SCRIPT>\
                    <script src=\"/a.js\"></script><script>x</script></html>";
        let h = inline_script_hashes(html);
        assert_eq!(h.len(), 2);
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            h[0],
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
    }
}
