//! The app's static files as the release build leaves them: precompressed
//! `.br`/`.gz` copies sent as they are, wasm chunks with the right type, and
//! a missing chunk answered 404, never with the app's index.html.

mod common;
use common::*;

const CHUNK: &str = "split_admin-0123456789abcdef.wasm";

/// Writes `name` and its precompressed copies into the server's folder.
/// The copies hold marker bytes, not real compressed data: getting the
/// marker back proves the file was sent as stored, not compressed again.
fn write_with_copies(s: &Server, name: &str, body: &[u8]) {
    let dir = &s.static_dir;
    std::fs::write(dir.join(name), body).unwrap();
    std::fs::write(dir.join(format!("{name}.br")), b"stored-br-copy").unwrap();
    std::fs::write(dir.join(format!("{name}.gz")), b"stored-gz-copy").unwrap();
}

async fn get_with(s: &Server, path: &str, accept_encoding: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(s.url(path))
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn precompressed_copies_are_sent_as_stored() {
    let s = Server::start(&[]);
    write_with_copies(&s, CHUNK, b"\0asm not really");

    let br = get_with(&s, &format!("/{CHUNK}"), "gzip, deflate, br").await;
    assert_eq!(br.status(), 200);
    assert_eq!(br.headers()["content-encoding"], "br");
    // The type of the file itself: the browser compiles wasm while it streams
    // only when it is application/wasm.
    assert_eq!(br.headers()["content-type"], "application/wasm");
    assert_eq!(
        br.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(&br.bytes().await.unwrap()[..], b"stored-br-copy");

    let gz = get_with(&s, &format!("/{CHUNK}"), "gzip").await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(&gz.bytes().await.unwrap()[..], b"stored-gz-copy");

    // A browser that accepts neither gets the file itself.
    let plain = get_with(&s, &format!("/{CHUNK}"), "identity").await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(&plain.bytes().await.unwrap()[..], b"\0asm not really");
}

#[tokio::test]
async fn index_html_is_precompressed_too_on_deep_links() {
    let s = Server::start(&[]);
    write_with_copies(&s, "index.html", INDEX_HTML.as_bytes());
    for path in ["/", "/admin/users"] {
        let r = get_with(&s, path, "br").await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-encoding"], "br", "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        assert_eq!(&r.bytes().await.unwrap()[..], b"stored-br-copy", "{path}");
    }
}

#[tokio::test]
async fn a_missing_chunk_is_a_404_not_the_app() {
    let s = Server::start(&[]);
    // With copies of index.html present too: the fallback must not leak
    // through the precompressed path either.
    write_with_copies(&s, "index.html", INDEX_HTML.as_bytes());
    for path in [
        "/split_admin-fedcba9876543210.wasm",
        "/__wasm_split-fedcba9876543210.js",
    ] {
        for enc in ["br", "gzip", "identity"] {
            let r = get_with(&s, path, enc).await;
            assert_eq!(r.status(), 404, "{path} with {enc}");
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            assert!(
                !ct.as_deref().unwrap_or("").starts_with("text/html"),
                "{path}: {ct:?}"
            );
            assert_ne!(
                r.headers()["cache-control"],
                "public, max-age=31536000, immutable"
            );
        }
    }
}
