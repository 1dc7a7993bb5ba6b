#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, one after the
# other, from the seed corpus. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). Crashes land in fuzz/artifacts/<target>/;
# minimise one with `cargo +nightly fuzz tmin <target> <file>` and keep it
# under tests/fixtures/fuzz/ (tests/fuzz_regressions.rs replays them).
# Safe Rust needs no AddressSanitizer; without it the targets run several
# times faster (cargo fuzz --sanitizer none).
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (default: 420 s, all five)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-420}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(parse check sql fmt docs)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
cd "$here"
"$here/seed.sh"
cargo +nightly fuzz build -O --sanitizer none
mkdir -p "$here/logs"
for target in "${targets[@]}"; do
  log="$here/logs/$target.log"
  echo "== $target: $seconds s (log: fuzz/logs/$target.log)"
  status=0
  cargo +nightly fuzz run -O --sanitizer none "$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|SUMMARY|panicked|Test unit written" "$log" || true
  echo "   exit $status, corpus $(ls "$here/corpus/$target" | wc -l) inputs"
done
