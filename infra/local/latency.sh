#!/usr/bin/env bash
# Latency harness for the upload-to-visible benchmark (not run in CI): delay proxies
# (delay_proxy.py) in front of the local graph's Bolt port and the local S3, and a Cloudinary
# stub that takes the profile's time per API call, so that a client pointed at them waits on
# the network as a deployed function would.
#
#   infra/local/latency.sh start PROFILE [--fail-every N --fail-status 429|500]
#   infra/local/latency.sh env      print the exports for a client:  eval "$(infra/local/latency.sh env)"
#   infra/local/latency.sh status   what runs, on which ports, in front of what
#   infra/local/latency.sh check    measure a Bolt round trip, an S3 GET and stub uploads through it
#   infra/local/latency.sh stop     stop the proxies and the stub (neo4j.sh and s3.sh keep running)
#
# Profiles (round trips; each proxy delays each direction by half of it) and the critical-path
# limit ORK_LATENCY_LIMIT_MS (S3 GET + graph read + one upload + a write in two round trips +
# HEAD):
#   same-region    graph 20 ms, S3 20 ms, Cloudinary 150 ms per call    limit 250 ms
#   cross-region   graph 80 ms, S3 20 ms, Cloudinary 300 ms per call    limit 580 ms
#   none           the same proxies and stub without delays: the baseline a profile adds to
# --fail-every/--fail-status go to the stub (every Nth upload or destroy call fails).
#
# `start` starts neo4j.sh and s3.sh when they are not running. Pid, port and log files live in
# infra/local/.data/latency/ (git-ignored). Everything listens on 127.0.0.1 only; the stub's
# credentials are the made-up local values the README and replay.sh use.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA="$HERE/.data/latency"
PYTHON="${PYTHON:-python3}"
COMPONENTS=(graph-proxy s3-proxy cloudinary-stub)
CLOUD=stub-cloud
API_KEY=stub-key
API_SECRET=stub-secret
NAME="latency"
PIDFILE=""
LOG=""
# shellcheck source=infra/local/service.sh
. "$HERE/service.sh"

# Sets GRAPH_RTT S3_RTT CLOUDINARY_MS LIMIT_MS (milliseconds) for the profile $1.
profile() {
    case "$1" in
        same-region) GRAPH_RTT=20 S3_RTT=20 CLOUDINARY_MS=150 LIMIT_MS=250 ;;
        cross-region) GRAPH_RTT=80 S3_RTT=20 CLOUDINARY_MS=300 LIMIT_MS=580 ;;
        none) GRAPH_RTT=0 S3_RTT=0 CLOUDINARY_MS=0 LIMIT_MS=0 ;;
        *) die "unknown profile '$1' (same-region, cross-region or none)" ;;
    esac
}

# Points PIDFILE and LOG (used by service.sh) at component $1.
use() { NAME="latency $1" PIDFILE="$DATA/$1.pid" LOG="$DATA/$1.log"; }

# host:port of the URL that `$1.sh env` exports as $2 (neo4j NEO4J_URI, s3 AWS_ENDPOINT_URL_S3).
target_of() {
    (
        eval "$(bash "$HERE/$1.sh" env)"
        local url="${!2}"
        url="${url#*://}"
        echo "${url%%/*}"
    )
}

# Starts component $1 as `$2...`, waits for its "listening on …:PORT" line, records the port.
start_component() {
    local what="$1" port=""
    shift
    use "$what"
    rm -f "$LOG" # launch truncates it in the background: never read the last run's port
    launch "$DATA" "$@"
    for _ in $(seq 100); do
        port="$(grep -o 'listening on [^ ]*' "$LOG" 2>/dev/null | head -n 1 | sed 's/.*://')" || true
        [ -n "$port" ] && break
        running_pid >/dev/null || { cat "$LOG" >&2; die "exited before listening (log: $LOG)"; }
        sleep 0.1
    done
    [ -n "$port" ] || die "not listening after 10 s (log: $LOG)"
    echo "$port" >"$DATA/$what.port"
}

stop_all() {
    for what in "${COMPONENTS[@]}"; do
        use "$what"
        stop_server 5 "$DATA/$what.port" "$DATA/$what.target"
    done
    rm -f "$DATA/profile"
}

