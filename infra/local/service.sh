# shellcheck shell=bash
# Shared by the local stand-ins (neo4j.sh, s3.sh): a background server with a pid file, a
# readiness probe over HTTP, and a graceful stop. Sourced, not run. The caller sets NAME (for
# messages), PIDFILE, LOG, TIMEOUT (seconds to wait for readiness) and PYTHON.

die() { echo "$NAME: $*" >&2; exit 1; }

# The pid of the server started by `launch`, if it is still running.
running_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# HTTP status of a GET of $1, "000" when nothing answers (curl, else Python).
http_code() {
    if command -v curl >/dev/null; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true
    else
        "$PYTHON" - "$1" <<'EOF' || true
import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except Exception as e:
    print(getattr(e, "code", "000"))
EOF
    fi
}

# Starts `$@` in the background from directory $1 (`launch DIR CMD...`), detached with setsid
# so the server outlives this shell and its process group; output goes to $LOG.
launch() {
    local dir="$1"
    shift
    local detach=()
    command -v setsid >/dev/null && detach=(setsid)
    (cd "$dir" && exec nohup "${detach[@]}" "$@" >"$LOG" 2>&1 </dev/null) &
    echo $! >"$PIDFILE"
    echo "$NAME: started pid $(cat "$PIDFILE"), log $LOG" >&2
}

# Waits until the command `$@` succeeds; fails with the log's tail if the server exits first
# or TIMEOUT passes (`wait_for CMD [ARG...]`).
wait_for() {
    local deadline=$((SECONDS + TIMEOUT))
    while ! "$@"; do
        if ! running_pid >/dev/null; then
            tail -n 40 "$LOG" >&2 || true
            die "server exited before becoming ready (log: $LOG)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 40 "$LOG" >&2 || true
            die "not ready after ${TIMEOUT}s (log: $LOG)"
        fi
        sleep 0.5
    done
}

# Whether a GET of URL answers STATUS (`answers URL STATUS`).
answers() { [ "$(http_code "$1")" = "$2" ]; }

# Waits until a GET of URL answers STATUS (`wait_until URL STATUS READY_MESSAGE`).
wait_until() {
    wait_for answers "$1" "$2"
    echo "$NAME: ready ($3)" >&2
}

# Stops the server (SIGTERM, then SIGKILL after GRACE seconds) and removes the pid file and
# any further files given (`stop_server GRACE [FILE...]`).
stop_server() {
    local grace="$1" pid
    shift
    if ! pid="$(running_pid)"; then
        echo "$NAME: not running" >&2
        rm -f "$PIDFILE" "$@"
        return
    fi
    kill "$pid"
    for _ in $(seq 1 $((grace * 2))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$NAME: pid $pid did not stop in ${grace}s; killing it" >&2
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE" "$@"
    echo "$NAME: stopped" >&2
}
