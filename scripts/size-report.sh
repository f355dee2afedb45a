#!/usr/bin/env bash
# Prints the size of the release bundle in dist/ (raw and gzipped), per kind.
# It reports; it does not judge. Build first with `trunk build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d dist ] || { echo "dist/ is missing: run 'trunk build --release' first" >&2; exit 1; }
total_raw=0; total_gz=0
printf '%-6s %10s %10s  %s\n' kind raw gzip file
for f in dist/*.wasm dist/*.js dist/*.css; do
  [ -f "$f" ] || continue
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-6s %10d %10d  %s\n' "${f##*.}" "$raw" "$gz" "$(basename "$f")"
done
printf '%-6s %10d %10d  (budget: 153600 gzipped)\n' total "$total_raw" "$total_gz"
