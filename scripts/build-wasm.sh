#!/usr/bin/env bash
# Trunk post_build hook (see Trunk.toml): builds the wasm app in place of
# Trunk's own Rust pipeline, which cannot split wasm (index.html marks the
# rust link `data-trunk-skip`, so Trunk builds only the HTML, CSS and copies).
#
# Release (`trunk build --release`):
#   1. cargo with the pinned nightly and its size flags
#      (scripts/wasm-toolchain.sh), profile wasm-release, feature `split`,
#      with relocations kept (-Clink-arg=--emit-relocs) so the splitter can
#      move code safely;
#   2. wasm-split-cli cuts the settings screens out into their own chunk
#      (src/pages/admin/lazy.rs marks the split point);
#   3. wasm-bindgen on the main module (--keep-lld-exports: the chunk links
#      against the main module's exports);
#   4. the JS glue's unused classes dropped with their wasm exports
#      (scripts/drop-unused-classes.mjs); wasm-opt on the main module and on
#      every chunk, its functions put in
#      an order that compresses better (scripts/order-functions.mjs), then
#      short names for what the main module and its JS glue call each other
#      by (scripts/short-glue-names.mjs);
#   5. every file named with one hash of the whole build, the JS minified
#      (esbuild), the loader script written into index.html, and .gz/.br
#      copies (zopfli, brotli) written next to each asset
#      (the server sends those as they are; see crates/server/src/http/static_files.rs).
# Development (`trunk build`, `trunk serve`): the same without splitting and
# without wasm-opt, so the edit-reload loop stays short.
#
# Work happens in target/wasm-split/<profile>/, emptied first, so a chunk of an older
# build can never be shipped with a newer one.
set -euo pipefail

: "${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
cd "${TRUNK_SOURCE_DIR:-$(dirname "$0")/..}"

NAME=optline-app
TARGET_DIR=${CARGO_TARGET_DIR:-target}
profile=debug
[ "${TRUNK_PROFILE:-debug}" = release ] && profile=wasm-release
WORK=$TARGET_DIR/wasm-split/$profile
rm -rf "$WORK"
mkdir -p "$WORK/split" "$WORK/out"

if [ "$profile" = wasm-release ]; then
  # erase_components (a Leptos 0.8 cfg): view types erased at component
  # boundaries, fewer monomorphised copies. The relocations let the
  # splitter move code safely. Panic locations name dependencies' files
  # from the crate on ("tachys-0.2.19/src/…"), not from the registry's
  # directory on this machine: ~5 KB less of the wasm.
  registry=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ 2>/dev/null | head -1 || true)
  rustflags="--cfg erase_components -Clink-arg=--emit-relocs ${registry:+--remap-path-prefix=$registry=}"
  # The size flags need the pinned nightly (scripts/wasm-toolchain.sh).
  source scripts/wasm-toolchain.sh
  toolchain=() std_args=()
  if [ -n "$(wasm_toolchain_library)" ]; then
    toolchain=("+$WASM_TOOLCHAIN")
    read -ra std_args <<<"$WASM_BUILD_STD_ARGS"
    rustflags="$rustflags $WASM_SIZE_RUSTFLAGS"
  else
    echo "build-wasm: $WASM_TOOLCHAIN (with rust-src) is missing; building with stable," \
      "about 40 KB gzipped larger. scripts/setup.sh installs it." >&2
  fi
  RUSTFLAGS="$rustflags" cargo "${toolchain[@]}" build --package "$NAME" --bin "$NAME" \
    --target wasm32-unknown-unknown --profile "$profile" --features split --offline "${std_args[@]}"
  wasm-split-cli "$TARGET_DIR/wasm32-unknown-unknown/$profile/$NAME.wasm" "$WORK/split" \
    --out-name "$NAME"
  main_wasm=$WORK/split/$NAME.wasm
  bindgen_flags=(--keep-lld-exports)
else
  cargo build --package "$NAME" --bin "$NAME" --target wasm32-unknown-unknown --offline
  main_wasm=$TARGET_DIR/wasm32-unknown-unknown/$profile/$NAME.wasm
  bindgen_flags=()
fi

wasm-bindgen --target web --no-typescript "${bindgen_flags[@]}" \
  --out-name "$NAME" --out-dir "$WORK/out" "$main_wasm"
