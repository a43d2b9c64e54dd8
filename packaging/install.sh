#!/usr/bin/env bash
# Install traywatch for the current user on Debian/Ubuntu: system libraries (with sudo),
# a private virtual environment, the `traywatch` command in ~/.local/bin, a menu entry and its icon.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
app_id="io.github.traywatch.Traywatch"
"$here/apt-install.sh" "$here/debian-runtime.txt"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
venv="$data/traywatch/venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "$root"
mkdir -p "$HOME/.local/bin" "$data/applications" "$data/icons/hicolor/scalable/apps"
ln -sf "$venv/bin/traywatch" "$HOME/.local/bin/traywatch"
sed "s|^Exec=traywatch|Exec=$venv/bin/traywatch|" "$here/$app_id.desktop" >"$data/applications/$app_id.desktop"
rm -f "$data/applications/traywatch.desktop"  # an older install's entry, named before the app id
cp "$root/resources/app/$app_id.svg" "$data/icons/hicolor/scalable/apps/$app_id.svg"
echo "traywatch installed: run 'traywatch' (tray) or 'traywatch check' (one check in the terminal)."
