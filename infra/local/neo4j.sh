#!/usr/bin/env bash
# Local Neo4j 5 Community server (5.26 LTS) for development and tests, run embedded by a small
# Java launcher (infra/local/neo4j/) whose jars come from Maven Central.
#
#   infra/local/neo4j.sh start    build if needed, start in the background, wait until Bolt answers
#   infra/local/neo4j.sh stop     stop the server started by `start` (SIGTERM, clean shutdown)
#   infra/local/neo4j.sh status   running / answering Bolt?
#   infra/local/neo4j.sh env      print the NEO4J_* exports:  eval "$(infra/local/neo4j.sh env)"
#   infra/local/neo4j.sh reset    stop and delete the databases (keeps the jars and certificates)
#
# Bolt listens on 127.0.0.1 only, authentication on (user neo4j). The one Bolt port takes plain
# (bolt://) and TLS (bolt+s://, neo4j+s://) clients alike: TLS uses a self-signed test CA made
# once with openssl, whose certificate `env` prints as NEO4J_CA_CERT.
#
# Settings (environment): ORK_NEO4J_PASSWORD (password of user neo4j, 8+ characters),
# ORK_NEO4J_BOLT_PORT (7687), ORK_NEO4J_HEAP (1g), ORK_NEO4J_PAGECACHE (256m),
# ORK_NEO4J_TIMEOUT (seconds to wait for readiness, 180), ORK_NEO4J_JAVA (a Java 17 or 21
# `java`; default $JAVA_HOME/bin/java, else java), MVN (mvn).
# Jars live in infra/local/.neo4j; databases, logs, pid file and certificates in
# infra/local/.data/neo4j; both are git-ignored.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/neo4j"
CACHE="$HERE/.neo4j"
LIB="$CACHE/lib"
LAUNCHER_JAR="$LIB/ork-neo4j-launcher.jar"
DATA="$HERE/.data/neo4j"
DBMS_HOME="$DATA/dbms"
CERTS="$DATA/certificates"
TLS_DIR="$CERTS/bolt"
CA_CERT="$CERTS/ca.pem"
PIDFILE="$DATA/neo4j.pid"
LOG="$DATA/neo4j.log"
SETTINGS="$DATA/neo4j.settings"
PASSWORD="${ORK_NEO4J_PASSWORD:-ork-local-neo4j}"
BOLT_PORT="${ORK_NEO4J_BOLT_PORT:-7687}"
HEAP="${ORK_NEO4J_HEAP:-1g}"
PAGECACHE="${ORK_NEO4J_PAGECACHE:-256m}"
TIMEOUT="${ORK_NEO4J_TIMEOUT:-180}"
if [ -n "${ORK_NEO4J_JAVA:-}" ]; then
    JAVA="$ORK_NEO4J_JAVA"
elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    JAVA="$JAVA_HOME/bin/java"
else
    JAVA="java"
fi
MVN="${MVN:-mvn}"
PYTHON="${PYTHON:-python3}"
DATABASE="neo4j"
READY_LINE="ork-neo4j: READY"
NAME="neo4j"
# shellcheck source=infra/local/service.sh
. "$HERE/service.sh"

# Any unexpected failure still ends with one line saying what failed (set -e exits non-zero).
trap 'echo "$NAME: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

[ "${#PASSWORD}" -ge 8 ] || die "ORK_NEO4J_PASSWORD must have at least 8 characters"
case "$BOLT_PORT" in '' | *[!0-9]*) die "ORK_NEO4J_BOLT_PORT must be a port number" ;; esac

# Hash of what the build depends on: the pom (versions) and the launcher source.
source_stamp() {
    {
        cat "$SRC/pom.xml"
        find "$SRC/src" -type f -print0 | sort -z | xargs -0 cat
    } | sha256sum | cut -d' ' -f1
}

