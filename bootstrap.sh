#!/usr/bin/env bash
# Set up the project on a fresh machine with Python 3.11, then run it.
#   bash bootstrap.sh demo   — set up, create the demo city (once), start the app
#   bash bootstrap.sh test   — set up, run the whole test suite (extra args go to pytest)
#   bash bootstrap.sh setup  — set up only
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP="$VENV/.lock-sha256"

find_python() {
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 が見つかりません。Python 3.11 をインストールしてください。" >&2
  return 1
}

system_packages() {
  # Qt needs a few shared libraries even offscreen; poppler renders PDFs in tests.
  command -v dpkg >/dev/null 2>&1 || return 0
  local wanted=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libglib2.0-0
                libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
                libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 poppler-utils)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "注意: 次のシステムパッケージが必要です: ${missing[*]}" >&2
  fi
}

setup() {
  local python
  python=$(find_python)
  system_packages
  [ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
  local want
  want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r requirements.lock
    "$VENV/bin/python" -m pip install -q --no-deps -e .
    echo "$want" > "$STAMP"
  fi
}

case "${1:-}" in
  setup)
    setup ;;
  demo)
    setup
    STORE="$ROOT/var/demo/store.tdb"
    # A demo store made by an earlier version (one key for all data) cannot be opened by this
    # one: it is fictitious, so it is moved aside and the demo city is made again.
    if [ -f "$STORE" ] && ! "$VENV/bin/python" - "$STORE.keys" <<'PY'
import json, sys
from storage.keys import KEYFILE_FORMAT
try:
    raw = json.load(open(sys.argv[1], encoding="utf-8"))
except (OSError, ValueError):
    sys.exit(0)  # not ours to judge: the app says what is wrong with it
sys.exit(0 if raw.get("format") == KEYFILE_FORMAT or raw.get("store_kind") != "demo" else 1)
PY
    then
      OLD="$ROOT/var/demo/old-$(date +%Y%m%d%H%M%S)"
      echo "以前の版のデモ都市を $OLD に移し、作り直します。"
      mkdir -p "$OLD"
      mv "$ROOT/var/demo/"store.tdb* "$OLD/"
    fi
    if [ ! -f "$STORE" ]; then
      echo "デモ都市を作成しています（初回のみ。1分足らず、ほかの処理で混み合ったパソコンでは2分ほどかかります。進み具合を表示します）…"
      "$VENV/bin/python" -m toda_desktop init --store "$STORE" --demo
    fi
    exec "$VENV/bin/toda-desktop" --store "$STORE" ;;
  test)
    setup
    shift
    export QT_QPA_PLATFORM=offscreen
    # The whole suite, slow tests included (plain `pytest` leaves them out; see pyproject.toml).
    exec "$VENV/bin/python" -m pytest -m 'not benchmark' "$@" ;;
  *)
    echo "使い方: bash bootstrap.sh demo | test | setup" >&2
    exit 2 ;;
esac
