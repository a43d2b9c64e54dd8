#!/usr/bin/env bash
# Install traywatch for the current user on Debian/Ubuntu: system libraries (with sudo),
# a private virtual environment, the `traywatch` command in ~/.local/bin and a menu entry.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
"$here/apt-install.sh" "$here/debian-runtime.txt"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
venv="$data/traywatch/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "$root"
mkdir -p "$HOME/.local/bin" "$data/applications"
ln -sf "$venv/bin/traywatch" "$HOME/.local/bin/traywatch"
sed "s|^Exec=traywatch|Exec=$venv/bin/traywatch|" "$here/traywatch.desktop" >"$data/applications/traywatch.desktop"
echo "traywatch installed: run 'traywatch' (tray) or 'traywatch check' (one check in the terminal)."
