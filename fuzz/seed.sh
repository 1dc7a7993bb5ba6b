#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with the seed corpus: every spec file of the
# examples and fixtures on its own, and every project as one input (its
# spec files joined, then a NUL byte and its cpi.toml; see harness.rs).
# Usage: fuzz/seed.sh   (from anywhere)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1)); cp "$f" "$seeds/file-$n"
done < <(find "$root/examples" "$root/tests/fixtures" -name '*.cpi' -print0 | sort -z)
while IFS= read -r -d '' toml; do
  dir=$(dirname "$toml")
  n=$((n + 1))
  { find "$dir" -name '*.cpi' -print0 | sort -z | xargs -0 cat; printf '\0'; cat "$toml"; } > "$seeds/project-$n"
done < <(find "$root/examples" "$root/tests/fixtures" -name cpi.toml -print0 | sort -z)
# Findings kept as regression fixtures seed every target too.
if [ -d "$root/tests/fixtures/fuzz" ]; then
  cp "$root"/tests/fixtures/fuzz/* "$seeds/" 2>/dev/null || true
fi
for target in parse check sql fmt docs; do
  mkdir -p "$here/corpus/$target"
  cp "$seeds"/* "$here/corpus/$target/"
done
echo "seeded $(ls "$seeds" | wc -l) inputs into fuzz/corpus/{parse,check,sql,fmt,docs}"
