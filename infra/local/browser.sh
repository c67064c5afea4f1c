#!/usr/bin/env bash
# Checks the 3D models (GLB) that `ork render` writes with tools nobody here wrote. Two tools
# are used: the Khronos glTF Validator, and three.js's GLTFLoader in headless Chromium, whose
# side view is compared with the profile PNG. See tests/model/check.mjs for the details.
#
#   infra/local/browser.sh install            Debian's chromium (apt-get) when it is missing, and
#                                             `npm ci` in tests/model when node_modules is absent
#                                             or stale
#   infra/local/browser.sh check DIR [ARGS]   install, then node tests/model/check.mjs DIR [ARGS]
#                                             (--min-overlap 0.9, --width 2000, --expect N)
#
# DIR holds what one `ork render -o DIR` run wrote: `<stem>.glb` and the profile `<stem>.png`
# of each design. The check writes its screenshots, the comparison images and summary.json to
# DIR/browser/.
#
# The npm packages are pinned by tests/model/package-lock.json and installed in
# tests/model/node_modules (git-ignored). A stamp there records the lock file and the Node.js
# version they were installed for. Chromium is Debian's package (/usr/bin/chromium), installed
# with apt-get as root, or through `sudo -n` when that works. No browser is downloaded by a
# tool of its own.
#
# Settings (environment): CHROMIUM (/usr/bin/chromium; another path is used as it is, never
# installed), NODE (node), NPM (npm).
#
# Exit status: 0 every model passed; 1 a check failed; 2 usage; 3 Chromium or the npm packages
# could not be installed, or the browser could not run WebGL. Under CI=true the test command
# fails on 3; otherwise it only warns.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MODEL="$ROOT/tests/model"
STAMP="$MODEL/node_modules/.ork-browser-stamp"
DEBIAN_CHROMIUM="/usr/bin/chromium"
CHROMIUM="${CHROMIUM:-$DEBIAN_CHROMIUM}"
NODE="${NODE:-node}"
NPM="${NPM:-npm}"
# playwright-core has no install script today; make sure it never fetches a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM

# The tools could not be had: not a verdict on the models.
unavailable() { echo "browser: $*" >&2; exit 3; }

install_chromium() {
    [ -x "$CHROMIUM" ] && return
    [ "$CHROMIUM" = "$DEBIAN_CHROMIUM" ] || unavailable "CHROMIUM=$CHROMIUM is not an executable"
    command -v apt-get >/dev/null || unavailable "$CHROMIUM is missing and there is no apt-get to install it"
    local as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            as_root=(sudo -n)
        else
            unavailable "$CHROMIUM is missing; install it as root: apt-get install chromium"
        fi
    fi
    echo "browser: installing Debian's chromium (apt-get)" >&2
    local apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o=Dpkg::Use-Pty=0)
    # The package lists may be missing or old on a fresh machine: update them only then.
    if ! "${apt[@]}" install -y chromium >/dev/null 2>&1; then
        "${apt[@]}" update >/dev/null || unavailable "apt-get update failed"
        "${apt[@]}" install -y chromium >/dev/null || unavailable "apt-get install chromium failed"
    fi
    [ -x "$CHROMIUM" ] || unavailable "apt-get installed chromium, but $CHROMIUM is not there"
}

install_packages() {
    command -v "$NODE" >/dev/null || unavailable "Node.js ($NODE) not found"
    command -v "$NPM" >/dev/null || unavailable "npm ($NPM) not found"
    local want
    want="$(cat "$MODEL/package.json" "$MODEL/package-lock.json" | sha256sum | cut -d' ' -f1) node $("$NODE" --version)"
    if [ -d "$MODEL/node_modules" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
        return
    fi
    echo "browser: npm ci in $MODEL (pinned by package-lock.json)" >&2
    "$NPM" ci --prefix "$MODEL" --no-audit --no-fund --loglevel=error \
        || unavailable "npm ci in $MODEL failed"
    echo "$want" >"$STAMP"
}

install() {
    install_chromium
    install_packages
}

check() {
    [ $# -ge 1 ] || { echo "usage: $0 check DIR [--min-overlap 0.9] [--width 2000] [--expect N]" >&2; exit 2; }
    install
    local rc=0
    "$NODE" "$MODEL/check.mjs" "$@" || rc=$?
    return "$rc"
}

case "${1:-}" in
    install) install ;;
    check) shift && check "$@" ;;
    *) echo "usage: $0 install | check DIR [--min-overlap 0.9] [--width 2000] [--expect N]" >&2; exit 2 ;;
esac
