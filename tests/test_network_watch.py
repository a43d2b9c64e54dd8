"""Network changes reach the monitor: Qt's network-information backend, watched by our code, in a
real network namespace whose default route the test adds and removes."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading

import pytest

pytestmark = pytest.mark.netns

WATCHER = """
from PySide6.QtCore import QCoreApplication
from traywatch.ui.network_watch import watch_network
app = QCoreApplication([])
print(watch_network(lambda: print("changed", flush=True)), flush=True)
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


def test_a_default_route_coming_and_going_calls_the_monitor(netns: str) -> None:
    _ip(netns, "link", "set", "lo", "up")
    watcher = subprocess.Popen(
        ["ip", "netns", "exec", netns, sys.executable, "-c", WATCHER],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        text=True,
    )
    lines, reader = _lines(watcher)
    try:
        source = lines.get(timeout=30)
        assert "backend" in source and "no network-change" not in source, source
        with pytest.raises(queue.Empty):
            lines.get(timeout=0.5)  # nothing changed yet: nothing said

        # Plug in a link and a default route: the network is up.
        _ip(netns, "link", "add", "wan0", "type", "veth", "peer", "name", "gw0")
        _ip(netns, "addr", "add", "10.77.0.2/24", "dev", "wan0")
        _ip(netns, "addr", "add", "10.77.0.1/24", "dev", "gw0")
        _ip(netns, "link", "set", "gw0", "up")
        _ip(netns, "link", "set", "wan0", "up")
        _ip(netns, "route", "add", "default", "via", "10.77.0.1", "dev", "wan0")
        assert lines.get(timeout=10) == "changed"
        while not lines.empty():
            lines.get()

        # Pull it: the network is gone.
        _ip(netns, "route", "del", "default")
        assert lines.get(timeout=10) == "changed"
    finally:
        watcher.terminate()
        watcher.wait(10)
        reader.join(10)
