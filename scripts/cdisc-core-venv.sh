#!/usr/bin/env bash
# Make .venv-core: the CDISC CORE validator (cdisc-rules-engine) in its own Python 3.12 virtual environment.
#
# The engine needs Python >= 3.12 and < 3.13; the project stays on 3.11, so the validator gets an environment of
# its own, made with pyenv's 3.12 (`$(pyenv root)/versions/3.12.*/bin/python`, or CORE_PYTHON when set), and the
# project calls it as a subprocess (exports/sdtm/core_run.py). Idempotent: a stamp file records the requirements'
# SHA-256, so a second run does nothing until requirements-cdisc-core.txt changes.
#
# Env: CORE_VENV (default .venv-core), CORE_PYTHON (a python3.12 to use).
set -euo pipefail
cd "$(dirname "$0")/.."

CORE_VENV="${CORE_VENV:-.venv-core}"
REQUIREMENTS=requirements-cdisc-core.txt
STAMP="$CORE_VENV/.installed"
wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && "$CORE_VENV/bin/python" -c "import cdisc_rules_engine" 2>/dev/null; then
    echo "cdisc-core-venv: $CORE_VENV is up to date"
    exit 0
fi

python="${CORE_PYTHON:-}"
if [ -z "$python" ] && command -v pyenv >/dev/null 2>&1; then
    python="$(ls -d "$(pyenv root)"/versions/3.12.*/bin/python 2>/dev/null | sort -V | tail -n1 || true)"
fi
if [ -z "$python" ] || ! "$python" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    echo "cdisc-core-venv: no Python 3.12 found (pyenv versions, or set CORE_PYTHON)" >&2
    exit 1
fi

test -x "$CORE_VENV/bin/python" || "$python" -m venv "$CORE_VENV"
"$CORE_VENV/bin/python" -m pip install --quiet --upgrade pip
"$CORE_VENV/bin/python" -m pip install --quiet --no-deps -r "$REQUIREMENTS"
"$CORE_VENV/bin/python" -m pip check
echo "$wanted" > "$STAMP"
echo "cdisc-core-venv: $CORE_VENV ready ($("$CORE_VENV/bin/python" -m pip show cdisc-rules-engine | sed -n 's/^Version: /cdisc-rules-engine /p'))"
