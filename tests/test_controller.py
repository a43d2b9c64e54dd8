"""The Qt controller with the real worker thread and real local servers (offscreen)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests import servers
from tests.helpers import config_text
from tests.servers import LocalServer
from traywatch.config import Config, config_from_document
from traywatch.history import History
from traywatch.loop_thread import LoopThread
from traywatch.notices import NoteKind, Notification, Urgency
from traywatch.tomlreader import TomlDocument
from traywatch.ui.controller import Controller, MeteredAsk
from traywatch.ui.icons import IconSet
from traywatch.ui.notifications import NotificationSink
from traywatch.ui.tray import Tray
from traywatch.ui.worker import CycleRunner
from traywatch.view import Display


class RecordingSink(NotificationSink):
    """The real sink's interface, recording instead of reaching a notification server (which the
    end-to-end test covers)."""

    def __init__(self, loop: LoopThread, tray: Tray) -> None:
        super().__init__(loop, tray.icon)
        self.posted: list[Notification] = []

    def post(self, note: Notification) -> None:
        self.posted.append(note)


def config_for(http_server: LocalServer, https_server: LocalServer, extra: str = "") -> tuple[Config, dict[str, bool]]:
    """A config watching one local Messenger; flip ``state["fail"]`` to make it answer 503."""
    state = {"fail": False}

    def messenger(h: servers.Handler) -> None:
        h.reply(503 if state["fail"] else 200, b"messenger")

    web = https_server.route(f"/ctl-messenger-{id(state)}", messenger)
    ctl = http_server.route("/ctl-control", servers.ok(b"success"))
    text = config_text(
        f"version = 2\n[general]\ninterval = 1\nrecheck = 1\nhold_down = 2\n{extra}", {"messenger": [web]}, [ctl]
    )
    return config_from_document(TomlDocument("test.toml", text), Path("test.toml")), state


def settle(qtbot: QtBot, controller: Controller) -> None:
    """Let the cycle in flight finish before the probe thread goes: cancelling a TLS handshake
    inside httpcore can leave its socket for the garbage collector."""
    qtbot.waitUntil(lambda: controller.state.running is None, timeout=10000)
    controller.stop()


def make(
    qtbot: QtBot,
    loop: LoopThread,
    config: Config,
    history: History | None = None,
    *,
    metered: MeteredAsk | None = lambda: None,  # None: the app's own way, as it starts
    runner: CycleRunner | None = None,
) -> tuple[Controller, Tray, RecordingSink]:
    tray = Tray(IconSet())
    sink = RecordingSink(loop, tray)
    # Metered or not is asked of the test's own bus where it matters (test_metered.py).
    controller = Controller(
        config, tray=tray, runner=runner or CycleRunner(loop), sink=sink, history=history, metered=metered
    )
    return controller, tray, sink


def test_confirmed_outage_shows_down_icon_and_one_notification(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer, tmp_path: Path
) -> None:
    config, state = config_for(http_server, https_server)
    history = History(tmp_path / "history.jsonl")
    controller, tray, sink = make(qtbot, loop, config, history)
    controller.start()
    qtbot.waitUntil(lambda: tray.view is not None and tray.view.display is Display.ALL_CLEAR, timeout=10000)
    state["fail"] = True
    qtbot.waitUntil(lambda: tray.view is not None and tray.view.display is Display.DOWN, timeout=10000)
    assert [n.title for n in sink.posted] == ["It's not your wifi — Messenger is down"]
    state["fail"] = False
    qtbot.waitUntil(lambda: len(sink.posted) == 2, timeout=10000)
    assert sink.posted[1].title.startswith("Messenger is back")
    settle(qtbot, controller)
    # Both transitions are kept for later, with their evidence, and the details window lists them.
    events = history.recent().events
    assert [(e.kind, e.title) for e in events] == [(n.kind.value, n.title) for n in sink.posted]
    assert "503" in events[0].evidence  # the technical account is kept; the body says it in words
    assert events[0].body == "Messenger's servers are answering with an error. Your internet is working."
    controller.show_details()
    window = controller.details
    assert window.headline.text() == "All clear"
    assert window.table.rowCount() == 2  # Messenger and the one control
    assert window.uptime.item(0, 0).text() != "no data"
    lanes = window.timeline.lanes
    assert [lane.label for lane in lanes] == ["Messenger", "Your connection"]
    assert len(lanes[0].spans) == 1 and lanes[0].spans[0][2] == "down"  # the outage, from the history


def test_notifications_off_means_none_posted(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer
) -> None:
    config, _ = config_for(http_server, https_server, "notifications = false")
    controller, _, sink = make(qtbot, loop, config)
    controller.deliver(Notification("It's not your wifi — Messenger is down", "", Urgency.CRITICAL))
    controller.deliver(Notification("traywatch: settings file set aside", "", kind=NoteKind.APP))
    assert [n.title for n in sink.posted] == ["traywatch: settings file set aside"]


def test_forwarding_posts_off_the_gui_thread_and_failure_shows_in_the_menu(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer
) -> None:
    received: list[bytes] = []

    def hook(h: servers.Handler) -> None:
        received.append(h.rfile.read(int(h.headers["Content-Length"])))
        h.reply(200, b"ok")

    url = http_server.route("/ctl-hook", hook)
    config, _ = config_for(http_server, https_server)
    config = replace(config, values={**config.values, "forwarding.url": url})
    controller, tray, sink = make(qtbot, loop, config)
    note = Notification("It's not your wifi — Messenger is down", "503", Urgency.CRITICAL)
    controller.deliver(note)
    qtbot.waitUntil(lambda: len(received) == 1, timeout=5000)
    assert b"Messenger is down" in received[0]
    assert sink.posted == [note]

    dead = f"http://127.0.0.1:{servers.refused_port()}/hook"
    controller.reconfigure(replace(config, values={**config.values, "forwarding.url": dead}))
    controller.deliver(note)
    qtbot.waitUntil(lambda: bool(tray.notices.get("forwarding")), timeout=10000)
    tray.menu.aboutToShow.emit()
    texts = [a.text() for a in tray.menu.actions()]
    assert any(t.startswith("Forwarding failed at") for t in texts)
    settle(qtbot, controller)


def test_reconfigure_takes_the_new_interval_at_once(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer
) -> None:
    config, _ = config_for(http_server, https_server)
    controller, _, _ = make(qtbot, loop, config)
    slower = replace(config, values={**config.values, "general.interval": 300.0})
    controller.reconfigure(slower)
    assert controller.state.settings.interval == 300.0
    assert controller.config is slower
    settle(qtbot, controller)


def test_notification_buttons_pause_and_show_details(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer
) -> None:
    from traywatch.notify import ACTION_DETAILS, ACTION_PAUSE

    config, _ = config_for(http_server, https_server)
    controller, _, sink = make(qtbot, loop, config)
    sink.action.emit(ACTION_PAUSE)  # as the D-Bus listener does, from the probe thread's side
    paused_until = controller.pipeline.quiet.paused_until
    assert paused_until is not None
    assert paused_until - controller.clock() == pytest.approx(3600, abs=5)
    sink.action.emit(ACTION_DETAILS)
    assert controller.details is not None and controller.details.isVisible()
    controller.details.close()


def test_without_a_notification_server_the_menu_says_where_notifications_go(
    qtbot: QtBot, loop: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert bus.stdout is not None
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.stdout.readline().strip())
        monkeypatch.delenv("DISPLAY", raising=False)  # so no notification server can be activated
        tray = Tray(IconSet())
        sink = NotificationSink(loop, tray.icon)
        sink.backend_ready.connect(lambda _notifier, text: tray.set_notice("notifications", text))
        sink.start()
        qtbot.waitUntil(lambda: bool(tray.notices.get("notifications")), timeout=10000)
        assert sink.notifier is None
        tray.menu.aboutToShow.emit()
        texts = [a.text() for a in tray.menu.actions()]
        assert any(t.startswith("Notifications: tray messages (no notification server") for t in texts), texts
        sink.post(Notification("It's your connection", "", Urgency.NORMAL, NoteKind.LOCAL))  # must not raise
    finally:
        bus.terminate()
        bus.communicate(timeout=5)


def test_silenced_notifications_are_still_kept_in_the_history(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer, tmp_path: Path
) -> None:
    config, state = config_for(http_server, https_server, "notifications = false")
    history = History(tmp_path / "history.jsonl")
    controller, tray, sink = make(qtbot, loop, config, history)
    state["fail"] = True
    controller.start()
    qtbot.waitUntil(lambda: tray.view is not None and tray.view.display is Display.DOWN, timeout=10000)
    settle(qtbot, controller)
    assert sink.posted == []
    assert [e.title for e in history.recent().events] == ["It's not your wifi — Messenger is down"]


def test_mute_from_the_notification_silences_that_service_until_it_is_back(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer, tmp_path: Path
) -> None:
    from traywatch.notify import ACTION_MUTE

    config, state = config_for(http_server, https_server)
    history = History(tmp_path / "history.jsonl")
    controller, tray, sink = make(qtbot, loop, config, history)
    state["fail"] = True
    controller.start()
    qtbot.waitUntil(lambda: len(sink.posted) == 1, timeout=10000)
    sink.action.emit(ACTION_MUTE)  # "Mute until it's back" on that notice
    assert controller.pipeline.quiet.mutes == (("messenger", None),)
    tray.menu.aboutToShow.emit()
    assert any(a.text().endswith("· muted") for a in tray.menu.actions())
    state["fail"] = False
    # The episode ends (2 s hold-down): its recovery is recorded but not shown, and the mute ends.
    qtbot.waitUntil(lambda: len(history.recent().events) == 2, timeout=10000)
    assert [n.title for n in sink.posted] == ["It's not your wifi — Messenger is down"]
    assert history.recent().events[1].title.startswith("Messenger is back")
    assert controller.pipeline.quiet.mutes == ()
    settle(qtbot, controller)


def test_meta_reporting_a_working_service_is_amber_with_one_notice(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer
) -> None:
    page = b'[{"id": "messenger", "name": "Messenger Platform", "services": [{"status": "High disruptions"}]}]'
    https_server.route("/ctl-page/data/orgs.json", servers.ok(page, 200, "application/json"))
    config, _ = config_for(http_server, https_server, f'[status_page]\nurl = "{https_server.url("/ctl-page")}"')
    catalog = replace(
        config.catalog, services=tuple(replace(s, status_page=("messenger",)) for s in config.catalog.services)
    )
    config = replace(config, catalog=catalog)
    https_server.hits.clear()
    controller, tray, sink = make(qtbot, loop, config)
    controller.start()
    qtbot.waitUntil(lambda: tray.view is not None and tray.view.display is Display.DEGRADED, timeout=10000)
    assert tray.view is not None and tray.view.headline == "Meta reports problems with Messenger"
    qtbot.waitUntil(lambda: len(sink.posted) == 1)
    qtbot.wait(2500)  # more cycles (once a second): still one notice, and the page read once
    settle(qtbot, controller)
    assert [(n.kind, n.title) for n in sink.posted] == [(NoteKind.META, "Meta reports problems with Messenger")]
    assert https_server.hits.count("/ctl-page/data/orgs.json") == 1


def test_open_sign_in_page_opens_where_the_portal_sent_the_check(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer
) -> None:
    from traywatch.notify import ACTION_PORTAL
    from traywatch.ui.controller import sign_in_fallback

    portal = http_server.route("/ctl-portal", servers.redirect("http://login.portal.example/welcome"))
    web = https_server.route("/ctl-portal-web", servers.ok(b"x"))
    text = config_text("version = 2\n[general]\ninterval = 1\nrecheck = 1", {"messenger": [web]}, [portal])
    config = config_from_document(TomlDocument("test.toml", text), Path("test.toml"))
    opened: list[str] = []
    tray = Tray(IconSet())
    sink = RecordingSink(loop, tray)
    controller = Controller(config, tray=tray, runner=CycleRunner(loop), sink=sink, open_url=opened.append)
    controller._notification_action(ACTION_PORTAL)  # before any check: a page portals intercept
    assert opened == [sign_in_fallback(config)] == [portal]
    controller.start()
    qtbot.waitUntil(lambda: tray.view is not None and tray.view.display is Display.CAPTIVE, timeout=15000)
    controller._notification_action(ACTION_PORTAL)
    settle(qtbot, controller)
    assert opened[-1] == "http://login.portal.example/welcome"
    assert any(n.kind is NoteKind.PORTAL for n in sink.posted)


def test_healthy_checks_are_light_and_a_failure_brings_the_full_matrix_at_once(
    qtbot: QtBot, loop: LoopThread, http_server: LocalServer, https_server: LocalServer
) -> None:
    front = servers.Switch(b"front")
    web = https_server.route("/light-front", front)
    api = https_server.route("/light-api", servers.ok(b"api"))
    other = https_server.route("/light-other", servers.ok(b"other"))
    ctl = http_server.route("/light-control", servers.ok(b"success"))
    services = {"messenger": [web, api, other]}
    text = config_text("version = 2\n[general]\ninterval = 1\nrecheck = 1\n", services, [ctl])
    config = config_from_document(TomlDocument("test.toml", text), Path("test.toml"))
    controller, tray, _ = make(qtbot, loop, config)
    controller.start()

    def asked(path: str, where: LocalServer) -> int:
        return sum(hit.startswith(path) for hit in where.hits)

    qtbot.waitUntil(lambda: asked("/light-front", https_server) >= 6, timeout=15000)
    qtbot.waitUntil(lambda: controller.state.running is None, timeout=5000)  # no cycle half-counted
    # One full picture, then light cycles: the front every time, the other two in turn, no control.
    assert asked("/light-control", http_server) == 1
    fronts = asked("/light-front", https_server)
    turns = asked("/light-api", https_server) + asked("/light-other", https_server)
    assert turns == 2 + (fronts - 1)  # both in the full cycle, then one per light cycle
    assert abs(asked("/light-api", https_server) - asked("/light-other", https_server)) <= 1
    assert controller.state.turn >= 4
    controller.show_details()
    assert controller.details.table.rowCount() == 2  # Messenger, and the control's last answer
    front.failing = True
    controls = asked("/light-control", http_server)
    qtbot.waitUntil(lambda: asked("/light-control", http_server) > controls, timeout=5000)
    qtbot.waitUntil(lambda: tray.view is not None and tray.view.display is Display.DOWN, timeout=10000)
    settle(qtbot, controller)
