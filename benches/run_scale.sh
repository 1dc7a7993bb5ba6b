#!/usr/bin/env bash
# `cpic run` and `cpic docs` at scale (issue 17): generated projects of one
# long source (104 weeks of N rows), N CPIs and N KPIs filtered from it and
# a link from each CPI to its KPI (benches/generate_run_project.rs), on the
# embedded DuckDB, and at the smaller size on SQLite and (when
# CPIC_TEST_POSTGRES_URL names a server, loaded with psql) PostgreSQL too.
# Prints a Markdown
# table: wall time (best of 2) and peak memory of `cpic run` (the run plan,
# and with `--standalone` at the smaller size: the queries one by one, as
# before issue 17), `cpic docs` with data and `cpic docs --no-data`.
# Usage: benches/run_scale.sh [LINKS...]   (default: 1000 6000; from the
# repository root; needs python3 for the SQLite copy)
set -euo pipefail
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 6000)
cargo build --release --quiet --bin cpic --example generate_run_project
target="${CARGO_TARGET_DIR:-target}/release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

runs=2
measure() { # label, then the cpic arguments; best of $runs
  local label=$1; shift
  local best="" peak=0
  for _ in $(seq "$runs"); do
    rm -rf "$work/site"
    if ! /usr/bin/time -o "$work/time" -f "%e %M" "$target/cpic" "$@" --today 2026-06-01 >/dev/null 2>"$work/err"; then
      # The standalone queries cannot scan 2,000 metrics at once on SQLite
      # (2,000 columns) or PostgreSQL (1,664): say so.
      echo "| $n | $label | fails: $(head -c 160 "$work/err" | tr '\n|' '  ')… | |"
      return
    fi
    local res t mem
    res=$(tail -1 "$work/time"); t=${res% *}; mem=${res#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    if [ "$mem" -gt "$peak" ]; then peak=$mem; fi
  done
  echo "| $n | $label | ${best} s | $((peak / 1024)) MB |"
}
# The standalone queries take minutes: measured once.
once() { runs=1; measure "$@"; runs=2; }

echo "| links | command | wall (best of 2; standalone: once) | peak memory |"
echo "|---:|---|---:|---:|"
for n in "${sizes[@]}"; do
  p="$work/r$n"
  "$target/examples/generate_run_project" "$n" "$p"
  measure "\`cpic run\` (DuckDB)" run "$p"
  measure "\`cpic docs\` with data (DuckDB)" docs "$p" -o "$work/site"
  measure "\`cpic docs --no-data\`" docs "$p" -o "$work/site" --no-data
  if [ "$n" -le 1000 ]; then
    once "\`cpic run --standalone\` (DuckDB)" run "$p" --standalone
    # The same data in a SQLite file, the sources as a table.
    "$target/examples/generate_run_project" "$n" "$p-sqlite" --tables
    python3 - "$p-sqlite" <<'EOF'
import csv, sqlite3, sys
root = sys.argv[1]
db = sqlite3.connect(f"{root}/obs.sqlite")
rows = csv.reader(open(f"{root}/data/obs.csv"))
header = next(rows)
db.execute(f"CREATE TABLE obs ({', '.join(header)})")
db.executemany(f"INSERT INTO obs VALUES ({', '.join('?' * len(header))})",
               ([r[0], int(r[1])] + [float(v) for v in r[2:]] for r in rows))
db.commit()
EOF
    measure "\`cpic run\` (SQLite)" run "$p-sqlite" --db "sqlite://$p-sqlite/obs.sqlite"
    once "\`cpic run --standalone\` (SQLite)" run "$p-sqlite" --db "sqlite://$p-sqlite/obs.sqlite" --standalone
    if [ -n "${CPIC_TEST_POSTGRES_URL:-}" ]; then
      schema="cpic_run_scale_$n"
      columns=$(head -1 "$p/data/obs.csv" | sed 's/^at,g,//; s/,/ double precision, /g; s/$/ double precision/')
      psql -q "$CPIC_TEST_POSTGRES_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema; CREATE TABLE $schema.obs (at date, g int, $columns)" \
        -c "\\copy $schema.obs FROM '$p/data/obs.csv' CSV HEADER"
      sep='?'; case $CPIC_TEST_POSTGRES_URL in *\?*) sep='&' ;; esac
      pg="$CPIC_TEST_POSTGRES_URL${sep}options=-csearch_path%3D$schema"
      measure "\`cpic run\` (PostgreSQL)" run "$p-sqlite" --db "$pg"
      once "\`cpic run --standalone\` (PostgreSQL)" run "$p-sqlite" --db "$pg"  --standalone
      psql -q "$CPIC_TEST_POSTGRES_URL" -c "DROP SCHEMA $schema CASCADE"
    fi
  fi
done
