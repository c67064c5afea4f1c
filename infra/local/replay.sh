#!/usr/bin/env bash
# Replays an S3 event fixture through the real `bootstrap` binary with cargo-lambda, against
# the local stand-ins: S3 (s3.sh), the graph (graphdb.sh) and the Cloudinary stub.
#
#   bash infra/local/replay.sh [testdata/events/created.json] [--reprocess]
#
# With --reprocess it then runs `ork reprocess --via-lambda bootstrap --force` over the bucket
# against the same local Lambda endpoint, and checks that every object was dispatched and
# processed by the function.
#
# Installs cargo-lambda from PyPI into infra/local/.venv if needed (a cargo build of it takes
# 15+ minutes), uploads the objects the fixture names into the bucket `ork-designs`, runs
# `cargo lambda watch` on 127.0.0.1, `cargo lambda invoke bootstrap --data-file …`, and checks
# that the function answered with a record per object. Servers it started are stopped again.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENT="${1:-testdata/events/created.json}"
REPROCESS="${2:-}"
HERE=infra/local
VENV="$HERE/.venv"
DATA="$HERE/.data"
mkdir -p "$DATA"
PYTHON="${PYTHON:-python3}"

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
if [ ! -x "$VENV/bin/cargo-lambda" ]; then
  echo "replay: installing cargo-lambda into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "cargo-lambda==1.9.2"
fi
export PATH="$PWD/$VENV/bin:$PATH"

pids=()
stop_services=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for s in "${stop_services[@]}"; do bash "$HERE/$s.sh" stop >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

for svc in graphdb s3; do
  if ! bash "$HERE/$svc.sh" status >/dev/null 2>&1; then
    bash "$HERE/$svc.sh" start
    stop_services+=("$svc")
  fi
  eval "$(bash "$HERE/$svc.sh" env)"
done

# The Cloudinary contract stub on a free port.
"$PYTHON" "$HERE/cloudinary_stub.py" --port 0 --cloud stub-cloud --api-key stub-key \
  --api-secret stub-secret >"$DATA/stub.out" 2>"$DATA/stub.log" &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$DATA/stub.out" 2>/dev/null && break; sleep 0.1; done
STUB="$(sed -n 's/^cloudinary stub listening on //p' "$DATA/stub.out")"
[ -n "$STUB" ] || { echo "replay: the Cloudinary stub did not start" >&2; exit 1; }
export CLOUDINARY_URL="cloudinary://stub-key:stub-secret@stub-cloud" CLOUDINARY_API_BASE="$STUB"

# The objects the fixture names, from the corpus when it is there, else from testdata/.
"$VENV/bin/python" - "$EVENT" <<'EOF'
import json, os, sys, urllib.parse
import boto3
event = json.load(open(sys.argv[1]))
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
try:
    s3.create_bucket(Bucket="ork-designs")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
corpus = "../shared/corpus/openrocket-examples"
for r in event["Records"]:
    key = urllib.parse.unquote_plus(r["s3"]["object"]["key"])
    if not r["eventName"].startswith("ObjectCreated") or not key.lower().endswith(".ork"):
        continue
    name = key.split("/")[-1]
    path = os.path.join(corpus, name)
    if name == "not-a-rocket.ork":
        path = "testdata/bad-random.ork"
    elif not os.path.exists(path):
        path = "testdata/zipped.ork"
    s3.put_object(Bucket="ork-designs", Key=key, Body=open(path, "rb").read())
    print(f"replay: put s3://ork-designs/{key} ({os.path.getsize(path)} bytes)")
EOF

PORT="${ORK_REPLAY_PORT:-9077}"
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$PORT" --ignore-changes \
  >"$DATA/watch.log" 2>&1 &
pids+=($!)
# `watch` needs a moment (more on a loaded machine) before it listens; `invoke` then waits
# for the function to be built and started.
for i in $(seq 1 120); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    break
  fi
  if ! kill -0 "${pids[-1]}" 2>/dev/null; then
    echo "replay: cargo lambda watch exited" >&2
    cat "$DATA/watch.log" >&2
    exit 1
  fi
  if [ "$i" = 120 ]; then
    echo "replay: cargo lambda watch did not listen on 127.0.0.1:$PORT within 60 s" >&2
    cat "$DATA/watch.log" >&2
    exit 1
  fi
  sleep 0.5
done
OUT="$(cargo lambda invoke bootstrap --invoke-address 127.0.0.1 --invoke-port "$PORT" \
  --data-file "$EVENT" 2>&1)" || { echo "$OUT"; tail -20 "$DATA/watch.log"; exit 1; }
echo "$OUT"
echo "$OUT" | "$VENV/bin/python" -c '
import json, sys
out = json.loads(sys.stdin.read())
records = out["records"]
assert records, "no records in the answer"
bad = [r for r in records if r["outcome"] == "failed"]
assert not bad, bad
assert all(r["outcome"] in ("written", "unchanged", "invalid") for r in records), records
print("replay: ok,", ", ".join("%s: %s" % (r["key"], r["outcome"]) for r in records))
'

[ "$REPROCESS" = "--reprocess" ] || exit 0

# `ork reprocess --via-lambda`: one asynchronous invocation per object, with a synthetic S3
# event, through the Lambda API that `cargo lambda watch` serves.
ORK="${ORK_BIN:-target/debug/ork}"
[ -x "$ORK" ] || cargo build --quiet --bin ork
before="$(grep -c '"object processed"' "$DATA/watch.log" || true)"
AWS_ENDPOINT_URL_LAMBDA="http://127.0.0.1:$PORT" "$ORK" reprocess --bucket ork-designs \
  --prefix uploads/ --via-lambda bootstrap --force --concurrency 2 \
  --report "$DATA/reprocess-report.json" --journal "$DATA/reprocess.journal.jsonl"
"$VENV/bin/python" - "$DATA/reprocess-report.json" "$DATA/watch.log" "$before" <<'EOF'
import json, sys, time
report = json.load(open(sys.argv[1]))
c = report["counts"]
assert report["mode"] == "lambda" and c["failed"] == 0, report
assert c["listed"] > 0 and c["dispatched"] == c["listed"], c
# The invocations are asynchronous: wait for the function to log each object.
want = int(sys.argv[3]) + c["listed"]
for _ in range(600):
    seen = [l for l in open(sys.argv[2], errors="replace") if '"object processed"' in l]
    if len(seen) >= want:
        break
    time.sleep(0.1)
assert len(seen) >= want, f"the function logged {len(seen)} objects, expected {want}"
forced = [l for l in seen[int(sys.argv[3]):] if '"outcome":"written"' in l or '"outcome":"invalid"' in l]
assert len(forced) == c["listed"], f"{len(forced)} of {c['listed']} reprocessed (force)"
print(f"replay: reprocess via lambda ok, {c['dispatched']} objects dispatched and processed")
EOF