# Compiles the launcher and copies it with every runtime jar into $LIB, unless that was done
# already for the same pom and source.
build() {
    local stamp
    stamp="$(source_stamp)"
    if [ -f "$LAUNCHER_JAR" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$stamp" ]; then
        return
    fi
    command -v "$MVN" >/dev/null || die "Maven ($MVN) not found (Debian: apt-get install maven)"
    echo "$NAME: building the launcher into $LIB (first run downloads Neo4j from Maven Central)" >&2
    rm -rf "$LIB" "$CACHE/build" "$CACHE/stamp"
    mkdir -p "$CACHE"
    if ! "$MVN" -B -q -f "$SRC/pom.xml" "-Dork.cache=$CACHE" package >"$CACHE/build.log" 2>&1; then
        tail -n 30 "$CACHE/build.log" >&2 || true
        die "Maven build failed (log: $CACHE/build.log)"
    fi
    [ -f "$LAUNCHER_JAR" ] || die "Maven build made no $LAUNCHER_JAR (log: $CACHE/build.log)"
    rm -rf "$CACHE/build"
    echo "$stamp" >"$CACHE/stamp"
}

# A self-signed test CA and, signed by it, a certificate for localhost and 127.0.0.1: made once,
# again only when the server certificate expires within a day.
certificates() {
    if [ -f "$CA_CERT" ] && [ -f "$TLS_DIR/private.key" ] && [ -f "$TLS_DIR/public.crt" ] \
        && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/public.crt" >/dev/null 2>&1; then
        return
    fi
    command -v openssl >/dev/null || die "openssl not found (needed once to make the test certificates)"
    echo "$NAME: making a test CA and a certificate for localhost/127.0.0.1 in $CERTS" >&2
    rm -rf "$CERTS"
    mkdir -p "$TLS_DIR/trusted" "$TLS_DIR/revoked"
    local ext="$CERTS/server.ext" csr="$CERTS/server.csr"
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$ext"
    if ! {
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
            -subj "/CN=ork-processor local test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$CERTS/ca.key" -out "$CA_CERT" \
            && openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
                -keyout "$TLS_DIR/private.key" -out "$csr" \
            && openssl x509 -req -sha256 -days 825 -in "$csr" -CA "$CA_CERT" -CAkey "$CERTS/ca.key" \
                -set_serial "0x$(openssl rand -hex 16)" -extfile "$ext" -out "$TLS_DIR/public.crt"
    } >"$CERTS/openssl.log" 2>&1; then
        cat "$CERTS/openssl.log" >&2 || true
        rm -rf "$CERTS"
        die "openssl could not make the test certificates"
    fi
    # The server presents its certificate followed by the CA's, like a real chain.
    cat "$CA_CERT" >>"$TLS_DIR/public.crt"
    cp "$CA_CERT" "$TLS_DIR/trusted/ca.pem"
    chmod 600 "$CERTS/ca.key" "$TLS_DIR/private.key"
    rm -f "$ext" "$csr" "$CERTS/openssl.log"
}

# The Bolt version (e.g. 5.8) that the server on 127.0.0.1:$BOLT_PORT agrees to in a Bolt
# handshake (magic 0x6060B017, then four proposals: 5.8 down to 5.0, 4.4, none, none); fails
# when nothing answers it.
bolt_version() {
    local reply major minor
    # shellcheck disable=SC2016  # $1 is expanded by the inner bash
    reply="$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x00\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00" >&3
        head -c 4 <&3 | od -An -tu1' _ "$BOLT_PORT" 2>/dev/null)" || return 1
    read -r _ _ minor major <<<"$reply" || return 1
    [ -n "$major" ] && [ "$((major + minor))" -gt 0 ] || return 1
    echo "$major.$minor"
}

# Whether anything accepts TCP connections on 127.0.0.1:$BOLT_PORT.
# shellcheck disable=SC2016  # $1 is expanded by the inner bash
port_taken() { timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$BOLT_PORT" 2>/dev/null; }

# Whether the launcher has logged that it is ready (password set) and Bolt answers a
# handshake; sets BOLT_VERSION.
bolt_ready() {
    grep -q "$READY_LINE" "$LOG" 2>/dev/null && BOLT_VERSION="$(bolt_version)"
}

# Waits until the server is ready; fails with the log's tail if it exits first or TIMEOUT passes.
wait_ready() {
    BOLT_VERSION=""
    wait_for bolt_ready
    echo "$NAME: ready (Bolt $BOLT_VERSION on bolt://127.0.0.1:$BOLT_PORT, TLS bolt+s://localhost:$BOLT_PORT)" >&2
}

# What the running server was started with: its port and a hash of its password.
settings() {
    printf 'port=%s password_sha256=%s\n' "$BOLT_PORT" "$(printf %s "$PASSWORD" | sha256sum | cut -d' ' -f1)"
}

java_version() {
    "$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p'
}

start() {
    local pid
    if pid="$(running_pid)"; then
        if [ -f "$SETTINGS" ] && [ "$(cat "$SETTINGS")" != "$(settings)" ]; then
            die "already running (pid $pid) with another port or password ($(cut -d' ' -f1 "$SETTINGS")); run \`$0 stop\` first"
        fi
        echo "$NAME: already running (pid $pid)" >&2
        wait_ready
        return
    fi
    command -v "$JAVA" >/dev/null || die "no Java runtime ($JAVA); Neo4j 5.26 needs Java 17 or 21"
    local jv
    jv="$(java_version)"
    case "$jv" in
        17 | 21) ;;
        *) echo "$NAME: warning: $JAVA is Java ${jv:-?}; Neo4j 5.26 supports 17 and 21 (set ORK_NEO4J_JAVA)" >&2 ;;
    esac
    build
    certificates
    if port_taken; then
        die "127.0.0.1:$BOLT_PORT is already in use by another process (set ORK_NEO4J_BOLT_PORT)"
    fi
    mkdir -p "$DBMS_HOME"
    local cmd=(
        "$JAVA" "-Xmx$HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError
        # As Neo4j's own start script does, for its direct I/O and network code.
        --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
        -Dlog4j2.disable.jmx=true -Djdk.tls.ephemeralDHKeySize=2048
        -Djdk.tls.rejectClientInitiatedRenegotiation=true
        -cp "$LIB/*"
        "-Dork.neo4j.home=$DBMS_HOME"
        "-Dork.neo4j.bolt.port=$BOLT_PORT"
        "-Dork.neo4j.pagecache=$PAGECACHE"
        "-Dork.neo4j.tls.dir=$TLS_DIR"
        ork.local.Neo4jLauncher
    )
    # The launcher reads the password from its environment, not from its command line.
    export ORK_NEO4J_PASSWORD="$PASSWORD"
    launch "$DATA" "${cmd[@]}"
    settings >"$SETTINGS"
    wait_ready
}

