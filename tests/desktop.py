"""A real desktop for tests: a private D-Bus session bus, Xvfb, a system tray (trayer), a
notification server (dunst) and a Secret Service keyring (gnome-keyring), each started here and
stopped by PID, newest first."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.servers import wait_until

TOOLS = ("dbus-daemon", "Xvfb", "dunst", "trayer", "gnome-keyring-daemon")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _read_fd_line(fd: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    data = b""
    os.set_blocking(fd, False)
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        if not chunk:
            break
        data += chunk
        if b"\n" in data:
            break
    return data.decode().strip()


class Desktop:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}

    def _spawn(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{Path(argv[0]).name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=log, **kwargs)
        log.close()
        self.procs.append(proc)
        return proc

    def start(self, keyring_password: str = "traywatch-test") -> dict[str, str]:
        for sub in ("runtime", "config", "data", "state", "cache"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root / "runtime", 0o700)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "XDG_RUNTIME_DIR": str(self.root / "runtime"),
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_DATA_HOME": str(self.root / "data"),
            "XDG_STATE_HOME": str(self.root / "state"),
            "XDG_CACHE_HOME": str(self.root / "cache"),
            "LANG": "C.UTF-8",
        }
        # D-Bus session bus.
        read, write = os.pipe()
        self._spawn(["dbus-daemon", "--session", "--nofork", f"--print-address={write}"], pass_fds=(write,))
        os.close(write)
        address = _read_fd_line(read, 10)
        os.close(read)
        if not address:
            raise RuntimeError("dbus-daemon did not start")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        # X server: it picks a free display and writes its number when ready.
        read, write = os.pipe()
        self._spawn(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x600x24", "-nolisten", "tcp", "-noreset"],
            pass_fds=(write,),
        )
        os.close(write)
        display = _read_fd_line(read, 15)
        os.close(read)
        if not display:
            raise RuntimeError("Xvfb did not start")
        self.env["DISPLAY"] = f":{display}"
        subprocess.run(
            ["dbus-update-activation-environment", "DISPLAY", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME"],
            env=self.env,
            check=False,
            capture_output=True,
        )
        # Keyring, unlocked with a known password so nothing ever prompts.
        keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert keyring.stdin is not None
        keyring.stdin.write(keyring_password.encode())
        keyring.stdin.close()
        self.procs.append(keyring)
        self.wait_for_name("org.freedesktop.secrets")
        # Notification server.
        # dunst lists a notice's buttons in a menu it asks this program to choose from, as a
        # person would: the choice is the button click_action names.
        menu = self.root / "dmenu"
        menu.write_text(f'#!/bin/sh\ngrep -F "[$(cat {self.root}/menu-choice)]" | head -n 1\n')
        menu.chmod(0o755)
        dunstrc = self.root / "dunstrc"
        dunstrc.write_text(
            '[global]\n    font = "DejaVu Sans 9"\n    geometry = "400x5-10+40"\n'
            f'    idle_threshold = 0\n    show_age_threshold = -1\n    dmenu = "{menu}"\n'
        )
        self._spawn(["dunst", "-config", str(dunstrc)])
        self.wait_for_name("org.freedesktop.Notifications")
        # System tray (XEmbed).
        self._spawn(
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--SetDockType",
                "true",
                "--transparent",
                "false",
                "--expand",
                "false",
                "--tint",
                "0x303030",
            ]
        )
        if not wait_until(self._tray_available, 15, 0.1):
            raise RuntimeError("trayer did not provide a system tray")
        return dict(self.env)

    def _tray_available(self) -> bool:
        # The XEmbed tray owns the _NET_SYSTEM_TRAY_S0 selection, as Qt checks.
        probe = subprocess.run(
            [
                "python3",
                "-c",
                "import sys\nfrom ctypes import *\n"
                "x=CDLL('libX11.so.6'); x.XOpenDisplay.restype=c_void_p; d=x.XOpenDisplay(None)\n"
                "x.XInternAtom.restype=c_ulong; x.XInternAtom.argtypes=[c_void_p,c_char_p,c_int]\n"
                "x.XGetSelectionOwner.restype=c_ulong; x.XGetSelectionOwner.argtypes=[c_void_p,c_ulong]\n"
                "a=x.XInternAtom(d,b'_NET_SYSTEM_TRAY_S0',0); sys.exit(0 if x.XGetSelectionOwner(d,a) else 1)",
            ],
            env=self.env,
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0

    def has_name(self, name: str) -> bool:
        result = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        return "boolean true" in result.stdout

    def wait_for_name(self, name: str, timeout: float = 10) -> None:
        if not wait_until(lambda: self.has_name(name), timeout, 0.05):
            raise RuntimeError(f"{name} did not appear on the session bus")

    def click_action(self, notification_id: int, action: str) -> None:
        """Click a button on a notice shown by dunst: dunst itself then says ActionInvoked."""
        (self.root / "menu-choice").write_text(f"{notification_id},{action}")
        subprocess.run(
            [
                "dbus-send",
                "--session",
                "--type=method_call",
                "--dest=org.freedesktop.Notifications",
                "/org/freedesktop/Notifications",
                "org.dunstproject.cmd0.ContextMenuCall",
            ],
            env=self.env,
            check=True,
        )

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True, capture_output=True)
        return path

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()


class Dunst:
    """Reads what the notification server received, through dunst's own D-Bus interface."""

    def __init__(self, env: dict[str, str]) -> None:
        from jeepney import DBusAddress
        from jeepney.io.blocking import open_dbus_connection

        self._old = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = env["DBUS_SESSION_BUS_ADDRESS"]
        self.conn = open_dbus_connection(bus="SESSION")
        self.address = DBusAddress(
            "/org/freedesktop/Notifications",
            bus_name="org.freedesktop.Notifications",
            interface="org.dunstproject.cmd0",
        )

    def _call(self, method: str) -> Any:
        from jeepney import new_method_call
        from jeepney.wrappers import unwrap_msg

        return unwrap_msg(self.conn.send_and_get_reply(new_method_call(self.address, method), timeout=5))

    def displayed(self) -> int:
        from jeepney import Properties
        from jeepney.wrappers import unwrap_msg

        reply = self.conn.send_and_get_reply(Properties(self.address).get("displayedLength"), timeout=5)
        return int(unwrap_msg(reply)[0][1])

    def close_all(self) -> None:
        self._call("NotificationCloseAll")

    def history(self) -> list[dict[str, Any]]:
        """Every notification dunst has shown (close_all first to include the ones on screen)."""
        (entries,) = self._call("NotificationListHistory")
        return [{key: value[1] for key, value in entry.items()} for entry in entries]

    def summaries(self) -> list[str]:
        self.close_all()
        return [str(entry.get("summary", "")) for entry in self.history()]

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float) -> list[str]:
        seen: list[str] = []

        def check() -> bool:
            nonlocal seen
            self.close_all()
            seen = [str(e.get("summary", "")) for e in self.history()]
            return predicate(seen)

        wait_until(check, timeout, 0.2)
        return seen

    def close(self) -> None:
        self.conn.close()
        if self._old is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = self._old


def clean_env(home: Path) -> dict[str, str]:
    """The environment of someone who installed traywatch: no source tree, no venv, own home."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}


def run_tray_until_checked(command: Path | str, desktop: Desktop, home: Path, state: Path) -> None:
    """Start an installed traywatch in ``desktop``, wait for its icon and its first check (seen
    in its log), then stop it: it must end cleanly. For builds run away from the source tree."""

    log = state / "traywatch" / "log" / "traywatch.log"
    app = subprocess.Popen(
        [str(command)],
        env={**desktop.env, **clean_env(home), "QT_QPA_PLATFORM": "xcb", "XDG_STATE_HOME": str(state)},
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def said(text: str) -> bool:
            return log.exists() and text in log.read_text()

        assert wait_until(lambda: said("tray icon shown"), 30), log.read_text() if log.exists() else ""
        assert wait_until(lambda: said("check done"), 30), log.read_text()
    finally:
        app.terminate()
        _, err = app.communicate(timeout=15)
    assert app.returncode == 0, err
