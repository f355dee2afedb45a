//! The app's reader of `JSON.parse` values (`api_client::js_decode`), in
//! headless Chromium: every value must read exactly as serde_json reads the
//! same text (the server's own reader), and a value that does not fit must
//! be an error, naming a missing field.
//!
//! ```text
//! scripts/test-app-wasm.sh
//! ```
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use optline_api::{ApiError, ErrorBody, Refusal};
use optline_app::api_client::js_decode::from_value;
use optline_engine::{ConsentState, Flow, RefusalCode, Thread};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `text` read in the browser, and by serde_json.
fn both<T: DeserializeOwned>(text: &str) -> (Result<T, String>, Result<T, String>) {
    let parsed = js_sys::JSON::parse(text).expect("test JSON parses");
    (
        from_value::<T>(parsed).map_err(|e| e.to_string()),
        serde_json::from_str::<T>(text).map_err(|e| e.to_string()),
    )
}

/// `text` must read, and read as serde_json reads it.
fn reads_same<T: DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str) -> T {
    let (browser, reference) = both::<T>(text);
    let reference = reference.expect("serde_json reads the fixture");
    assert_eq!(browser.as_ref(), Ok(&reference), "{text}");
    reference
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Colour {
    Red,
    DarkBlue,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Tagged {
    Plain,
    WithData { n: i64, label: String },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum External {
    Unit,
    Newtype(u32),
    Pair(i64, String),
    Named { a: bool },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Inner {
    id: i64,
    #[serde(rename = "the-name")]
    name: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Everything {
    negative: i64,
    count: u32,
    big: u64,
    ratio: f64,
    whole_ratio: f64,
    flag: bool,
    text: String,
    #[serde(default)]
    absent: Option<String>,
    null: Option<i64>,
    #[serde(default)]
    defaulted: Vec<u8>,
    list: Vec<Inner>,
    colour: Colour,
    tagged: Vec<Tagged>,
    external: Vec<External>,
    map: BTreeMap<String, i64>,
    at: DateTime<Utc>,
    pair: (u8, String),
    unit: (),
    newtype: Wrapper,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Wrapper(String);

#[wasm_bindgen_test]
fn every_shape_reads_as_serde_json_reads_it() {
    let e: Everything = reads_same(
        r#"{
        "negative": -42, "count": 4000000000, "big": 9007199254740991,
        "ratio": 0.25, "whole_ratio": 3, "flag": true, "text": "héllo ✓",
        "null": null, "list": [{"id": 1, "the-name": "a", "extra": [1, 2]}, {"id": 2, "the-name": "b"}],
        "colour": "dark_blue",
        "tagged": [{"type": "plain"}, {"type": "with_data", "n": -1, "label": "x"}],
        "external": ["Unit", {"Newtype": 7}, {"Pair": [-3, "p"]}, {"Named": {"a": false}}],
        "map": {"x": 1, "y": -2},
        "at": "2026-03-04T05:06:07Z",
        "pair": [9, "nine"], "unit": null, "newtype": "wrapped",
        "ignored": {"deep": [true]}
    }"#,
    );
    assert_eq!(e.absent, None);
    assert_eq!(e.list[0].name, "a");
}

#[wasm_bindgen_test]
fn the_engine_and_wire_types_read_as_on_the_server() {
    // Every field written by serde_json, as the server writes them.
    let flow = serde_json::to_string(&Flow::default()).unwrap();
    reads_same::<Flow>(&flow);
    let thread = Thread {
        consent: ConsentState::Pending {
            requested_at: "2026-01-02T03:04:05Z".parse().unwrap(),
            attempts: 2,
        },
        ..Thread::default()
    };
    let read: Thread = reads_same(&serde_json::to_string(&thread).unwrap());
    assert_eq!(read, thread);
    let body: ErrorBody = reads_same(
        r#"{"error": {"code": "resend_too_soon", "message": "Wait.",
            "refusal": {"code": "resend_too_soon", "text": "Wait.", "retry_at": "2026-01-02T04:04:05Z"}}}"#,
    );
    let ApiError { refusal, .. } = body.error;
    let Refusal { code, .. } = refusal.expect("the refusal is read");
    assert_eq!(code, RefusalCode::ResendTooSoon);
}

#[wasm_bindgen_test]
fn a_missing_field_is_an_error_naming_it() {
    let (browser, reference) = both::<Inner>(r#"{"the-name": "a"}"#);
    assert!(reference.is_err());
    assert_eq!(browser.unwrap_err(), "missing field `id`");
}

#[wasm_bindgen_test]
fn values_that_do_not_fit_are_errors() {
    for (text, why) in [
        (r#"{"id": "1", "the-name": "a"}"#, "a string for a number"),
        (
            r#"{"id": 1.5, "the-name": "a"}"#,
            "a fraction for an integer",
        ),
        (r#"{"id": 1, "the-name": null}"#, "null for a string"),
    ] {
        let (browser, reference) = both::<Inner>(text);
        assert!(reference.is_err(), "serde_json accepts {why}");
        assert!(browser.is_err(), "the browser reader accepts {why}");
    }
    // A struct reads from an object only (serde_json also takes an array;
    // the server never writes one).
    let (browser, _) = both::<Inner>(r#"[1, "a"]"#);
    assert!(browser.is_err(), "an array read as a struct");
    let (browser, _) = both::<u8>("300");
    assert!(browser.is_err(), "300 read as a u8");
    let (browser, _) = both::<u64>("18446744073709551615");
    assert!(browser.is_err(), "an unsafe integer read as exact");
    let (browser, reference) = both::<Colour>(r#""green""#);
    assert!(
        reference.is_err() && browser.is_err(),
        "an unknown variant read"
    );
    let (browser, reference) = both::<Tagged>(r#"{"type": "other"}"#);
    assert!(
        reference.is_err() && browser.is_err(),
        "an unknown tag read"
    );
}
