"""Start at login: an XDG autostart entry on Linux, a LaunchAgent on macOS, the Run key on Windows.
Turning it off removes exactly what turning it on added, and nothing a user made by hand."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

from traywatch import APP_ID
from traywatch.errors import TraywatchError

MARKER = "X-traywatch-Autostart=true"
LAUNCH_AGENT_LABEL = "org.traywatch.monitor"
RUN_VALUE = "traywatch"


def launch_command() -> list[str]:
    """How this installation starts the tray app: the command it was started with, when that is
    an installed ``traywatch`` (pipx, the Debian package's /usr/bin/traywatch, a frozen build);
    else this Python with ``-m traywatch`` (a source checkout)."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    installed = started.name in ("traywatch", "traywatch.exe") and started.is_absolute()
    if installed and started.is_file() and os.access(started, os.X_OK):
        return [str(started)]
    return [sys.executable, "-m", "traywatch"]


def desktop_exec(argv: list[str]) -> str:
    """An Exec= value per the Desktop Entry spec: quote arguments that need it."""
    out = []
    for arg in argv:
        word = arg
        if any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
            escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
            word = f'"{escaped}"'
        out.append(word.replace("%", "%%"))
    return " ".join(out)


class Autostart(Protocol):
    description: str

    def is_enabled(self) -> bool: ...

    def enable(self) -> None: ...

    def disable(self) -> None: ...


class XdgAutostart:
    def __init__(self, config_home: Path | None = None, command: list[str] | None = None) -> None:
        base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = base / "autostart" / "traywatch.desktop"
        self.command = command or launch_command()
        self.description = str(self.path)

    def entry(self) -> str:
        return (
            "[Desktop Entry]\n"
            "Type=Application\n"
            "Name=traywatch\n"
            "Comment=Tells you whether it's your connection or Meta's services that are down\n"
            f"Exec={desktop_exec(self.command)}\n"
            f"Icon={APP_ID}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n"
            f"{MARKER}\n"
        )

    def _ours(self) -> bool:
        try:
            return MARKER in self.path.read_text(encoding="utf-8")
        except OSError:
            return False

    def is_enabled(self) -> bool:
        return self._ours()

    def enable(self) -> None:
        if self.path.exists() and not self._ours():
            raise TraywatchError(
                "Autostart entry exists", f"{self.path} was made by someone else; traywatch leaves it alone."
            )
        from traywatch.configstore import atomic_write_text

        atomic_write_text(self.path, self.entry())

    def disable(self) -> None:
        if self._ours():
            self.path.unlink()


class LaunchAgent:
    def __init__(self, home: Path | None = None, command: list[str] | None = None) -> None:
        self.path = (home or Path.home()) / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        self.command = command or launch_command()
        self.description = str(self.path)

    def plist(self) -> bytes:
        return plistlib.dumps(
            {
                "Label": LAUNCH_AGENT_LABEL,
                "ProgramArguments": self.command,
                "RunAtLoad": True,
                "ProcessType": "Interactive",
            }
        )

    def is_enabled(self) -> bool:
        try:
            label = plistlib.loads(self.path.read_bytes()).get("Label")
        except (OSError, plistlib.InvalidFileException):
            return False
        return bool(label == LAUNCH_AGENT_LABEL)

    def enable(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_bytes(self.plist())

    def disable(self) -> None:
        if self.is_enabled():
            self.path.unlink()


def windows_command_line(argv: list[str]) -> str:
    return subprocess.list2cmdline(argv)


def _winreg() -> Any:
    import winreg  # only on Windows

    return winreg


class WindowsRunKey:
    KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or launch_command()
        self.description = rf"HKEY_CURRENT_USER\{self.KEY}\{RUN_VALUE}"

    def is_enabled(self) -> bool:
        winreg = _winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.KEY) as key:
                winreg.QueryValueEx(key, RUN_VALUE)
        except OSError:
            return False
        return True

    def enable(self) -> None:
        winreg = _winreg()
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, self.KEY) as key:
            winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, windows_command_line(self.command))

    def disable(self) -> None:
        winreg = _winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, RUN_VALUE)
        except FileNotFoundError:
            pass


def autostart_for_platform() -> Autostart:
    if sys.platform == "darwin":
        return LaunchAgent()
    if sys.platform == "win32":
        return WindowsRunKey()
    return XdgAutostart()
