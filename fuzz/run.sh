#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] — fuzz the FastAGI frame parser for a bounded time
# (default 60 s) with cargo-fuzz on the nightly toolchain. New inputs go to
# fuzz/corpus-work/ (ignored by git); the committed seeds in
# fuzz/corpus/agi_frame/ are only read. A crash leaves its input in
# fuzz/artifacts/agi_frame/ and makes this script fail.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz missing: cargo install cargo-fuzz (needs rustup toolchain nightly)" >&2
    exit 2
}
mkdir -p corpus-work
exec cargo +nightly fuzz run agi_frame corpus-work corpus/agi_frame -- \
    -max_total_time="$seconds" -max_len=4096 -timeout=5
