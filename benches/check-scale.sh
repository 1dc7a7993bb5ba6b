#!/usr/bin/env bash
# Wall time and peak memory of `cpic check` (release build) on generated
# projects of 120, 1,200 and 12,000 metrics. Prints a Markdown table.
# Usage: benches/check-scale.sh   (from the repository root)
set -euo pipefail
cargo build --release --quiet --bin cpic --example generate_project
target="${CARGO_TARGET_DIR:-target}/release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "| metrics | files | size | wall (best of 5) | peak memory |"
echo "|---:|---:|---:|---:|---:|"
for n in 120 1200 12000; do
  "$target/examples/generate_project" "$n" "$work/p$n"
  files=$(find "$work/p$n" -name '*.cpi' | wc -l)
  size=$(du -sh "$work/p$n" | cut -f1)
  best=""
  peak=0
  for _ in 1 2 3 4 5; do
    out=$( { /usr/bin/time -f "%e %M" "$target/cpic" check "$work/p$n" --format short --today 2026-06-01 >/dev/null; } 2>&1 | tail -1)
    t=${out% *}; m=${out#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    if [ "$m" -gt "$peak" ]; then peak=$m; fi
  done
  echo "| $n | $files | $size | ${best} s | $((peak / 1024)) MB |"
done
