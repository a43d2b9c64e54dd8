"""Metered connections: NetworkManager's word read over a real D-Bus, and a slower cadence that
keeps re-checks of a suspected failure as fast."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytestqt.qtbot import QtBot

from tests.dbus_service import private_bus
from tests.nm import FakeNetworkManager
from tests.test_monitor import HEALTHY, MESSENGER_503, Driver
from traywatch import monitor
from traywatch.metered import NetworkManagerMetered
from traywatch.monitor import MonitorSettings

if TYPE_CHECKING:
    from traywatch.ui.controller import Controller, MeteredAsk
    from traywatch.ui.tray import Tray
    from traywatch.ui.worker import CycleRunner


def _app(
    qtbot: QtBot,
    loop: object,
    http_server: object,
    https_server: object,
    *,
    metered: MeteredAsk | None,
    interval: float | None = None,
    runner: CycleRunner | None = None,
) -> tuple[Controller, Tray]:
    """A controller watching one local Messenger (a check a second unless ``interval`` says),
    asking ``metered`` whether the connection is metered."""
    from tests.test_controller import config_for, make

    config, _ = config_for(http_server, https_server)  # type: ignore[arg-type]
    if interval is not None:
        config = replace(config, values={**config.values, "general.interval": interval})
    controller, tray, _ = make(qtbot, loop, config, metered=metered, runner=runner)  # type: ignore[arg-type]
    return controller, tray


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[str]:
    with private_bus(tmp_path) as address:
        yield address


def _asked(ask: NetworkManagerMetered, times: int = 1) -> list[bool | None]:
    """``times`` answers in a row on one event loop, as the app asks on its probe loop; the
    connection is closed at the end."""

    async def asking() -> list[bool | None]:
        try:
            return [await ask() for _ in range(times)]
        finally:
            await ask.close()

    return asyncio.run(asking())


@pytest.mark.parametrize(("value", "metered"), [(1, True), (3, True), (2, False), (4, False), (0, None)])
def test_network_managers_word_is_read(bus: str, value: int, metered: bool | None) -> None:
    nm = FakeNetworkManager(bus, value)
    try:
        assert _asked(NetworkManagerMetered(bus)) == [metered]
        assert nm.asked == 1
    finally:
        nm.close()


@pytest.mark.parametrize(("signature", "value"), [("i", 1), ("s", "1"), ("b", True)])
def test_an_answer_not_of_network_managers_type_means_not_known(bus: str, signature: str, value: object) -> None:
    nm = FakeNetworkManager(bus, 1)
    nm.signature, nm.metered = signature, value
    try:
        assert _asked(NetworkManagerMetered(bus)) == [None]
        assert nm.asked == 1
    finally:
        nm.close()


def test_no_network_manager_means_not_known(bus: str) -> None:
    ask = NetworkManagerMetered(bus, timeout=1.0)
    assert _asked(ask, 2) == [None, None]
    assert ask.connections == 1  # the bus answered: "no such name" needs no new connection


def test_no_bus_means_not_known(tmp_path: Path) -> None:
    ask = NetworkManagerMetered(f"unix:path={tmp_path / 'no-bus'}", timeout=1.0)
    assert _asked(ask) == [None]
    assert ask.connections == 0


def test_one_connection_serves_every_ask(bus: str) -> None:
    # Asked before each healthy check: seen at the service, every ask comes over one connection.
    nm = FakeNetworkManager(bus, 2)
    try:
        ask = NetworkManagerMetered(bus)
        assert _asked(ask, 3) == [False, False, False]
        assert nm.asked == 3 and len(set(nm.askers)) == 1
        assert ask.connections == 1
    finally:
        nm.close()


def test_an_ask_left_unanswered_is_given_up_and_the_next_asks_afresh(bus: str) -> None:
    nm = FakeNetworkManager(bus, 1)
    try:
        ask = NetworkManagerMetered(bus, timeout=0.5)

        async def asking() -> list[bool | None]:
            try:
                nm.silent = True
                answers = [await ask()]
                nm.silent = False
                return [*answers, await ask()]
            finally:
                await ask.close()

        assert asyncio.run(asking()) == [None, True]
        assert ask.connections == 2  # a connection that let an ask time out is not trusted again
        assert len(set(nm.askers)) == 2
    finally:
        nm.close()


def test_a_metered_connection_is_checked_every_5_minutes_and_doubts_at_once() -> None:
    d = Driver(MonitorSettings(metered=True))
    d.cycle(HEALTHY)
    assert d.state.next_check == d.now + 300  # healthy: the metered pace
    d.cycle(MESSENGER_503)
    assert d.state.next_check == d.now + 5  # a suspected failure: re-checked as fast as ever
    assert MonitorSettings(metered=True, interval=900).healthy_interval == 900  # never faster than asked


def test_word_of_a_metered_connection_moves_the_waiting_check() -> None:
    d = Driver(MonitorSettings())
    d.cycle(HEALTHY)
    started = d.now
    assert d.state.next_check == started + 60
    d.advance(10)
    d.state = monitor.reconfigure(d.state, MonitorSettings(metered=True), d.now)
    assert d.state.next_check == started + 300  # the wait already begun, at the metered pace
    d.advance(20)
    d.state = monitor.reconfigure(d.state, MonitorSettings(metered=False), d.now)
    assert d.state.next_check == started + 60  # and back: not five minutes for a healthy minute
    d.advance(29)
    d.state = monitor.reconfigure(d.state, MonitorSettings(metered=True), d.now)
    assert d.state.next_check == started + 300  # at 59 s too
    d.state = monitor.reconfigure(d.state, MonitorSettings(metered=False), d.now)
    d.advance(1)
    d.state = monitor.reconfigure(d.state, MonitorSettings(metered=True), d.now)
    assert d.state.next_check == started + 60  # at 60 s the check is due: it goes ahead
    d = Driver(MonitorSettings(metered=True))
    d.cycle(HEALTHY)
    d.advance(100)
    d.state = monitor.reconfigure(d.state, MonitorSettings(), d.now)
    assert d.state.next_check == d.now  # a minute was over 40 s ago: now, not in the past


def test_word_of_a_metered_connection_delays_no_check_that_is_due_or_in_doubt() -> None:
    d = Driver(MonitorSettings())
    d.cycle(HEALTHY)
    d.state = monitor.network_changed(d.state, d.now + 1)  # a new network: check now
    d.state = monitor.reconfigure(d.state, MonitorSettings(metered=True), d.now + 2)
    assert d.state.next_check == d.now + 1
    d = Driver(MonitorSettings())
    d.cycle(MESSENGER_503)
    assert d.state.next_check == d.now + 5  # in doubt: a re-check
    d.state = monitor.reconfigure(d.state, MonitorSettings(metered=True), d.now + 1)
    assert d.state.next_check == d.now + 5
    assert d.state.settings.metered


def test_the_app_slows_down_on_a_metered_connection_and_says_so(
    qtbot: QtBot, bus: str, loop: object, http_server: object, https_server: object
) -> None:
    from tests.test_controller import settle

    nm = FakeNetworkManager(bus, 1)
    try:
        controller, tray = _app(qtbot, loop, http_server, https_server, metered=NetworkManagerMetered(bus))
        controller.start()
        qtbot.waitUntil(lambda: controller.metered is True, timeout=10000)
        assert tray.notices["metered"] == "Metered connection: checking every 5 min"
        qtbot.waitUntil(
            lambda: controller.state.checked_at is not None and controller.state.running is None, timeout=10000
        )
        state = controller.state
        assert state.settings.healthy_interval == 300
        assert state.checked_at is not None and state.next_check - state.checked_at > 200
        settle(qtbot, controller)
    finally:
        nm.close()


def test_word_of_a_metered_connection_after_the_first_check_moves_the_next(
    qtbot: QtBot, bus: str, loop: object, http_server: object, https_server: object
) -> None:
    from tests.test_controller import settle

    first_done = threading.Event()
    ask = NetworkManagerMetered(bus)

    async def late() -> bool | None:  # NetworkManager answers only once the first check is over
        await asyncio.to_thread(first_done.wait, 10)
        return await ask()

    nm = FakeNetworkManager(bus, 1)
    try:
        controller, _ = _app(qtbot, loop, http_server, https_server, metered=late, interval=30.0)
        controller.start()
        qtbot.waitUntil(
            lambda: controller.state.checked_at is not None and controller.state.running is None, timeout=10000
        )
        checked_at = controller.state.checked_at
        assert checked_at is not None and controller.state.next_check - checked_at < 31
        first_done.set()
        qtbot.waitUntil(lambda: controller.metered is True, timeout=10000)
        assert controller.state.checked_at == checked_at  # no check in between
        assert controller.state.next_check - checked_at > 200
        settle(qtbot, controller)
    finally:
        first_done.set()
        loop.submit(ask.close()).result(5)  # type: ignore[attr-defined]
        nm.close()


def test_a_connection_marked_metered_in_the_settings_is_seen_at_the_next_check(
    qtbot: QtBot, bus: str, loop: object, http_server: object, https_server: object, *, caplog: pytest.LogCaptureFixture
) -> None:
    # No network change: the user marks the connection metered in the system's settings.
    from tests.test_controller import settle

    caplog.set_level("INFO", logger="traywatch.ui.controller")
    nm = FakeNetworkManager(bus, 2)
    try:
        controller, tray = _app(qtbot, loop, http_server, https_server, metered=NetworkManagerMetered(bus))
        controller.start()
        qtbot.waitUntil(lambda: controller.metered is False and nm.asked >= 3, timeout=10000)
        assert tray.notices.get("metered", "") == ""
        nm.metered = 1
        qtbot.waitUntil(lambda: controller.metered is True, timeout=10000)
        assert tray.notices["metered"] == "Metered connection: checking every 5 min"
        said = [r.getMessage() for r in caplog.records if "metered" in r.getMessage()]
        assert said == ["the connection is not known to be metered", "the connection is metered"]  # news only
        # Asked on the probe loop itself: no thread waits on the bus for the app's life.
        assert not [t.name for t in threading.enumerate() if t.name.startswith("asyncio_")]
        settle(qtbot, controller)
    finally:
        nm.close()


def test_on_linux_the_app_asks_network_manager_on_the_system_bus(
    qtbot: QtBot,
    bus: str,
    loop: object,
    http_server: object,
    https_server: object,
    *,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The app's own choice, as it starts: the test's bus stands in for the system's.
    from tests.test_controller import settle

    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus)
    nm = FakeNetworkManager(bus, 1)
    try:
        controller, tray = _app(qtbot, loop, http_server, https_server, metered=None)
        assert isinstance(controller.ask_metered, NetworkManagerMetered)
        controller.start()
        qtbot.waitUntil(lambda: controller.metered is True, timeout=10000)
        assert tray.notices["metered"] == "Metered connection: checking every 5 min"
        settle(qtbot, controller)
    finally:
        nm.close()


def test_a_new_network_is_asked_about_at_once(
    qtbot: QtBot, bus: str, loop: object, http_server: object, https_server: object
) -> None:
    from tests.test_controller import settle

    nm = FakeNetworkManager(bus, 2)
    try:
        controller, _ = _app(qtbot, loop, http_server, https_server, metered=NetworkManagerMetered(bus), interval=600.0)
        controller.start()
        qtbot.waitUntil(lambda: controller.metered is False and controller.state.running is None, timeout=10000)
        nm.metered = 3  # a phone's hotspot: NetworkManager guesses metered
        controller.network_changed()
        qtbot.waitUntil(lambda: controller.metered is True, timeout=5000)  # not in ten minutes
        settle(qtbot, controller)
    finally:
        nm.close()


def test_qt_answers_where_network_manager_is_not_asked(qtbot: QtBot) -> None:
    # Off Linux the app asks Qt (QNetworkInformation.isMetered); on Linux Qt's GLib backend knows
    # it too, so the same call is tried here: a real answer, not a guess.
    from PySide6.QtNetwork import QNetworkInformation

    from traywatch.ui.network_watch import qt_metered

    answer = qt_metered()
    info = QNetworkInformation.instance()
    assert info is not None and info.supports(QNetworkInformation.Feature.Metered)
    assert answer is info.isMetered()


def test_the_app_reads_qts_answer_on_its_own_thread_at_start(
    qtbot: QtBot, loop: object, http_server: object, https_server: object
) -> None:
    from tests.test_controller import settle
    from traywatch.ui.network_watch import qt_metered

    controller, tray = _app(qtbot, loop, http_server, https_server, metered=qt_metered)
    controller.start()
    assert controller.metered is qt_metered()  # known at once: no round trip to another thread
    assert tray.notices.get("metered", "") == ("Metered connection: checking every 5 min" if controller.metered else "")
    settle(qtbot, controller)


def test_an_answer_given_at_once_starts_no_second_check(
    qtbot: QtBot, loop: object, http_server: object, https_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Qt answers on the GUI thread, within the call that starts a check. Qt's own backend cannot
    # be steered from here, so its answer is replaced by a "metered" one: news, acted on at once.
    from tests.test_controller import settle
    from traywatch.ui import controller as controller_module
    from traywatch.ui.worker import CycleRunner

    def metered_by_qt() -> bool:
        return True

    monkeypatch.setattr(controller_module, "qt_metered", metered_by_qt)
    started: list[int] = []
    runner = CycleRunner(loop)  # type: ignore[arg-type]
    run = runner.run

    def counted(token: int, *args: Any, **kwargs: Any) -> None:
        started.append(token)
        run(token, *args, **kwargs)

    monkeypatch.setattr(runner, "run", counted)
    controller, _ = _app(qtbot, loop, http_server, https_server, metered=metered_by_qt, runner=runner)
    controller.start()
    assert controller.metered is True and controller.state.settings.metered
    assert len(started) == 1
    qtbot.waitUntil(lambda: controller.state.checked_at is not None and controller.state.running is None, timeout=10000)
    checked_at = controller.state.checked_at
    assert len(started) == 1 and checked_at is not None and controller.state.next_check - checked_at > 200
    settle(qtbot, controller)
