"""Network changes reach the monitor, in a real network namespace whose links and default route the
test adds and removes: through the kernel's routing messages (Linux) and through Qt's
QNetworkInformation (elsewhere, and the fallback)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.test_netlink import route

pytestmark = pytest.mark.netns

WATCHER = """
import sys
from PySide6.QtCore import QCoreApplication
from traywatch.ui.network_watch import watch_network
app = QCoreApplication([])
print(watch_network(lambda: print("changed", flush=True), app, kernel=sys.argv[1] == "kernel"), flush=True)
app.exec()
"""


def _lines(proc: subprocess.Popen[str]) -> tuple[queue.Queue[str], threading.Thread]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        with proc.stdout:
            for line in proc.stdout:
                lines.put(line.strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def _ip(netns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", netns, *args], check=True)


def _batch(netns: str, folder: Path, commands: list[str]) -> None:
    """The commands in one run of ``ip``: microseconds apart, as a link coming up sends them."""
    script = folder / "commands.ip"
    script.write_text("\n".join(commands) + "\n", encoding="utf-8")
    subprocess.run(["ip", "-n", netns, "-batch", str(script)], check=True)


SETTLED = 1.0  # seconds: the call comes "a second after it settles"
PLUG_IN = [
    "link add wan0 type veth peer name gw0",
    "addr add 10.77.0.2/24 dev wan0",
    "addr add 10.77.0.1/24 dev gw0",
    "link set gw0 up",
    "link set wan0 up",
    "route add default via 10.77.0.1 dev wan0",
]


FORGER = """
import socket, sys
with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
    sock.sendto(bytes.fromhex(sys.argv[2]), (int(sys.argv[1]), 0))
"""


def _watcher_port(netns: str) -> int:
    """The netlink port of the socket listening to the routing groups traywatch joins."""
    from traywatch.netlink import GROUPS

    table = subprocess.run(
        ["ip", "netns", "exec", netns, "cat", "/proc/net/netlink"], check=True, capture_output=True, text=True
    ).stdout.splitlines()[1:]
    ports = [int(row.split()[2]) for row in table if row.split()[1] == "0" and int(row.split()[3], 16) == GROUPS]
    assert len(ports) == 1, table
    return ports[0]


@pytest.mark.parametrize("source", ["kernel", "qt"])
def test_a_default_route_coming_and_going_calls_the_monitor(netns: str, source: str, tmp_path: Path) -> None:
    _ip(netns, "link", "set", "lo", "up")
    watcher = subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, "-c", WATCHER, source],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        text=True,
    )
    lines, reader = _lines(watcher)
    try:
        where = lines.get(timeout=30)
        assert ("kernel's routing messages" if source == "kernel" else "Qt's glib backend") in where, where
        with pytest.raises(queue.Empty):
            lines.get(timeout=0.5)  # nothing changed yet: nothing said
        if source == "kernel":
            # Any program can send a routing message to traywatch's socket; only the kernel's count.
            port = _watcher_port(netns)
            forged = route(0).hex()  # a default route in the main table, as the kernel lays it out
            subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", FORGER, str(port), forged], check=True)
            with pytest.raises(queue.Empty):
                lines.get(timeout=2.5)

        # Plug in a link and a default route: the network is up. A burst of a dozen messages
        # (links, addresses, routes) makes one call, once it has settled.
        _batch(netns, tmp_path, PLUG_IN)
        plugged = time.monotonic()
        assert lines.get(timeout=10) == "changed"
        assert time.monotonic() - plugged >= SETTLED * 0.9
        with pytest.raises(queue.Empty):
            lines.get(timeout=SETTLED + 1)
        if source == "kernel":
            # Messages that change nothing that matters (a link renamed in spirit, a route to a
            # neighbour) say nothing: Wi-Fi scans arrive as such link messages all day.
            _ip(netns, "link", "set", "gw0", "alias", "the gateway side")
            _ip(netns, "route", "add", "10.78.0.0/24", "via", "10.77.0.1", "dev", "wan0")
            with pytest.raises(queue.Empty):
                lines.get(timeout=2.5)

        # Pull it: the network is gone.
        _ip(netns, "route", "del", "default")
        assert lines.get(timeout=10) == "changed"
    finally:
        watcher.terminate()
        watcher.wait(10)
        reader.join(10)


FLOODED = """
import os, resource, subprocess, sys
from PySide6.QtCore import QCoreApplication, QTimer
from traywatch.ui.network_watch import watch_network
app = QCoreApplication([])
watch_network(lambda: print("changed", flush=True), app)
files = resource.getrlimit(resource.RLIMIT_NOFILE)

def flood():  # the event loop busy while thousands of routes arrive, as a VPN can push them
    subprocess.run(["ip", "-batch", sys.argv[1]], check=True)
    if sys.argv[2] == "no-files":  # and no socket can be opened to learn the links again
        lowest_free = os.dup(0)
        os.close(lowest_free)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, files[1]))
        QTimer.singleShot(500, lambda: resource.setrlimit(resource.RLIMIT_NOFILE, files))
    print("flooded", flush=True)

QTimer.singleShot(0, flood)
app.exec()
"""


@pytest.mark.parametrize("files", ["files", "no-files"])
def test_messages_lost_to_a_full_socket_count_as_a_change_and_the_watch_goes_on(
    netns: str, tmp_path: Path, files: str
) -> None:
    # None of these routes is a default route, so each on its own would say nothing; but more
    # arrive than the socket holds, and what the lost ones said cannot be known. With "no-files"
    # the links cannot be learned again just then: the change is still said.
    _batch(netns, tmp_path, ["link set lo up", *PLUG_IN[:-1]])
    flood = tmp_path / "flood.ip"
    flood.write_text("".join(f"route add 10.{80 + i // 250}.{i % 250}.0/24 via 10.77.0.1\n" for i in range(3000)))
    watcher = subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, "-c", FLOODED, str(flood), files],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        text=True,
    )
    lines, reader = _lines(watcher)
    try:
        assert lines.get(timeout=60) == "flooded"
        assert lines.get(timeout=10) == "changed"
        with pytest.raises(queue.Empty):
            lines.get(timeout=SETTLED + 1)
        # The links were learned again and the watch still listens.
        _ip(netns, "route", "add", "default", "via", "10.77.0.1")
        assert lines.get(timeout=10) == "changed"
        _ip(netns, "link", "set", "wan0", "down")
        assert lines.get(timeout=10) == "changed"
    finally:
        watcher.terminate()
        watcher.wait(10)
        reader.join(10)
