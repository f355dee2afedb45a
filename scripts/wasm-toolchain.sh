# Sourced by scripts/setup.sh and scripts/build-wasm.sh: the Rust toolchain
# of the browser bundle's release build, and what it is asked to do.
#
# A pinned nightly, because the flags that take the most off the first load
# are unstable (measured on the main module, gzip: 261 KB on stable, 224 KB
# with these):
#   -Zbuild-std ... optimize_for_size  the standard library rebuilt for size;
#   -Cpanic=immediate-abort            a panic traps at once: no panic
#                                      messages or formatting in the bundle;
#   -Zlocation-detail=none             no file/line records for panics;
#   -Zfmt-debug=none                   `{:?}` writes nothing: texts that quote
#                                      input use optline_engine::texts::Quoted.
# Everything else (the server, the tests, the development build of the app)
# builds with the stable toolchain. Without this toolchain the release build
# falls back to stable, working but larger, and says so.
WASM_TOOLCHAIN=nightly-2026-05-20
WASM_SIZE_RUSTFLAGS="-Zlocation-detail=none -Zfmt-debug=none -Zunstable-options -Cpanic=immediate-abort"
WASM_BUILD_STD_ARGS="-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size"

# The standard library's sources of $WASM_TOOLCHAIN (for -Zbuild-std), or
# nothing when the toolchain or its rust-src component is missing.
wasm_toolchain_library() {
  local sysroot
  sysroot=$(rustup run "$WASM_TOOLCHAIN" rustc --print sysroot 2>/dev/null) || return 0
  [ -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ] && echo "$sysroot/lib/rustlib/src/rust/library"
  return 0
}
