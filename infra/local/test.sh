#!/usr/bin/env bash
# The project's test command: what a new machine needs, then every check CI runs.
# Usage: bash infra/local/test.sh   (from anywhere; CI runs it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -d ../shared/corpus ]; then
  echo "note: ../shared/corpus is absent; the corpus tests and benches will say they skipped"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --all-targets --locked
