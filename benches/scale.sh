#!/usr/bin/env bash
# Scale benchmark (issue 7): generated projects of 120, 1,200 and 12,000
# metrics (teams, sources, targets, links, derived metrics), in release
# mode. Prints two Markdown tables:
#  - per stage, in one process (benches/stages.rs): compile, SQL for all
#    seven dialects, the docs site; wall time and CPU time (all cores),
#    median of 3 runs, and the highest peak memory;
#  - whole commands: `cpic check`, `cpic docs --no-data`, `cpic build
#    --no-data` (all seven dialects + site + manifest, written to disk);
#    wall time (best of 3) and peak memory.
# Usage: benches/scale.sh [SIZES...]   (from the repository root; the
# release build is shared with `cargo run --release`)
set -euo pipefail
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(120 1200 12000)
cargo build --release --quiet --bin cpic --example generate_project --example stages
target="${CARGO_TARGET_DIR:-target}/release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| metrics | files | spec size | compile | SQL, 7 dialects (CPU) | docs (CPU) | peak memory |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  "$target/examples/generate_project" "$n" "$work/p$n"
  files=$(find "$work/p$n" -name '*.cpi' | wc -l)
  size=$(du -sh "$work/p$n" | cut -f1)
  # Three runs: the median time of each stage (this shared machine's
  # timings vary by a third from run to run) and the highest peak.
  out=$(for _ in 1 2 3; do "$target/examples/stages" "$work/p$n"; done)
  median() { awk -F'\t' -v s="$1" -v f="$2" '$1 == s { print $f }' <<<"$out" | sort -n | sed -n 2p; }
  t() { median "$1" 2; }
  c() { median "$1" 3; }
  peak=$(awk -F'\t' '{ print $4 }' <<<"$out" | sed 's/ MB peak//' | sort -n | tail -1)" MB"
  echo "| $n | $files | $size | $(t compile) | $(t 'sql, 7 dialects') ($(c 'sql, 7 dialects')) | $(t docs) ($(c docs)) | $peak |"
done

echo
echo "| metrics | command | wall (best of 3) | peak memory | output |"
echo "|---:|---|---:|---:|---:|"
for n in "${sizes[@]}"; do
  for cmd in check docs build; do
    best=""; peak=0; size="-"
    for _ in 1 2 3; do
      rm -rf "$work/out"
      case $cmd in
        check) args=(check "$work/p$n" --format short) ;;
        docs) args=(docs "$work/p$n" -o "$work/out" --no-data) ;;
        build) args=(build "$work/p$n" -o "$work/out" --no-data) ;;
      esac
      /usr/bin/time -o "$work/time" -f "%e %M" "$target/cpic" "${args[@]}" --today 2026-06-01 >/dev/null 2>&1 || true
      res=$(tail -1 "$work/time")
      t=${res% *}; mem=${res#* }
      if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
      if [ "$mem" -gt "$peak" ]; then peak=$mem; fi
      [ -d "$work/out" ] && size=$(du -sh "$work/out" | cut -f1)
    done
    echo "| $n | \`cpic $cmd\` | ${best} s | $((peak / 1024)) MB | $size |"
  done
done
