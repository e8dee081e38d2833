#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] — fuzz the FastAGI frame parser for a bounded time
# (default 60 s). New inputs go to fuzz/corpus-work/ (ignored by git); the
# committed seeds in fuzz/corpus/agi_frame/ are only read. A crash leaves its
# input in fuzz/artifacts/agi_frame/ and makes this script fail.
#
# With cargo-fuzz and a nightly toolchain it runs `cargo +nightly fuzz run`
# (with AddressSanitizer). Otherwise, on the stable toolchain, it builds the
# same libFuzzer binary cargo-fuzz would, with the same coverage
# instrumentation (stable `-C` flags) but no sanitizer: the parser is safe
# Rust, so what fuzzing looks for is a panic, and a panic aborts either way.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
mkdir -p corpus-work artifacts/agi_frame
libfuzzer_args=(-max_total_time="$seconds" -max_len=4096 -timeout=5
    -artifact_prefix=artifacts/agi_frame/ -print_final_stats=1)

if command -v cargo-fuzz >/dev/null && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    exec cargo +nightly fuzz run agi_frame corpus-work corpus/agi_frame -- "${libfuzzer_args[@]}"
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
    cargo build --release --target "$host" --bin agi_frame
exec "target/$host/release/agi_frame" corpus-work corpus/agi_frame "${libfuzzer_args[@]}"
