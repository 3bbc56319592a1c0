#!/bin/sh
# Run every fuzz target for a bounded time, one after the other, in one
# process each (libFuzzer's default: a single job, its stats on stderr; the
# machine is shared). Usage: fuzz/run.sh [SECONDS_PER_TARGET]
# Needs a nightly toolchain and cargo-fuzz:
#   cargo +nightly install cargo-fuzz --locked
# Crashes land in fuzz/artifacts/<target>/; turn each into a regression
# test in the normal suite (tests/fuzz_regressions.rs).
set -eu
cd "$(dirname "$0")/.."
secs="${1:-60}"
for target in load_folder json_readers gguf_reader render report_writers; do
    echo "== $target (${secs}s)"
    cargo +nightly fuzz run -s none "$target" -- \
        -max_total_time="$secs" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
done
