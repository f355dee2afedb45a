#!/usr/bin/env bash
# Sets up what is missing, builds the app and the server, and runs Optline at
# http://127.0.0.1:8080 with a demo organization (logins printed below).
# Extra arguments go to the server, e.g. `scripts/run.sh --port 9000`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
echo "[run] building the browser app (release)"
trunk build --release
echo "[run] building the server (release)"
cargo build --release -p optline-server
exec target/release/optline-server --demo --simulator --static-dir dist "$@"