# The chunks and their loader (release only) join the main module.
for f in "$WORK"/split/*; do
  if [ -f "$f" ] && [ "$f" != "$main_wasm" ]; then cp "$f" "$WORK/out/"; fi
done

if [ "$profile" = wasm-release ]; then
  # Features every browser we support has; the same set Trunk was given.
  opt_flags=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)
  # Then alike functions side by side, so gzip finds them as repeats
  # (scripts/order-functions.mjs), and no names or tool/feature notes left.
  order_flags=(--reorder-functions-by-name --strip-debug --strip-producers --strip-target-features)
  # First, the glue's classes the app never uses, so wasm-opt drops their code.
  node scripts/drop-unused-classes.mjs "$WORK/out/${NAME}_bg.wasm" "$WORK/out/$NAME.js"
  for w in "$WORK"/out/*.wasm; do
    wasm-opt "${opt_flags[@]}" "$w" -o "$w.opt"
    node scripts/order-functions.mjs "$w.opt"
    wasm-opt "${opt_flags[@]:1}" "${order_flags[@]}" "$w.opt" -o "$w"
    rm "$w.opt"
  done
  # Short names for the imports and exports between the main module and its
  # JS glue (3 KB gzipped); the split loader's exports keep theirs.
  node scripts/short-glue-names.mjs "$WORK/out/${NAME}_bg.wasm" "$WORK/out/$NAME.js" "$WORK"/out/__wasm_split.js
fi

# One hash for the whole build names every file: the main module and the
# split loader import each other, so per-file hashes would depend on each
# other. The server caches hashed names for a year (is_hashed_asset).
hash=$(cat "$WORK"/out/* | sha256sum | cut -c1-16)
renames=()
for f in "$WORK"/out/*; do
  base=$(basename "$f")
  case "$base" in
    *_bg.wasm) new=${base%_bg.wasm}-${hash}_bg.wasm ;;
    *) new=${base%.*}-${hash}.${base##*.} ;;
  esac
  renames+=("$base" "$new")
done
# Release JS is minified (the bindings: 55 KB → 25 KB raw, 2 KB less
# gzipped); development JS stays readable.
minify_js() {
  if [ "$profile" = wasm-release ]; then esbuild --minify --tree-shaking=true --format=esm --log-level=error
  else cat; fi
}
# Rewrites the JS references (`"./x.js"`, `"./x.wasm"`) to the new names.
# Only quoted module specifiers change: the main wasm's import module name
# ("./__wasm_split.js" as a key of the imports object) must stay as it is.
sed_script=()
for ((i = 0; i < ${#renames[@]}; i += 2)); do
  old=${renames[i]//./\\.}
  sed_script+=(-e "s#from \"\\./${old}\"#from \"./${renames[i + 1]}\"#g"
    -e "s#URL(\"\\./${old}\"#URL(\"./${renames[i + 1]}\"#g")
done
for ((i = 0; i < ${#renames[@]}; i += 2)); do
  src=$WORK/out/${renames[i]}
  dst=$TRUNK_STAGING_DIR/${renames[i + 1]}
  case "$src" in
    *.js) sed "${sed_script[@]}" "$src" | minify_js >"$dst" ;;
    *) cp "$src" "$dst" ;;
  esac
done

# The loader. Module scripts run after parsing, like Trunk's own loader;
# preloading lets the browser fetch the wasm while the JS is parsed.
js=/$NAME-$hash.js
wasm=/$NAME-${hash}_bg.wasm
loader="<link rel=\"modulepreload\" href=\"$js\"><link rel=\"preload\" href=\"$wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin=\"anonymous\"><script type=\"module\">import init from '$js';await init({ module_or_path: '$wasm' });</script>"
html=$TRUNK_STAGING_DIR/index.html
# The loader takes the place of the rust link Trunk left in the head (it
# skipped it, and it means nothing to a browser). In a release build Trunk
# has minified the HTML, so the link is found as an element, not a line.
skipped='<link[^>]*data-trunk-skip[^>]*>'
grep -Eq "$skipped" "$html" || { echo "no data-trunk-skip link in $html" >&2; exit 1; }
content=$(<"$html")
printf '%s\n' "$(printf '%s\n' "$content" | sed -E "s#$skipped#__LOADER__#")" \
  | awk -v loader="$loader" '{ sub(/__LOADER__/, loader); print }' >"$html"

if [ "$profile" = wasm-release ]; then
  # Precompressed copies, best settings: written once here instead of on
  # every request. zopfli writes ordinary gzip about 4 % smaller than
  # gzip -9 (the main module: 10 KB), at 1–2 s a file.
  for f in "$TRUNK_STAGING_DIR"/*.{html,js,wasm,css,svg}; do
    [ -f "$f" ] || continue
    if command -v zopfli >/dev/null; then zopfli -c "$f" >"$f.gz"; else gzip -9 -n -k -f "$f"; fi
    brotli -q 11 -k -f "$f"
  done
fi
