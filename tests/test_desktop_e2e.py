"""End to end with real parts: traywatch in a real X tray, talking to a real notification server
on a private D-Bus session, probing real local servers that we make fail and recover."""

from __future__ import annotations

import gc
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests import servers
from tests.desktop import Desktop, Dunst
from tests.helpers import config_text
from tests.servers import LocalServer, wait_until
from traywatch.loop_thread import LoopThread

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.desktop


def _config(
    path: Path, http_server: LocalServer, https_server: LocalServer, messenger: servers.Route, hold_down: float = 2
) -> Path:
    web = https_server.route(f"/e2e-messenger-{id(messenger)}", messenger)
    insta = https_server.route("/e2e-instagram", servers.ok(b"<html>instagram</html>"))
    controls = [http_server.route(f"/e2e-control-{n}", servers.ok(b"success")) for n in "abc"]
    # A version 1 file ([monitor], [check]): the app migrates it as it starts.
    settings = (
        "[monitor]\ninterval = 1\nrecheck = 1\nconfirm_failures = 2\n[check]\ntimeout = 1.5\n"
        f"[general]\nhold_down = {hold_down}"
    )
    edge = f"tls://127.0.0.1:{https_server.port}"
    text = config_text(settings, {"messenger": [web, edge], "instagram": [insta]}, controls)
    path.write_text(text, encoding="utf-8")
    return path


def _app_env(desktop: Desktop, tmp_path: Path) -> dict[str, str]:
    return {
        **desktop.env,
        "QT_QPA_PLATFORM": "xcb",
        "SSL_CERT_FILE": os.environ["SSL_CERT_FILE"],
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TRAYWATCH_TRAY_WAIT": "10",
    }


