#!/usr/bin/env bash
# Parley's developer entry point: the README's two commands call this script.
#
#   packaging/dev.sh run    install into .venv, then start Parley (the desktop app, or
#                           `parley serve` when there is no display)
#   packaging/dev.sh test   install with the test extras, then ruff, mypy and the whole suite
#   packaging/dev.sh lint   ruff and mypy only (needs a previous install)
#
# It installs what a fresh Debian machine lacks (Qt's shared libraries, a font, the ODBC
# driver manager) with apt-get, and everything Python into .venv beside this repository.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

SYSTEM_PACKAGES=(
  libgl1 libegl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core fonts-noto-color-emoji
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxkbcommon-x11-0 xvfb
  libodbc2 unixodbc tdsodbc
)

install_system_packages() {
  command -v dpkg-query >/dev/null || return 0
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    echo "parley: installing system packages: ${missing[*]}"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

install_python() {
  local extras="$1"
  if [[ ! -x "$VENV/bin/python" ]]; then
    "$PY" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
  "$VENV/bin/python" -m pip install -q -e "$ROOT$extras"
}

# mypy cannot follow setuptools' editable-install import hook, so it checks a view of the
# tree laid out under the installed names (parley/client -> client, ...).
typecheck() {
  local view
  view="$(mktemp -d)"
  mkdir -p "$view/parley"
  for pkg in client server shared; do ln -s "$ROOT/$pkg" "$view/parley/$pkg"; done
  (cd "$view" && "$VENV/bin/mypy" --config-file "$ROOT/pyproject.toml" -p parley.shared -p parley.server -p parley.client)
  rm -rf "$view"
}

lint() {
  "$VENV/bin/ruff" check "$ROOT"
  "$VENV/bin/ruff" format --check "$ROOT" || { echo "parley: run '.venv/bin/ruff format' to fix formatting"; return 1; }
  typecheck
}

case "${1:-}" in
  run)
    install_system_packages
    install_python ""
    shift
    exec "$VENV/bin/parley" "$@"
    ;;
  test)
    install_system_packages
    install_python "[test,train]"
    lint
    cd "$ROOT"
    QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider "${@:2}"
    ;;
  lint)
    lint
    ;;
  *)
    echo "usage: packaging/dev.sh run|test|lint" >&2
    exit 2
    ;;
esac
