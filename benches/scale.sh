#!/usr/bin/env bash
# Scale benchmark (issue 7): generated projects of 120, 1,200 and 12,000
# metrics (teams, sources, targets, links, derived metrics), in release
# mode. Prints two Markdown tables:
#  - per stage, in one process (benches/stages.rs): compile, SQL for all
#    seven dialects, the docs site; wall time, CPU time (all cores) and
#    peak memory of each;
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
  out=$("$target/examples/stages" "$work/p$n")
  t() { echo "$out" | awk -F'\t' -v s="$1" '$1 == s { print $2 }'; }
  c() { echo "$out" | awk -F'\t' -v s="$1" '$1 == s { print $3 }'; }
  m() { echo "$out" | awk -F'\t' -v s="$1" '$1 == s { print $4 }' | sed 's/ peak//'; }
  peak=$(printf '%s\n' "$(m compile)" "$(m 'sql, 7 dialects')" "$(m docs)" | sort -n | tail -1)
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