stop() { stop_server 30 "$SETTINGS"; }

reset() {
    stop
    rm -rf "$DBMS_HOME" "$LOG"
    echo "$NAME: deleted the databases in $DBMS_HOME" >&2
}

status() {
    local pid version
    if ! pid="$(running_pid)"; then
        echo "not running"
        exit 1
    fi
    if [ -f "$SETTINGS" ]; then
        BOLT_PORT="$(sed -n 's/^port=\([0-9]*\) .*/\1/p' "$SETTINGS")"
    fi
    if version="$(bolt_version)"; then
        echo "running (pid $pid), Bolt $version on 127.0.0.1:$BOLT_PORT"
    else
        echo "running (pid $pid), Bolt not answering on 127.0.0.1:$BOLT_PORT"
        exit 1
    fi
}

print_env() {
    printf 'export NEO4J_URI=%q\n' "bolt://127.0.0.1:$BOLT_PORT"
    printf 'export NEO4J_USER=%q\n' "neo4j"
    printf 'export NEO4J_PASSWORD=%q\n' "$PASSWORD"
    printf 'export NEO4J_DATABASE=%q\n' "$DATABASE"
    printf 'export NEO4J_TLS_URI=%q\n' "bolt+s://localhost:$BOLT_PORT"
    printf 'export NEO4J_CA_CERT=%q\n' "$CA_CERT"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) print_env ;;
    reset) reset ;;
    *) echo "usage: $0 start|stop|status|env|reset" >&2; exit 2 ;;
esac
