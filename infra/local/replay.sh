#!/usr/bin/env bash
# Replays event fixtures through the real `bootstrap` binary with cargo-lambda, against the
# local stand-ins: S3 (s3.sh), the graph (neo4j.sh) and the Cloudinary stub.
#
#   bash infra/local/replay.sh [EVENT.json ...] [--reprocess]
#
# Each EVENT is an S3 event (default testdata/events/created.json) or an S3 Batch Operations
# event (`invocationSchemaVersion`, testdata/events/batch-v*.json). With --reprocess it then
# runs `ork reprocess --via-lambda bootstrap --force` over the bucket against the same local
# Lambda endpoint, and checks that every object was dispatched and processed by the function.
#
# Installs cargo-lambda from PyPI into infra/local/.venv if needed (a cargo build of it takes
# 15+ minutes), uploads the objects each fixture names into the bucket `ork-designs` (for a
# batch event: every `.ork` task key, except those under a `missing/` folder), runs
# `cargo lambda watch` on 127.0.0.1 and `cargo lambda invoke bootstrap --data-file …` per
# fixture, and checks the answer: a record per object for an S3 event (none failed); for a
# batch event, every task answered in order, `Succeeded` for the keys uploaded and
# `PermanentFailure` for the missing and non-`.ork` keys, and their designs in the graph.
# Servers it started are stopped again.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=()
REPROCESS=""
for arg in "$@"; do
  case "$arg" in
    --reprocess) REPROCESS="--reprocess" ;;
    *) EVENTS+=("$arg") ;;
  esac
done
[ "${#EVENTS[@]}" -gt 0 ] || EVENTS=(testdata/events/created.json)
HERE=infra/local
VENV="$HERE/.venv"
DATA="$HERE/.data"
mkdir -p "$DATA"
PYTHON="${PYTHON:-python3}"

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
if [ ! -x "$VENV/bin/cargo-lambda" ] || ! "$VENV/bin/python" -c "import neo4j" 2>/dev/null; then
  echo "replay: installing cargo-lambda and the Neo4j Python driver into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "cargo-lambda==1.9.2" \
    "neo4j==6.4.1"
fi
export PATH="$PWD/$VENV/bin:$PATH"

pids=()
stop_services=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for s in "${stop_services[@]}"; do bash "$HERE/$s.sh" stop >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

for svc in neo4j s3; do
  if ! bash "$HERE/$svc.sh" status >/dev/null 2>&1; then
    bash "$HERE/$svc.sh" start
    stop_services+=("$svc")
  fi
  eval "$(bash "$HERE/$svc.sh" env)"
done
# The function connects as it does to Aura: over TLS, verifying the server (here against the
# local test CA, NEO4J_CA_CERT).
if [ -n "${NEO4J_TLS_URI:-}" ]; then
  export NEO4J_URI="$NEO4J_TLS_URI"
  echo "replay: the function connects to $NEO4J_URI (TLS, CA $NEO4J_CA_CERT)" >&2
fi

# The Cloudinary contract stub on a free port.
"$PYTHON" "$HERE/cloudinary_stub.py" --port 0 --cloud stub-cloud --api-key stub-key \
  --api-secret stub-secret >"$DATA/stub.out" 2>"$DATA/stub.log" &
pids+=($!)
for _ in $(seq 50); do grep -q "listening on" "$DATA/stub.out" 2>/dev/null && break; sleep 0.1; done
STUB="$(sed -n 's/^cloudinary stub listening on //p' "$DATA/stub.out")"
[ -n "$STUB" ] || { echo "replay: the Cloudinary stub did not start" >&2; exit 1; }
export CLOUDINARY_URL="cloudinary://stub-key:stub-secret@stub-cloud" CLOUDINARY_API_BASE="$STUB"

# The objects the fixtures name, from the corpus when it is there, else from testdata/.
"$VENV/bin/python" - "${EVENTS[@]}" <<'EOF'
import json, os, sys, urllib.parse
import boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
try:
    s3.create_bucket(Bucket="ork-designs")
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
corpus = "../shared/corpus/openrocket-examples"
keys = []
for path in sys.argv[1:]:
    event = json.load(open(path))
    if "invocationSchemaVersion" in event:
        # A batch event: the task keys present in the bucket (not the missing ones).
        keys += [urllib.parse.unquote_plus(t["s3Key"]) for t in event["tasks"]
                 if "/missing/" not in t["s3Key"]]
    else:
        keys += [urllib.parse.unquote_plus(r["s3"]["object"]["key"]) for r in event["Records"]
                 if r["eventName"].startswith("ObjectCreated")]
