#!/usr/bin/env bash
# Instructions, counted by callgrind, of whole processes over the shared corpus: the parser
# against its floor (inflate and count tags, `--example inflate-only`). Counts are the same on
# every run of the same binaries and inputs, so a regression shows at once on a noisy machine.
# A bench, not a test: it prints a Markdown table and asserts nothing.
#
#   bash benches/instructions.sh [CORPUS_DIR]     (default ../shared/corpus)
#
# Rows: the floor; `ork inspect` (no series); `ork inspect --series`; and the per-file constant
# of a tiny zip (the corpus's smallest file, given 50 times in one process, less one time,
# divided by 49), for `ork inspect` and for the floor. Needs valgrind. Builds the release binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${1:-../shared/corpus}"
[ -d "$CORPUS" ] || { echo "instructions: no corpus at $CORPUS (skipped)" >&2; exit 0; }
command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

cargo build --quiet --release --bin ork --example inflate-only
TARGET="${CARGO_TARGET_DIR:-target}/release"
ORK="$TARGET/ork"
FLOOR="$TARGET/examples/inflate-only"

mapfile -d '' FILES < <(find "$CORPUS" -name '*.ork' -print0 | sort -z)
# The smallest zip of the corpus: the per-file constant.
TINY="$(for f in "${FILES[@]}"; do
  if [ "$(head -c 2 "$f")" = "PK" ]; then printf '%s\t%s\n' "$(stat -c %s "$f")" "$f"; fi
done | sort -n | awk -F '\t' 'NR == 1 { print $2 }')"

# Instructions of one process (every thread), as callgrind reports them.
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
    | sed -n 's/^==[0-9]*== Collected : \([0-9]*\).*/\1/p'
}
# The per-file constant of `$@ FILE`: (50 × FILE − 1 × FILE) / 49.
per_file() {
  local one fifty
  one="$(count "$@" "$TINY")"
  mapfile -t many < <(for _ in $(seq 50); do echo "$TINY"; done)
  fifty="$(count "$@" "${many[@]}")"
  echo $(((fifty - one) / 49))
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
millions() { awk -v a="$1" 'BEGIN { printf "%.1f M", a / 1e6 }'; }

floor="$(count "$FLOOR" "${FILES[@]}")"
inspect="$(count "$ORK" inspect "${FILES[@]}")"
series="$(count "$ORK" inspect --series "${FILES[@]}")"
tiny_floor="$(per_file "$FLOOR")"
tiny_inspect="$(per_file "$ORK" inspect)"

echo "| what (whole process, ${#FILES[@]} files of $CORPUS) | instructions | × the floor |"
echo "|---|---|---|"
echo "| the floor: inflate-only (inflate, count tags) | $(millions "$floor") | 1.00 |"
echo "| \`ork inspect\` | $(millions "$inspect") | $(ratio "$inspect" "$floor") |"
echo "| \`ork inspect --series\` | $(millions "$series") | $(ratio "$series" "$floor") |"
echo "| per file, tiny zip ($(basename "$TINY"), $(stat -c %s "$TINY") B): \`ork inspect\` | $(millions "$tiny_inspect") | $(ratio "$tiny_inspect" "$tiny_floor") |"
echo "| per file, tiny zip: the floor | $(millions "$tiny_floor") | 1.00 |"