def _launch(desktop: Desktop, config: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """Start traywatch in the test desktop; returns the process and its log file."""
    app = subprocess.Popen(
        [sys.executable, "-m", "traywatch", "--config", str(config)],
        env=_app_env(desktop, tmp_path),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return app, tmp_path / "state" / "traywatch" / "log" / "traywatch.log"


def test_messenger_outage_and_recovery_reach_the_notification_server(
    desktop: Desktop, http_server: LocalServer, https_server: LocalServer, tmp_path: Path
) -> None:
    failing = {"on": False}

    def messenger(h: servers.Handler) -> None:
        if failing["on"]:
            h.reply(503, b"Service Unavailable")
        else:
            h.reply(200, b"<html>messenger</html>")

    config = _config(tmp_path / "config.toml", http_server, https_server, messenger)
    dunst = Dunst(desktop.env)
    dunst.close_all()
    before = len(dunst.history())
    app, log_file = _launch(desktop, config, tmp_path)
    try:

        def log_text() -> str:
            return log_file.read_text() if log_file.exists() else ""

        assert wait_until(lambda: "tray icon shown" in log_text(), 20), log_text()
        assert wait_until(lambda: "all_clear" in log_text(), 20), log_text()

        failing["on"] = True
        assert wait_until(lambda: dunst.displayed() > 0, 20), log_text()
        shot = desktop.screenshot(ARTIFACTS / "e2e-messenger-down.png")
        assert shot.stat().st_size > 0
        # Its "Details" button opens the status window on the real desktop (while it is on screen:
        # a closed notice's buttons are not ours to answer).
        assert wait_until(lambda: any("not your wifi" in n[1] for n in _notified(log_text())), 10)
        notice_id = next(n[0] for n in _notified(log_text()) if "not your wifi" in n[1])
        desktop.click_action(notice_id, "details")
        assert wait_until(lambda: "status window shown" in log_text(), 10), log_text()
        assert wait_until(lambda: _window_shown(desktop, "traywatch — status"), 10)

        def painted() -> bool:  # a window full of words: a larger screenshot than the bare screen's
            return desktop.screenshot(ARTIFACTS / "e2e-status-window.png").stat().st_size > shot.stat().st_size

        assert wait_until(painted, 10, 0.25)
        time.sleep(3)  # three more failing cycles: still one notification, not a storm
        summaries = dunst.summaries()
        new = summaries[: len(summaries) - before]  # dunst lists its history newest first
        outage = [s for s in new if "not your wifi" in s]
        assert outage == ["It's not your wifi — Messenger is down"], new

        failing["on"] = False
        seen = dunst.wait_for(lambda s: any(x.startswith("Messenger is back") for x in s), 20)
        assert any(x.startswith("Messenger is back (down ") for x in seen), (seen, log_text())
        new = seen[: len(seen) - before]
        assert sum("not your wifi" in s for s in new) == 1
        assert not any("your connection" in s.lower() for s in new)
    finally:
        app.terminate()
        output, _ = app.communicate(timeout=15)
        dunst.close()
    assert app.returncode == 0, output


def _notified(log: str) -> list[tuple[int, str]]:
    """(id on the server, "title — body") of every notice the app sent, from its log."""
    found = re.findall(r"notified \(id (\d+)\): (.*)$", log, re.MULTILINE)
    return [(int(number), title) for number, title in found]


def _tray_crop(desktop: Desktop, name: str) -> bytes:
    """The tray's corner of the screen (trayer sits top right), as raw RGB."""
    shot = desktop.screenshot(ARTIFACTS / f"{name}.png")
    crop = subprocess.run(
        ["convert", str(shot), "-gravity", "NorthEast", "-crop", "120x32+0+0", "+repage", "rgb:-"],
        capture_output=True,
        check=True,
    )
    return crop.stdout


def _window_shown(desktop: Desktop, title: str) -> bool:
    """A window with this title is mapped (viewable) on the X display."""
    found = subprocess.run(
        ["xwininfo", "-root", "-tree"], env=desktop.env, capture_output=True, text=True, check=False
    ).stdout
    return title in found


def test_a_flapping_service_gets_one_notice_updated_in_place_and_a_pause_keeps_its_icon(
    desktop: Desktop, http_server: LocalServer, https_server: LocalServer, tmp_path: Path
) -> None:
    flapping = {"on": False, "since": 0.0}

    def messenger(h: servers.Handler) -> None:
        # 3 s failing, 2 s answering, while "on". The hold-down (4 s) runs from the last failing
        # check: with a check a second, that is less than 2 + 1 s before one fails again, so one
        # episode (with answering spells of 3 s, one check early in them could end it).
        failing = flapping["on"] and (time.monotonic() - flapping["since"]) % 5 < 3
        h.reply(503 if failing else 200, b"messenger")

    config = _config(tmp_path / "config.toml", http_server, https_server, messenger, hold_down=4)
    dunst = Dunst(desktop.env)
    dunst.close_all()
    app, log_file = _launch(desktop, config, tmp_path)
    try:

        def log_text() -> str:
            return log_file.read_text() if log_file.exists() else ""

        assert wait_until(lambda: "all_clear" in log_text(), 20), log_text()
        flapping.update(on=True, since=time.monotonic())
        most_on_screen = 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            most_on_screen = max(most_on_screen, dunst.displayed())
            time.sleep(0.2)
        flapping["on"] = False
        assert wait_until(lambda: any(t.startswith("Messenger is back") for _, t in _notified(log_text())), 20)
        notices = _notified(log_text())
        titles = [t for _, t in notices]
        assert titles[0].startswith("It's not your wifi — Messenger is down — "), titles
        assert any(t.startswith("Messenger keeps dropping: down ") for t in titles), titles
        assert titles[-1].startswith("Messenger is back (down "), titles
        assert len({number for number, _ in notices}) == 1, notices  # one notice, updated in place
        assert most_on_screen == 1

        before = _tray_crop(desktop, "e2e-tray-not-paused")
        desktop.click_action(notices[0][0], "pause-1h")
        assert wait_until(lambda: "notifications paused until" in log_text(), 10), log_text()
        # The badge is drawn over the icon: the tray's corner changes once it repaints.
        assert wait_until(lambda: _tray_crop(desktop, "e2e-tray-paused") != before, 10, 0.25)
        assert len(_tray_crop(desktop, "e2e-tray-paused")) == len(before)
    finally:
        app.terminate()
        output, _ = app.communicate(timeout=15)
        dunst.close()
    assert app.returncode == 0, output


def test_second_launch_asks_the_first_to_show_itself(desktop: Desktop, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[catalog]\ninclude_defaults = false\n[[control]]\nid = 'c'\nurl = 'http://127.0.0.1:9/'\n")
    first, log_file = _launch(desktop, config, tmp_path)
    try:
        assert wait_until(lambda: log_file.exists() and "tray icon shown" in log_file.read_text(), 20)
        second = subprocess.run(
            [sys.executable, "-m", "traywatch", "--config", str(config)],
            env=_app_env(desktop, tmp_path),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 0
        assert "already running" in second.stdout
        assert wait_until(lambda: "asked this instance to show itself" in log_file.read_text(), 10)
        assert first.poll() is None  # the first one is still running
    finally:
        first.terminate()
        first.communicate(timeout=15)


def test_a_launch_while_another_is_starting_leaves_it_alone(desktop: Desktop, tmp_path: Path) -> None:
    import fcntl

    config = tmp_path / "config.toml"
    config.write_text("[catalog]\ninclude_defaults = false\n[[control]]\nid = 'c'\nurl = 'http://127.0.0.1:9/'\n")
    # Another launch holds the instance lock but has not bound its socket yet: nobody answers.
    runtime = Path(desktop.env["XDG_RUNTIME_DIR"])
    with open(runtime / "traywatch.sock.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        app, _ = _launch(desktop, config, tmp_path)
        try:
            output, _ = app.communicate(timeout=30)
        finally:
            if app.poll() is None:
                app.kill()
                app.communicate()
    assert app.returncode == 0, output
    assert "traywatch is already starting" in output
    assert not (runtime / "traywatch.sock").exists()


def test_notifier_replaces_its_own_notice_and_sends_urgency_as_a_byte(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from traywatch.notices import NoteKind, Notification, Urgency
    from traywatch.notify import DBusNotifier

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    dunst = Dunst(desktop.env)
    dunst.close_all()
    before = len(dunst.history())

    async def scenario() -> tuple[int, int, int]:
        notifier = DBusNotifier("traywatch", lambda note: "", lambda action: None)
        await notifier.connect()
        assert "actions" in notifier.capabilities
        await notifier.send(Notification("It's not your wifi — Messenger is down", "503", Urgency.CRITICAL))
        first = dunst.displayed()
        await notifier.send(Notification("Messenger is back (down 2 min)", "", Urgency.LOW, NoteKind.RECOVERY))
        second = dunst.displayed()
        page_text = "Meta's status page: <b>Messenger</b> & more"  # words from a server: not markup
        await notifier.send(Notification("It's your connection", page_text, Urgency.CRITICAL, NoteKind.LOCAL))
        third = dunst.displayed()
        await notifier.close()
        return first, second, third

    counts = asyncio.run(scenario())
    assert counts == (1, 1, 2)  # the recovery replaced the outage notice; another kind stacks
    dunst.close_all()
    history = dunst.history()
    new = {str(e["summary"]): e for e in history[: len(history) - before]}
    assert set(new) == {"Messenger is back (down 2 min)", "It's your connection"}
    assert str(new["It's your connection"]["appname"]) == "traywatch"
    # dunst parses markup without saying so (no "body-markup"): it got no markup characters at all.
    assert (
        str(new["It's your connection"]["body"])
        == "Meta's status page: \u2039b\u203aMessenger\u2039/b\u203a \uff06 more"
    )
    # dunst keeps critical notifications until dismissed (timeout 0): only if urgency arrived as a byte.
    assert int(new["It's your connection"]["timeout"]) == 0
    assert int(new["Messenger is back (down 2 min)"]["timeout"]) > 0
    dunst.close()


def test_a_missing_notification_server_is_reported_not_raised(empty_session_bus: str) -> None:
    import asyncio

    from traywatch.notify import DBusNotifier, NotifierUnavailable

    notifier = DBusNotifier("traywatch", lambda note: "", lambda action: None)
    with pytest.raises(NotifierUnavailable, match="no notification server"):
        asyncio.run(notifier.connect())


def test_quitting_while_the_server_is_still_being_asked_closes_the_connection_quietly(
    empty_session_bus: str, qtbot: QtBot, loop: LoopThread, caplog: pytest.LogCaptureFixture
) -> None:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection
    from PySide6.QtWidgets import QSystemTrayIcon

    from traywatch.ui.notifications import NotificationSink

    # A server that takes the name and then never answers: the app is still connecting at quit.
    silent = open_dbus_connection(bus="SESSION")
    watcher = open_dbus_connection(bus="SESSION")
    try:
        silent.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))

        def peers() -> set[str]:
            names = watcher.send_and_get_reply(message_bus.ListNames()).body[0]
            return {name for name in names if name.startswith(":")}

        before = peers()
        sink = NotificationSink(loop, QSystemTrayIcon())
        sink.start()
        assert wait_until(lambda: len(peers() - before) == 1, 5)  # connected, waiting for an answer
        time.sleep(0.2)
        started = time.monotonic()
        sink.close()
        assert time.monotonic() - started < 3  # a moment's grace, not the 3 s call timeout and more
        # Closed by the sink itself, before the loop stops: no connection left behind.
        assert wait_until(lambda: peers() == before, 2)
        loop.stop()
        gc.collect()  # an unretrieved task error would be logged now
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert sink.notifier is None
    finally:
        silent.close()
        watcher.close()
