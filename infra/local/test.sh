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

echo "== the deployment templates and scripts (infra/validate.sh; its tools pinned, in infra/.venv)"
validate=0
bash infra/validate.sh || validate=$?
if [ "$validate" -eq 3 ] && [ "${CI:-}" != "true" ]; then
  echo "WARNING: the tools of infra/validate.sh could not be installed; the templates were not checked"
elif [ "$validate" -ne 0 ]; then
  echo "FAILED: infra/validate.sh (exit $validate)" >&2
  exit 1
fi

# A stand-in that cannot start is a failure in CI (CI=true): skipping there would turn a broken
# install into a green run. People without those tools get the skips, with a message.
unavailable() {
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: $1 could not be started, and CI=true does not allow skipping its tests" >&2
    exit 1
  fi
  echo "WARNING: $1 could not be started; $2 will skip"
}

# Local stand-ins, stopped again however the run ends.
started=()
cleanup() {
  for svc in "${started[@]}"; do bash "infra/local/$svc.sh" stop || true; done
}
trap cleanup EXIT

echo "== graph database (Neo4j 5 Community: Bolt on 127.0.0.1 with auth, plain and TLS)"
if bash infra/local/neo4j.sh start; then
  started+=(neo4j)
  eval "$(bash infra/local/neo4j.sh env)"
else
  unavailable "the local Neo4j" "the live graph tests"
fi

echo "== S3 (moto server on 127.0.0.1)"
if bash infra/local/s3.sh start; then
  started+=(s3)
  eval "$(bash infra/local/s3.sh env)"
else
  unavailable "the local S3 server" "the end-to-end Lambda tests"
fi

echo "== the frontend's client: the official Neo4j JavaScript driver (npm ci, pinned by tests/frontend/package-lock.json)"
if ! npm ci --prefix tests/frontend --no-audit --no-fund --loglevel=error; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: npm ci --prefix tests/frontend failed, and CI=true does not allow skipping the JavaScript driver test" >&2
    exit 1
  fi
  echo "WARNING: npm ci --prefix tests/frontend failed; the JavaScript driver test will skip"
fi

echo "== cargo test"
cargo test --all-targets --locked

echo "== the GLBs, checked by tools nobody here wrote: the Khronos glTF Validator, and three.js's GLTFLoader in headless Chromium against the profile (infra/local/browser.sh; npm packages pinned by tests/model/package-lock.json)"
models=target/model-check
rm -rf "$models"
mkdir -p "$models"
designs=()
if [ -d ../shared/corpus ]; then
  while IFS= read -r -d '' f; do designs+=("$f"); done < <(find ../shared/corpus -name '*.ork' -print0 | sort -z)
  render_ok=required
else
  # Without the corpus: the hand-written files that are designs (the bad-* ones are not).
  echo "../shared/corpus is absent: checking the GLBs of testdata/ only"
  while IFS= read -r -d '' f; do designs+=("$f"); done < <(find testdata -maxdepth 1 -name '*.ork' ! -name 'bad-*' -print0 | sort -z)
  render_ok=optional
fi
if ! cargo run --locked --quiet --bin ork -- render -o "$models" "${designs[@]}" >"$models/render.log" 2>&1 \
  && [ "$render_ok" = required ]; then
  cat "$models/render.log" >&2
  echo "FAILED: ork render of the corpus (log: $models/render.log)" >&2
  exit 1
fi
expect=()
if [ "$render_ok" = required ]; then
  expect=(--expect "${#designs[@]}")
fi
browser=0
bash infra/local/browser.sh check "$models" "${expect[@]}" || browser=$?
if [ "$browser" -eq 3 ] && [ "${CI:-}" != "true" ]; then
  echo "WARNING: Chromium or the npm packages of tests/model could not be installed; the GLBs were not checked in a browser"
elif [ "$browser" -ne 0 ]; then
  echo "FAILED: infra/local/browser.sh check $models (exit $browser); screenshots in $models/browser" >&2
  exit 1
fi

echo "== replay an S3 event and S3 Batch Operations events through bootstrap with cargo-lambda, then ork reprocess --via-lambda"
if [ -n "${NEO4J_URI:-}" ] && [ -n "${AWS_ENDPOINT_URL_S3:-}" ]; then
  bash infra/local/replay.sh testdata/events/multi-record.json \
    testdata/events/batch-v1.json testdata/events/batch-v2.json --reprocess
elif [ "${CI:-}" = "true" ]; then
  echo "FAILED: the cargo-lambda replay needs the local graph and S3 servers" >&2
  exit 1
else
  echo "SKIPPED cargo-lambda replay: the local graph or S3 server is not running"
fi

echo "== the upload-to-visible latency bench, once (cargo test mode), through the latency harness (same-region delays in front of Neo4j, S3 and the Cloudinary stub)"
if [ -n "${NEO4J_URI:-}" ] && [ -n "${AWS_ENDPOINT_URL_S3:-}" ]; then
  bash infra/local/latency.sh start same-region
  started+=(latency)
  (
    eval "$(bash infra/local/latency.sh env)"
    cargo test --locked --bench latency
  )
elif [ "${CI:-}" = "true" ]; then
  echo "FAILED: the latency bench needs the local graph and S3 servers" >&2
  exit 1
else
  echo "SKIPPED the latency bench: the local graph or S3 server is not running"
fi
