#!/usr/bin/env bash
# Set up a fresh machine: the system Chromium (for JavaScript storefronts and browser
# tests) and a virtualenv with the project and its test tools. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing the system Chromium (Debian package 'chromium')"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e '.[dev]'
touch "$VENV/.installed"
echo "setup: ready ($VENV)"
