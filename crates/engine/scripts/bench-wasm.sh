#!/usr/bin/env bash
# Benchmarks step() compiled to wasm (node, no JS glue needed) against the
# same workload natively, and prints decisions/second and the ratio.
#   crates/engine/scripts/bench-wasm.sh [ROUNDS]
# Set WASM_PROFILE=wasm-release to measure the size-optimised browser profile
# (opt-level "z") instead of the speed-optimised release profile.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # workspace root
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ROUNDS="${1:-10}"
PROFILE="${WASM_PROFILE:-release}"
cargo build -q --profile "$PROFILE" -p optline-engine --example wasm_bench --target wasm32-unknown-unknown
cargo build -q --release -p optline-engine --example bench_native
WASM="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$PROFILE/examples/wasm_bench.wasm"
NATIVE_OUT="$("$CARGO_TARGET_DIR/release/examples/bench_native" "$ROUNDS")"
WASM_OUT="$(node crates/engine/scripts/bench-wasm.mjs "$WASM" "$ROUNDS")"
echo "$NATIVE_OUT"
echo "$WASM_OUT" | head -1
node -e '
const n = process.argv[1].match(/([\d.]+) M decisions\/s \(wall.*?([\d.]+) M decisions\/s/);
const w = JSON.parse(process.argv[2].split("\n")[1]);
const nw = Number(n[1]) * 1e6, nc = Number(n[2]) * 1e6;
console.log(`ratio wasm time / native time: ${(nw / w.wasm_wall).toFixed(2)}x (wall), ${(nc / w.wasm_cpu).toFixed(2)}x (CPU)  [target <= 2x]`);
' "$NATIVE_OUT" "$WASM_OUT"