start() {
    [ $# -ge 1 ] || die "usage: $0 start same-region|cross-region [--fail-every N --fail-status S]"
    local name="$1" fail=()
    shift
    profile "$name"
    while [ $# -gt 0 ]; do
        case "$1" in
            --fail-every | --fail-status)
                [ $# -ge 2 ] || die "$1 needs a value"
                fail+=("$1" "$2")
                shift 2
                ;;
            *) die "unknown option $1" ;;
        esac
    done
    mkdir -p "$DATA"
    for what in "${COMPONENTS[@]}"; do
        use "$what"
        if running_pid >/dev/null; then
            NAME=latency die "already running ($(cat "$DATA/profile" 2>/dev/null || echo "?")); stop it first"
        fi
    done
    for svc in neo4j s3; do
        bash "$HERE/$svc.sh" status >/dev/null 2>&1 || bash "$HERE/$svc.sh" start
    done
    local graph s3
    graph="$(target_of neo4j NEO4J_URI)"
    s3="$(target_of s3 AWS_ENDPOINT_URL_S3)"
    trap stop_all EXIT # whatever started is stopped again if a later step fails
    start_component graph-proxy "$PYTHON" "$HERE/delay_proxy.py" --listen 127.0.0.1:0 \
        --target "$graph" --delay-ms "$((GRAPH_RTT / 2))"
    start_component s3-proxy "$PYTHON" "$HERE/delay_proxy.py" --listen 127.0.0.1:0 \
        --target "$s3" --delay-ms "$((S3_RTT / 2))"
    start_component cloudinary-stub "$PYTHON" "$HERE/cloudinary_stub.py" --port 0 \
        --cloud "$CLOUD" --api-key "$API_KEY" --api-secret "$API_SECRET" \
        --delay-ms "$CLOUDINARY_MS" "${fail[@]}"
    echo "$graph" >"$DATA/graph-proxy.target"
    echo "$s3" >"$DATA/s3-proxy.target"
    echo "$name${fail:+ ${fail[*]}}" >"$DATA/profile"
    trap - EXIT
    echo "latency: $name: graph ${GRAPH_RTT} ms and S3 ${S3_RTT} ms round trips, Cloudinary" \
        "${CLOUDINARY_MS} ms per call${fail:+ (${fail[*]})}; limit ${LIMIT_MS} ms." \
        "eval \"\$(bash $0 env)\"" >&2
}

# The profile name, or fail when the harness is not (entirely) running.
current() {
    [ -s "$DATA/profile" ] || die "not running (start it with: $0 start same-region|cross-region)"
    for what in "${COMPONENTS[@]}"; do
        use "$what"
        running_pid >/dev/null || NAME=latency die "$what is not running; run stop, then start"
    done
    read -r name _ <"$DATA/profile"
    echo "$name"
}

print_env() {
    local name
    name="$(current)"
    profile "$name"
    # Everything neo4j.sh and s3.sh export (credentials, region, path style), but the endpoints.
    bash "$HERE/neo4j.sh" env | grep -v '^export NEO4J_URI='
    bash "$HERE/s3.sh" env | grep -v '^export AWS_ENDPOINT_URL_S3='
    printf 'export NEO4J_URI=%q\n' "bolt://127.0.0.1:$(cat "$DATA/graph-proxy.port")"
    printf 'export AWS_ENDPOINT_URL_S3=%q\n' "http://127.0.0.1:$(cat "$DATA/s3-proxy.port")"
    printf 'export CLOUDINARY_URL=%q\n' "cloudinary://$API_KEY:$API_SECRET@$CLOUD"
    printf 'export CLOUDINARY_API_BASE=%q\n' "http://127.0.0.1:$(cat "$DATA/cloudinary-stub.port")"
    printf 'export ORK_LATENCY_PROFILE=%q\n' "$name"
    printf 'export ORK_LATENCY_LIMIT_MS=%q\n' "$LIMIT_MS"
}

status() {
    local up=0 pid
    [ -s "$DATA/profile" ] && echo "profile: $(cat "$DATA/profile")"
    for what in "${COMPONENTS[@]}"; do
        use "$what"
        if pid="$(running_pid)"; then
            up=$((up + 1))
            local target=""
            [ -s "$DATA/$what.target" ] && target=" -> $(cat "$DATA/$what.target")"
            echo "$what: running (pid $pid) on 127.0.0.1:$(cat "$DATA/$what.port" 2>/dev/null)$target"
        else
            echo "$what: not running"
        fi
    done
    [ "$up" -eq "${#COMPONENTS[@]}" ]
}

# Round trips through each proxy against the same server directly, and stub uploads.
check() {
    local name
    name="$(current)"
    profile "$name"
    "$PYTHON" - "$(cat "$DATA/graph-proxy.target")" "$(cat "$DATA/graph-proxy.port")" "$GRAPH_RTT" \
        "$(cat "$DATA/s3-proxy.target")" "$(cat "$DATA/s3-proxy.port")" "$S3_RTT" \
        "$(cat "$DATA/cloudinary-stub.port")" "$CLOUDINARY_MS" "$CLOUD" "$API_KEY" "$API_SECRET" <<'EOF'
import hashlib, http.client, socket, statistics, struct, sys, threading, time, uuid, zlib
(graph, graph_port, graph_rtt, s3, s3_port, s3_rtt, stub_port, stub_ms,
 cloud, api_key, api_secret) = sys.argv[1:]

def hostport(text):
    host, _, port = text.rpartition(":")
    return host, int(port)

def p50(f, n=21):
    return statistics.median(f() for _ in range(n)) * 1000

def bolt_handshake(addr):
    """Offer Bolt 4.4/4.3/4.1/4.0 and read the chosen version: one round trip, timed once the
    connection is through (a proxy connects to its target when it accepts)."""
    with socket.create_connection(addr) as s:
        time.sleep(0.05)
        t = time.perf_counter()
        s.sendall(bytes.fromhex("6060b017") + bytes.fromhex("00000404 00000304 00000104 00000004"))
        assert len(s.recv(4)) == 4
        return time.perf_counter() - t

def http_get(conn):
    t = time.perf_counter()
    conn.request("GET", "/")
    r = conn.getresponse()
    r.read()
    assert r.status == 200, r.status
    return time.perf_counter() - t

def report(what, direct, proxied, expected):
    print(f"{what}: direct p50 {direct:.2f} ms, through the proxy p50 {proxied:.2f} ms: "
          f"+{proxied - direct:.2f} ms (profile: {expected} ms round trip)")

report("graph (Bolt handshake on a new connection, 21 samples)", p50(lambda: bolt_handshake(hostport(graph))),
       p50(lambda: bolt_handshake(("127.0.0.1", int(graph_port)))), graph_rtt)
direct, proxied = (http.client.HTTPConnection(*a) for a in (hostport(s3), ("127.0.0.1", int(s3_port))))
http_get(direct), http_get(proxied)  # keep-alive connections, opened here
report("s3 (GET / on one keep-alive connection, 21 samples)", p50(lambda: http_get(direct)),
       p50(lambda: http_get(proxied)), s3_rtt)

def png():
    row = b"\x00\xff\xff\xff"
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row)) + chunk(b"IEND", b""))

