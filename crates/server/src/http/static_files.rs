//! Serving the built SPA: files from the static folder, history-API fallback
//! to index.html, long-lived caching for hashed assets, none for index.html.
//!
//! The release build writes `.br` and `.gz` copies beside each asset
//! (scripts/build-wasm.sh, best compression settings, once): those are sent as
//! they are to a browser that accepts them, so nothing is compressed per
//! request. A file without copies still gets the app-wide compression layer.

use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

/// A router that serves `dir` with SPA fallback.
pub fn service(dir: &Path) -> Router {
    let index = dir.join("index.html");
    let serve = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(
            ServeFile::new(index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    Router::new()
        .fallback_service(serve)
        .layer(axum::middleware::from_fn(missing_files_are_404))
        .layer(axum::middleware::from_fn(cache_headers))
}

/// A missing *file* (a last segment with an extension, such as `/logo.png`)
/// is a 404: answering it with index.html would hide broken asset links
/// behind a 200. App routes never contain a dot in their last segment.
/// It matters most for wasm chunks: the split loader would try to compile
/// the HTML and fail with a confusing error instead of a plain 404.
async fn missing_files_are_404(req: Request, next: Next) -> Response {
    let looks_like_file = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.') && last != "index.html");
    let res = next.run(req).await;
    let is_fallback_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if looks_like_file && is_fallback_html {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    res
}

/// True for Trunk-style content-hashed names: `name-0123456789abcdef.js`,
/// `name-0123456789abcdef_bg.wasm`.
pub fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = match file.rsplit_once('.') {
        Some((stem, _ext)) => stem,
        None => return false,
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    match stem.rsplit_once('-') {
        Some((_, hash)) => hash.len() >= 8 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        None => false,
    }
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method_ok =
        req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
    if !method_ok {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let mut res = next.run(req).await;
    let value = if res.status().is_success() && is_hashed_asset(&path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_hashed_asset("/optline-app-1a2b3c4d5e6f7a8b.js"));
        assert!(is_hashed_asset("/optline-app-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(is_hashed_asset("/style-00ff00ff00ff00ff.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/conversations/12"));
        assert!(!is_hashed_asset("/favicon.ico"));
        assert!(!is_hashed_asset("/my-app.js"));
    }
}
