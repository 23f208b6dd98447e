#!/usr/bin/env bash
# Make Debian's Chromium available at /usr/bin/chromium for the browser tests (Playwright drives it
# through executable_path; no browser build is ever downloaded by Playwright itself).
#
# Idempotent: does nothing when /usr/bin/chromium already runs. Otherwise tries
# `apt-get update` + `apt-get install -y chromium` (as root, or through sudo when available).
# Always exits 0: when Chromium cannot be installed it says so on stderr, and the caller
# (CI, `make test-browser`) decides whether to skip or fail. Use `--check` to only report.
#
# Env: CHROMIUM_BIN (default /usr/bin/chromium), CHROMIUM_PACKAGES (default "chromium").
set -u

CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
CHROMIUM_PACKAGES="${CHROMIUM_PACKAGES:-chromium}"

chromium_ok() {
    [ -x "$CHROMIUM_BIN" ] && "$CHROMIUM_BIN" --version >/dev/null 2>&1
}

if chromium_ok; then
    echo "ensure-chromium: $("$CHROMIUM_BIN" --version 2>/dev/null) already at $CHROMIUM_BIN"
    exit 0
fi

if [ "${1:-}" = "--check" ]; then
    echo "ensure-chromium: $CHROMIUM_BIN is missing (check only, nothing installed)" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $CHROMIUM_BIN missing and apt-get not available; install Chromium yourself" >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure-chromium: $CHROMIUM_BIN missing and not root (no passwordless sudo); cannot install" >&2
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing $CHROMIUM_PACKAGES from Debian's packages..."
# shellcheck disable=SC2086
if ! $SUDO apt-get update -qq; then
    echo "ensure-chromium: apt-get update failed; trying the install with the lists already present" >&2
fi
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -qq --no-install-recommends $CHROMIUM_PACKAGES >/tmp/ensure-chromium-apt.log 2>&1; then
    echo "ensure-chromium: apt-get install $CHROMIUM_PACKAGES failed (log: /tmp/ensure-chromium-apt.log)" >&2
    tail -n 5 /tmp/ensure-chromium-apt.log >&2 || true
    exit 0
fi

if chromium_ok; then
    echo "ensure-chromium: installed $("$CHROMIUM_BIN" --version 2>/dev/null) at $CHROMIUM_BIN"
else
    echo "ensure-chromium: package installed but $CHROMIUM_BIN does not run" >&2
fi
exit 0
