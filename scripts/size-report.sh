#!/usr/bin/env bash
# Prints the size of the release bundle in dist/ (raw, gzip, brotli), in two
# sets, against the targets of issue 13:
#   first load  - what an agent fetches before the inbox is interactive:
#                 index.html, the JS (bindings and split loader), the CSS and
#                 the main wasm module (shell, login, inbox, thread, engine);
#   on demand   - wasm chunks fetched later (split_*.wasm: the settings;
#                 chunk_*.wasm: code the splitter shares between chunks).
# Compressed sizes are those of the .gz/.br copies the build wrote (what the
# server sends); without copies the file is compressed here at best settings.
# It fails when a set is over its target, so CI catches a change that
# undoes issue 13 (the test command runs it after the browser tests).
# Build first with `trunk build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d dist ] || { echo "dist/ is missing: run 'trunk build --release' first" >&2; exit 1; }

FIRST_LOAD_TARGET=204800 # 200 KB gzipped
ALL_TARGET=409600        # 400 KB gzipped

gz_size() { if [ -f "$1.gz" ]; then stat -c %s "$1.gz"; else gzip -9 -n -c "$1" | wc -c; fi; }
br_size() {
  if [ -f "$1.br" ]; then stat -c %s "$1.br"
  elif command -v brotli >/dev/null; then brotli -q 11 -c "$1" | wc -c
  else echo 0; fi
}
on_demand() { case "$(basename "$1")" in split_*.wasm | chunk_*.wasm) return 0 ;; esac; return 1; }

declare -A raw gz br
for set in first demand; do raw[$set]=0; gz[$set]=0; br[$set]=0; done
row() { printf '%-10s %10s %10s %10s  %s\n' "$@"; }
row set raw gzip brotli file
for f in dist/*.html dist/*.js dist/*.css dist/*.wasm; do
  [ -f "$f" ] || continue
  set=first; label="first load"
  if on_demand "$f"; then set=demand; label="on demand"; fi
  r=$(stat -c %s "$f"); g=$(gz_size "$f"); b=$(br_size "$f")
  raw[$set]=$((raw[$set] + r)); gz[$set]=$((gz[$set] + g)); br[$set]=$((br[$set] + b))
  row "$label" "$r" "$g" "$b" "$(basename "$f")"
done
verdict() { if [ "$1" -le "$2" ]; then echo "within $2"; else echo "over $2 by $(($1 - $2))"; fi; }
echo
row "first load" "${raw[first]}" "${gz[first]}" "${br[first]}" "gzip $(verdict "${gz[first]}" $FIRST_LOAD_TARGET)"
row "on demand" "${raw[demand]}" "${gz[demand]}" "${br[demand]}" ""
all_gz=$((gz[first] + gz[demand]))
row "all" "$((raw[first] + raw[demand]))" "$all_gz" "$((br[first] + br[demand]))" \
  "gzip $(verdict "$all_gz" $ALL_TARGET)"
if [ "${gz[first]}" -gt $FIRST_LOAD_TARGET ] || [ "$all_gz" -gt $ALL_TARGET ]; then
  echo "size-report: the bundle is over its budget (issue 13); README's 'Bundle size' says what each part costs." >&2
  exit 1
fi
