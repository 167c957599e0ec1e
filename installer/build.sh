#!/usr/bin/env bash
# Build the frozen one-folder application with the project's venv PyInstaller.
#
#   installer/build.sh            -> dist/toda-desktop/toda-desktop (work files in build/)
#   DIST_DIR=... WORK_DIR=... installer/build.sh   (other output folders, e.g. in tests)
#   CLEAN=1 installer/build.sh    (drop PyInstaller's cache first)
#
# Idempotent: each run replaces the previous output folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DIST_DIR="${DIST_DIR:-$ROOT/dist}"
WORK_DIR="${WORK_DIR:-$ROOT/build/pyinstaller}"

args=(--noconfirm --log-level WARN --distpath "$DIST_DIR" --workpath "$WORK_DIR")
if [[ "${CLEAN:-0}" == "1" ]]; then
    args+=(--clean)
fi

cd "$ROOT"
start=$(date +%s)
"$PYTHON" -m PyInstaller "${args[@]}" "$ROOT/installer/toda_desktop.spec"
end=$(date +%s)
echo "built $DIST_DIR/toda-desktop in $((end - start)) s"
