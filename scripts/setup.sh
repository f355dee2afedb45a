#!/usr/bin/env bash
# Installs every tool the build and the tests need, skipping what is already
# present at the right version, so a second run takes seconds.
# Nothing here downloads from outside the package registries: Trunk is told to
# use the tools on PATH (see Trunk.toml) and never fetches its own.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
TRUNK_VERSION=0.21.14          # 0.22 needs a newer rustc than this machine has
BINARYEN_VERSION=132           # Debian's binaryen (108) produces broken wasm
WASM_SPLIT_VERSION=0.2.4       # wasm_split_cli_support: matches leptos 0.8's wasm_split_helpers 0.2

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The release build of the browser bundle uses a pinned nightly for its size
# flags (scripts/wasm-toolchain.sh): with the wasm target and the standard
# library's sources, whose own crates are fetched below. If it cannot be
# installed, the release build falls back to stable (larger, still working).
source scripts/wasm-toolchain.sh
if [ -z "$(wasm_toolchain_library)" ] \
   || ! rustup target list --installed --toolchain "$WASM_TOOLCHAIN" 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "installing the $WASM_TOOLCHAIN toolchain for the release wasm build (about a minute, once)"
  rustup toolchain install "$WASM_TOOLCHAIN" --profile minimal \
    --target wasm32-unknown-unknown --component rust-src \
    || log "WARNING: $WASM_TOOLCHAIN could not be installed; the release bundle will be built with stable"
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (about 8 minutes, once)"
  cargo install --locked trunk --version "=$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  # --locked has failed here on a lockfile entry the registry lacks; fall back.
  cargo install --locked wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" \
    || cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

# The splitter that cuts the settings out of the first download
# (scripts/build-wasm.sh). Not the Dioxus crate of a similar name.
# It has no --version: cargo's own list of installed packages tells.
if ! command -v wasm-split-cli >/dev/null \
   || ! cargo install --list | grep -q "^wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  log "installing wasm_split_cli_support $WASM_SPLIT_VERSION (about 2 minutes, once)"
  cargo install --locked wasm_split_cli_support --version "=$WASM_SPLIT_VERSION" --features build-binary
fi

need_apt=()
command -v brotli >/dev/null || need_apt+=(brotli)   # precompressed assets
command -v zopfli >/dev/null || need_apt+=(zopfli)   # their smallest gzip
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql) # the PostgreSQL backend's tests
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm packages (wasm-opt from binaryen, esbuild, playwright-core, axe-core) live in the
# repository's node_modules, pinned by package-lock.json.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ] || [ ! -d node_modules/playwright-core ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
wasm-opt --version | grep -q "version_$BINARYEN_VERSION" \
  || { echo "wasm-opt on PATH is not binaryen $BINARYEN_VERSION" >&2; exit 1; }

log "fetching crates"
cargo fetch --locked 2>/dev/null || cargo fetch
# The crates the standard library is rebuilt from (-Zbuild-std), so the
# release build can run --offline like every other.
library=$(wasm_toolchain_library)
if [ -n "$library" ]; then
  cargo +"$WASM_TOOLCHAIN" fetch --manifest-path "$library/Cargo.toml" >/dev/null 2>&1 \
    || log "WARNING: the standard library's crates could not be fetched"
fi
log "tools ready"
