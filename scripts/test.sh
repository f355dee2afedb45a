#!/usr/bin/env bash
# Sets up what is missing and runs every check and test: formatting, lints,
# the Rust test suites, the engine's scenario vectors in headless Chromium
# (wasm), and the browser end-to-end tests against the real server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Builds take gigabytes; a full disk shows up as a linker crash, so say
# what was free at the start and what the build took at the end.
disk() {
  df -h . | tail -1 | awk '{print "disk: " $4 " free of " $2}'
  [ ! -d target ] || du -sh target | awk '{print "target/: " $1}'
}
disk

step "format"
cargo fmt --all -- --check

step "lints (native crates, then the app for wasm)"
cargo clippy --workspace --exclude optline-app --all-targets -- -D warnings
cargo clippy -p optline-app --target wasm32-unknown-unknown -- -D warnings

step "Rust tests (engine, API types, server against real SQLite files)"
cargo test --workspace --exclude optline-app

step "the server's integration suite again, on a real PostgreSQL (and two server processes)"
trap 'scripts/test-postgres.sh stop' EXIT
OPTLINE_TEST_POSTGRES=$(scripts/test-postgres.sh start)
OPTLINE_TEST_POSTGRES=$OPTLINE_TEST_POSTGRES OPTLINE_REQUIRE_POSTGRES=1 \
  cargo test -p optline-server --tests
scripts/test-postgres.sh stop

step "the app's logic (thread model) as native unit tests"
cargo test -p optline-app --lib

step "engine scenario vectors compiled to wasm, in headless Chromium"
crates/engine/scripts/test-wasm.sh

step "the app's reader of the server's answers, in headless Chromium"
scripts/test-app-wasm.sh

step "browser app (release build, as users get it)"
trunk build --release

step "browser end-to-end tests (real server, real SQLite, headless Chromium)"
cargo build -p optline-server
node --test --test-concurrency=1 tests/e2e/

step "bundle size"
scripts/size-report.sh

step "disk"
disk
