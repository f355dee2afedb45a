#!/usr/bin/env bash
# Runs the app's wasm tests (tests/js_decode.rs: the reader of the server's
# answers) in headless Chromium through wasm-bindgen-test-runner.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-test-env.sh
exec cargo test -p optline-app --target wasm32-unknown-unknown --test js_decode "$@"
