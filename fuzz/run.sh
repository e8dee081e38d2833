#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET] — fuzz one target for a bounded time (default
# 60 s; targets: agi_frame (the default), ari_event, calendar_file). New inputs
# go to fuzz/corpus-work/TARGET/ (ignored by git); the committed seeds in
# fuzz/corpus/TARGET/ are only read. A crash leaves its input in
# fuzz/artifacts/TARGET/ and makes this script fail.
#
# With cargo-fuzz and a nightly toolchain it runs `cargo +nightly fuzz run`
# (with AddressSanitizer). Otherwise, on the stable toolchain, it builds the
# same libFuzzer binary cargo-fuzz would, with the same coverage
# instrumentation (stable `-C` flags) but no sanitizer: the parser is safe
# Rust, so what fuzzing looks for is a panic, and a panic aborts either way.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
target=${2:-agi_frame}
[ -d "corpus/$target" ] || { echo "fuzz/run.sh: no target $target (see fuzz/README.md)" >&2; exit 2; }
mkdir -p "corpus-work/$target" "artifacts/$target"
libfuzzer_args=(-max_total_time="$seconds" -max_len=4096 -timeout=5
    -artifact_prefix="artifacts/$target/" -print_final_stats=1)

if command -v cargo-fuzz >/dev/null && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    exec cargo +nightly fuzz run "$target" "corpus-work/$target" "corpus/$target" -- "${libfuzzer_args[@]}"
fi

echo "fuzz/run.sh: no cargo-fuzz with nightly here; building the libFuzzer target on stable" >&2
host=$(rustc -vV | sed -n 's/^host: //p')
# --target keeps these flags off build scripts and proc macros, as cargo-fuzz does.
RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions -Coverflow-checks" \
    cargo build --release --target "$host" --bin "$target"
exec "target/$host/release/$target" "corpus-work/$target" "corpus/$target" "${libfuzzer_args[@]}"
