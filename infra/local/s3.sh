#!/usr/bin/env bash
# Local S3 for development and tests: moto's server (Apache-2.0), an in-memory stand-in that
# speaks the S3 REST protocol, installed from PyPI.
#
#   infra/local/s3.sh start    install if needed, start in the background, wait until ready
#   infra/local/s3.sh stop     stop the server started by `start`
#   infra/local/s3.sh status   running / ready?
#   infra/local/s3.sh env      print the AWS_* exports:  eval "$(infra/local/s3.sh env)"
#
# Settings (environment): ORK_S3_PORT (4566; when that port is taken by another program,
# `start` picks a free one and `env` prints it), ORK_S3_TIMEOUT (seconds to wait for
# readiness, 60), PYTHON (python3).
# The package lives in infra/local/.venv, the pid, port and log files in infra/local/.data;
# both are git-ignored. The server listens on 127.0.0.1 only. Buckets and objects are kept in
# memory: `stop` forgets them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
DATA="$HERE/.data"
PIDFILE="$DATA/s3.pid"
PORTFILE="$DATA/s3.port"
LOG="$DATA/s3.log"
PACKAGE="moto[server]==5.2.5"
WANTED_PORT="${ORK_S3_PORT:-4566}"
TIMEOUT="${ORK_S3_TIMEOUT:-60}"
PYTHON="${PYTHON:-python3}"
REGION="us-east-1"

die() { echo "s3: $*" >&2; exit 1; }

installed() {
    [ -x "$VENV/bin/moto_server" ] && "$VENV/bin/python" -c "import moto.server, boto3" 2>/dev/null
}

install() {
    installed && return
    echo "s3: installing $PACKAGE into $VENV" >&2
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || die "cannot create a virtualenv with $PYTHON"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PACKAGE" \
        || die "pip install $PACKAGE failed"
    installed || die "$PACKAGE installed but moto_server is not usable"
}

running_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# The port of the running server, else the one `start` would try first.
port() {
    if running_pid >/dev/null && [ -s "$PORTFILE" ]; then
        cat "$PORTFILE"
    else
        echo "$WANTED_PORT"
    fi
}

# 0 when nothing listens on 127.0.0.1:$1.
port_free() {
    "$PYTHON" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# HTTP status of moto's own API (not S3), "000" when nothing answers.
ready_code() {
    local p="$1"
    if command -v curl >/dev/null; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "http://127.0.0.1:$p/moto-api/data.json" || true
    else
        "$PYTHON" - "$p" <<'EOF' || true
import sys, urllib.request
try:
    print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/data.json", timeout=2).status)
except Exception as e:
    print(getattr(e, "code", "000"))
EOF
    fi
}

start() {
    local pid
    if pid="$(running_pid)"; then
        echo "s3: already running (pid $pid)" >&2
        wait_ready
        return
    fi
    install
    mkdir -p "$DATA"
    local p="$WANTED_PORT"
    if ! port_free "$p"; then
        p="$(free_port)"
        echo "s3: port $WANTED_PORT is taken; using $p" >&2
    fi
    echo "$p" >"$PORTFILE"
    # setsid: the server outlives this shell and its process group.
    local detach=()
    command -v setsid >/dev/null && detach=(setsid)
    (cd "$DATA" && exec nohup "${detach[@]}" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$p" \
        >"$LOG" 2>&1 </dev/null) &
    echo $! >"$PIDFILE"
    echo "s3: started pid $(cat "$PIDFILE"), log $LOG" >&2
    wait_ready
}

wait_ready() {
    local deadline=$((SECONDS + TIMEOUT)) code p
    p="$(port)"
    while :; do
        code="$(ready_code "$p")"
        if [ "$code" = "200" ]; then
            echo "s3: ready (http://127.0.0.1:$p)" >&2
            return
        fi
        if ! running_pid >/dev/null; then
            tail -n 40 "$LOG" >&2 || true
            die "server exited before becoming ready (log: $LOG)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$LOG" >&2 || true
            die "not ready after ${TIMEOUT}s (last /moto-api/data.json status: $code)"
        fi
        sleep 0.5
    done
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        echo "s3: not running" >&2
        rm -f "$PIDFILE" "$PORTFILE"
        return
    fi
    kill "$pid"
    for _ in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "s3: pid $pid did not stop in 20s; killing it" >&2
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE" "$PORTFILE"
    echo "s3: stopped" >&2
}

status() {
    local pid
    if pid="$(running_pid)"; then
        echo "running (pid $pid) on 127.0.0.1:$(port), /moto-api/data.json: $(ready_code "$(port)")"
    else
        echo "not running"
        return 1
    fi
}

print_env() {
    printf 'export AWS_ENDPOINT_URL_S3=%q\n' "http://127.0.0.1:$(port)"
    printf 'export AWS_REGION=%q\n' "$REGION"
    printf 'export AWS_ACCESS_KEY_ID=%q\n' "test"
    printf 'export AWS_SECRET_ACCESS_KEY=%q\n' "test"
    printf 'export ORK_S3_FORCE_PATH_STYLE=%q\n' "true"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) print_env ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
