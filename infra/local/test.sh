#!/usr/bin/env bash
# The project's test command: installs and starts what the tests need (local stand-ins from
# infra/local/), then runs every check CI runs.
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

echo "== cargo doc (broken or private intra-doc links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --bins --locked --quiet

# Local stand-ins, stopped again however the run ends.
started=()
cleanup() {
  for svc in "${started[@]}"; do bash "infra/local/$svc.sh" stop || true; done
}
trap cleanup EXIT

echo "== graph database (ArcadeDB, Bolt on 127.0.0.1)"
if bash infra/local/graphdb.sh start; then
  started+=(graphdb)
  eval "$(bash infra/local/graphdb.sh env)"
else
  echo "WARNING: the local graph database could not be started; the live graph tests will skip"
fi

echo "== S3 (moto server on 127.0.0.1)"
if bash infra/local/s3.sh start; then
  started+=(s3)
  eval "$(bash infra/local/s3.sh env)"
else
  echo "WARNING: the local S3 server could not be started; the end-to-end Lambda test will skip"
fi

echo "== cargo test"
cargo test --all-targets --locked

echo "== replay an S3 event through bootstrap with cargo-lambda, then ork reprocess --via-lambda"
if [ -n "${NEO4J_URI:-}" ] && [ -n "${AWS_ENDPOINT_URL_S3:-}" ]; then
  bash infra/local/replay.sh testdata/events/multi-record.json --reprocess
else
  echo "SKIPPED cargo-lambda replay: the local graph or S3 server is not running"
fi
