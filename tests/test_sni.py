"""The StatusNotifierItem path (GNOME with AppIndicator, KDE, most Wayland panels), for real: a
watcher on a private session bus, the app under Xvfb registering its item with it, and the item's
icon, tooltip and menu read back over D-Bus as a panel would, before and after the state changes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.dbus_service import private_bus
from tests.desktop import Desktop
from tests.helpers import config_text
from tests.servers import LocalServer, wait_until
from tests.sni import Watcher

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[Watcher]:
    with private_bus(tmp_path) as address:
        found = Watcher(address)
        try:
            yield found
        finally:
            found.close()


def _tooltip(props: dict[str, Any]) -> str:
    # ToolTip is (icon name, icon pixmaps, title, description).
    _, _, title, description = props["ToolTip"]
    return f"{title}\n{description}"


def _labels(layout: Any) -> list[str]:
    """Every item label in a dbusmenu layout (id, properties, children)."""
    _, properties, children = layout
    found = [properties["label"][1]] if "label" in properties else []
    for child in children:
        found += _labels(child[1])
    return found


def test_the_tray_item_registers_and_follows_the_state(
    desktop: Desktop, watcher: Watcher, http_server: LocalServer, https_server: LocalServer, tmp_path: Path
) -> None:
    messenger = servers.Switch(b"messenger")
    web = https_server.route("/sni-messenger", messenger)
    ctl = http_server.route("/sni-control", servers.ok(b"success"))
    config = tmp_path / "config.toml"
    config.write_text(
        config_text(
            "version = 2\n[general]\ninterval = 1\nrecheck = 1\nconfirm_failures = 2", {"messenger": [web]}, [ctl]
        )
    )
    env = {
        **desktop.env,
        "DBUS_SESSION_BUS_ADDRESS": watcher.address,  # the bus with the watcher, no XEmbed host on it
        "QT_QPA_PLATFORM": "xcb",
        "SSL_CERT_FILE": os.environ["SSL_CERT_FILE"],
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TRAYWATCH_TRAY_WAIT": "10",
    }
    app = subprocess.Popen(
        [sys.executable, "-m", "traywatch", "--config", str(config)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_until(lambda: bool(watcher.items), 20), "no StatusNotifierItem registered"
        assert wait_until(lambda: "All clear" in _tooltip(watcher.item_properties()), 20)
        props = watcher.item_properties()
        assert props["Status"] == "Active"
        assert props["IconName"] or props["IconPixmap"]  # an icon, by name or as pixels
        calm_icon = props["IconPixmap"] or props["IconName"]
        name, _ = watcher.items[-1]
        menu = props["Menu"]
        watcher.call(name, menu, "com.canonical.dbusmenu", "AboutToShow", signature="i", body=(0,))
        _, layout = watcher.call(name, menu, "com.canonical.dbusmenu", "GetLayout", signature="iias", body=(0, -1, []))
        labels = _labels(layout)
        assert "All clear" in labels and "Check now" in labels and "Quit" in labels, labels

        messenger.failing = True
        assert wait_until(lambda: "Messenger is down" in _tooltip(watcher.item_properties()), 20)
        changed = watcher.item_properties()
        assert (changed["IconPixmap"] or changed["IconName"]) != calm_icon  # the icon follows the state
    finally:
        app.terminate()
        output, _ = app.communicate(timeout=15)
    assert app.returncode == 0, output