for key in keys:
    if not key.lower().endswith(".ork"):
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
for EVENT in "${EVENTS[@]}"; do
  OUT="$(cargo lambda invoke bootstrap --invoke-address 127.0.0.1 --invoke-port "$PORT" \
    --data-file "$EVENT" 2>&1)" || { echo "$OUT"; tail -20 "$DATA/watch.log"; exit 1; }
  echo "$OUT"
  echo "$OUT" | "$VENV/bin/python" -c '
import json, sys, urllib.parse
out = json.loads(sys.stdin.read())
event = json.load(open(sys.argv[1]))
if "invocationSchemaVersion" not in event:
    records = out["records"]
    assert records, "no records in the answer"
    bad = [r for r in records if r["outcome"] == "failed"]
    assert not bad, bad
    assert all(r["outcome"] in ("written", "unchanged", "invalid") for r in records), records
    print("replay: ok,", ", ".join("%s: %s" % (r["key"], r["outcome"]) for r in records))
    sys.exit(0)
# A batch event: every task answered, in order, with the code its key calls for.
assert out["invocationSchemaVersion"] == event["invocationSchemaVersion"], out
assert out["invocationId"] == event["invocationId"], out
assert out["treatMissingKeysAs"] == "PermanentFailure", out
tasks, results = event["tasks"], out["results"]
assert [r["taskId"] for r in results] == [t["taskId"] for t in tasks], out
for t, r in zip(tasks, results):
    key = urllib.parse.unquote_plus(t["s3Key"])
    present = key.lower().endswith(".ork") and "/missing/" not in key
    want = "Succeeded" if present else "PermanentFailure"
    assert r["resultCode"] == want, (key, r)
    assert r["resultString"], (key, r)
    print("replay: %s -> %s (%s)" % (key, r["resultCode"], r["resultString"][:80]))
print("replay: ok, %d tasks answered" % len(results))
' "$EVENT"
done

# What the batch tasks wrote is in the graph: a design for every .ork key present, read back
# with the official Neo4j Python driver (pinned, in infra/local/.venv), over TLS when the
# server offers it, as the function itself connected.
"$VENV/bin/python" - "${EVENTS[@]}" <<'EOF'
import hashlib, json, os, sys, urllib.parse, urllib.request
import neo4j
keys = []
for path in sys.argv[1:]:
    event = json.load(open(path))
    if "invocationSchemaVersion" in event:
        keys += [urllib.parse.unquote_plus(t["s3Key"]) for t in event["tasks"]
                 if "/missing/" not in t["s3Key"] and t["s3Key"].lower().endswith(".ork")]
uri, options = os.environ["NEO4J_URI"], {}
if os.environ.get("NEO4J_CA_CERT"):
    # The Python driver takes a custom CA only with a plain scheme and encrypted=True.
    scheme, rest = uri.split("://", 1)
    uri = scheme.replace("+ssc", "").replace("+s", "") + "://" + rest
    options = {"encrypted": True,
               "trusted_certificates": neo4j.TrustCustomCAs(os.environ["NEO4J_CA_CERT"])}
with neo4j.GraphDatabase.driver(uri,
                                auth=(os.environ["NEO4J_USER"], os.environ["NEO4J_PASSWORD"]),
                                **options) as driver:
    for key in keys:
        design_id = hashlib.sha256(b"ork-designs\0" + key.encode()).hexdigest()[:32]
        rows, _, _ = driver.execute_query(
            "MATCH (d:Design {design_id: $id}) RETURN d.status AS status, "
            "d.model_url AS model_url", id=design_id,
            database_=os.environ.get("NEO4J_DATABASE", "neo4j"))
        assert rows and rows[0]["status"] in ("ok", "invalid"), (key, rows)
        model = ""
        if rows[0]["status"] == "ok":
            # The 3D model went up beside the images: the stub serves a binary glTF there.
            url = rows[0]["model_url"]
            assert url and url.endswith("/model.glb"), (key, url)
            with urllib.request.urlopen(url) as answer:
                head = answer.read(4)
            assert head == b"glTF", (key, url, head)
            model = ", model " + url.rsplit("/", 2)[-2]
        print("replay: %s is in the graph (status %s%s)" % (key, rows[0]["status"], model))
EOF

[ "$REPROCESS" = "--reprocess" ] || exit 0

# `ork reprocess --via-lambda`: one asynchronous invocation per object, with a synthetic S3
# event, through the Lambda API that `cargo lambda watch` serves.
ORK="${ORK_BIN:-${CARGO_TARGET_DIR:-target}/debug/ork}"
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
