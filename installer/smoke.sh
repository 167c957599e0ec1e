#!/usr/bin/env bash
# Smoke check of the frozen application: start it without a display on a fresh demo store,
# sign in with a demo account, wait for the データ概要 page, exit 0.
#
#   installer/smoke.sh [DIST_DIR]      (default: dist/)
#   SMOKE_SCREENSHOTS=DIR installer/smoke.sh   (keep the login / main window images)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DIST_DIR="${1:-${DIST_DIR:-$ROOT/dist}}"
EXE="$DIST_DIR/toda-desktop/toda-desktop"

if [[ ! -x "$EXE" ]]; then
    echo "smoke: no frozen application at $EXE (run installer/build.sh first)" >&2
    exit 2
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# The bundle is the window only; the demo store is made with the source tree's command line
# (at the full key-derivation cost, like every store the command line makes).
"$PYTHON" -m toda_desktop init --store "$WORK/store/demo.tdb" --demo --small >/dev/null

# Run from an empty folder with a clean environment so nothing leaks in from the source tree.
cd "$WORK"
env -i HOME="$WORK" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 \
    "$EXE" --smoke --store "$WORK/store/demo.tdb" --screenshots "$WORK/shots"

if [[ -n "${SMOKE_SCREENSHOTS:-}" ]]; then
    mkdir -p "$SMOKE_SCREENSHOTS"
    cp "$WORK"/shots/*.png "$SMOKE_SCREENSHOTS"/
fi
echo "smoke: frozen application OK"
