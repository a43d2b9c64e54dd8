#!/usr/bin/env bash
# Build a one-folder frozen traywatch with PyInstaller: dist/traywatch/traywatch runs without
# Python installed, with the icons and the shipped catalog inside. On macOS the same spec
# makes dist/traywatch.app from packaging/macos/Info.plist (a menu-bar app, no Dock icon).
#   PYTHON=.venv/bin/python packaging/build-frozen.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$root/.venv/bin/python}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m PyInstaller --noconfirm --log-level WARN --distpath "$root/dist" --workpath "$work" \
  "$here/traywatch.spec" >&2
echo "$root/dist/traywatch"