def api_call(operation, fields, image=None):
    """A signed multipart call as the Rust client makes it: (status, seconds)."""
    fields = dict(fields, timestamp=str(int(time.time())))
    to_sign = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v)
    fields.update(api_key=api_key, signature=hashlib.sha1((to_sign + api_secret).encode()).hexdigest())
    boundary = uuid.uuid4().hex
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    if image:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="check.png"\r\n'
                 f"Content-Type: image/png\r\n\r\n").encode() + image + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", int(stub_port))
    t = time.perf_counter()
    conn.request("POST", f"/v1_1/{cloud}/image/{operation}", body,
                 {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, time.perf_counter() - t

upload = lambda i: api_call("upload", {"public_id": f"latency-check/{i}", "overwrite": "true",
                                       "invalidate": "true"}, png())
results = [upload(i) for i in range(5)]
statuses = sorted({s for s, _ in results})
print(f"cloudinary (signed upload, 5 one after another): p50 "
      f"{statistics.median(t for _, t in results) * 1000:.1f} ms, statuses {statuses} "
      f"(profile: {stub_ms} ms per call)")
concurrent = []
threads = [threading.Thread(target=lambda i=i: concurrent.append(upload(i))) for i in range(8)]
t = time.perf_counter()
for th in threads:
    th.start()
for th in threads:
    th.join()
print(f"cloudinary (8 signed uploads at once): {(time.perf_counter() - t) * 1000:.1f} ms in all, "
      f"statuses {sorted({s for s, _ in concurrent})} (each waits {stub_ms} ms; queued would be 8x)")
for i in range(8):
    api_call("destroy", {"public_id": f"latency-check/{i}", "invalidate": "true"})
EOF
}

case "${1:-}" in
    start) shift && start "$@" ;;
    stop) stop_all ;;
    status) status ;;
    env) print_env ;;
    check) check ;;
    *) echo "usage: $0 start same-region|cross-region [--fail-every N --fail-status S] | env | status | check | stop" >&2; exit 2 ;;
esac
