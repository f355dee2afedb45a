# Sourced by the wasm test scripts (crates/engine/scripts/test-wasm.sh,
# scripts/test-app-wasm.sh): cargo runs wasm32 tests in headless Chromium
# through wasm-bindgen-test-runner.
#
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-test-runner
# 0.2.130 on PATH (cargo install wasm-bindgen-cli --version 0.2.130),
# chromium + chromedriver (/usr/bin/chromedriver); scripts/setup.sh installs them.
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER:-wasm-bindgen-test-runner}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
command -v wasm-bindgen-test-runner >/dev/null || {
  echo "wasm-bindgen-test-runner not found: cargo install wasm-bindgen-cli --version 0.2.130" >&2
  exit 1
}
