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
NAME="s3"
# shellcheck source=infra/local/service.sh
. "$HERE/service.sh"

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

# moto's own API (not S3): it answers once the server is up.
ready_url() { echo "http://127.0.0.1:$1/moto-api/data.json"; }

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
    launch "$DATA" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$p"
    wait_ready
}

wait_ready() {
    local p
    p="$(port)"
    wait_until "$(ready_url "$p")" 200 "http://127.0.0.1:$p"
}

stop() { stop_server 20 "$PORTFILE"; }

status() {
    local pid
    if pid="$(running_pid)"; then
        echo "running (pid $pid) on 127.0.0.1:$(port), /moto-api/data.json: $(http_code "$(ready_url "$(port)")")"
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
