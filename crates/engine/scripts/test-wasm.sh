#!/usr/bin/env bash
# Runs the engine's wasm tests (the same scenario vectors as the native
# tests) in headless Chromium through wasm-bindgen-test-runner.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # workspace root
source scripts/wasm-test-env.sh
exec cargo test -p optline-engine --target wasm32-unknown-unknown "$@"
