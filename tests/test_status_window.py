"""The status window: words, a table of services and checks, evidence a click away, a timeline,
uptime without your own side's trouble, and a diagnosis to copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from tests.test_monitor import (
    CONTROLS_OK,
    HEALTHY,
    INSTAGRAM_OK,
    MESSENGER_503,
    MESSENGER_FAILS,
    MESSENGER_OK,
    NAMES,
    OFFLINE,
    Driver,
    confirm,
)
from tests.test_verdict import ctl
from traywatch import __version__
from traywatch.episodes import Episode
from traywatch.model import Layer, Observations, Outcome
from traywatch.ui.icons import IconSet
from traywatch.ui.status_window import StatusWindow, fitted, lanes

H = 3600.0
DAY = 24 * H


def _window(qtbot: QtBot) -> StatusWindow:
    window = StatusWindow(IconSet())
    qtbot.addWidget(window)
    window.show()
    return window


def _outage(now: float) -> list[Episode]:
    return [
        Episode("messenger", "down", now - 5 * H, now - 4 * H, "It's not your wifi — Messenger is down", "503"),
        Episode("", "your_side", now - 30 * H, now - 29 * H, "It's your connection", "no answer"),
        Episode("instagram", "down", now - 10 * 60, None, "It's not your wifi — Instagram is down", "timeout"),
    ]


def test_the_window_says_what_is_wrong_and_lists_services_and_checks(qtbot: QtBot) -> None:
    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, MESSENGER_503)
    obs = Observations((MESSENGER_FAILS, MESSENGER_OK[1], *INSTAGRAM_OK), CONTROLS_OK, (), 2500, service_names=NAMES)
    window = _window(qtbot)
    window.update_status(
        d.view(), d.state.verdict, obs, [], now=d.now, control_names={"captive": "Apple captive check"}
    )
    assert window.headline.text() == "It's not your wifi — Messenger is down"
    assert window.reason.text() == "Messenger's servers are answering with an error. Your internet is working."
    table = window.table
    names = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
    assert names[:2] == ["Messenger", "Instagram"] and "Apple captive check" in names and len(names) == 2 + 5
    assert table.item(0, 1).text() == "down" and table.item(0, 2).text() == "Servers are answering with an error."
    assert table.item(1, 1).text() == "working"
    assert not window.technical.isVisible()  # evidence one click away
    window.toggle.click()
    assert window.technical.isVisible() and "www.messenger.com answers HTTP 503" in window.technical.toPlainText()


def _clipped(table: QTableWidget) -> list[str]:
    """The texts of the state, what-happened and time cells that do not fit their cells."""
    metrics = table.fontMetrics()
    clipped = []
    for row in range(table.rowCount()):
        for column in (1, 2, 3):
            text = table.item(row, column).text()
            cell = table.visualRect(table.model().index(row, column))
            room = cell.adjusted(3, 0, -3, 0)  # the item's own margins
            needed = metrics.boundingRect(room, Qt.TextFlag.TextWordWrap, text)
            if needed.width() > room.width() or needed.height() > cell.height():
                clipped.append(text)
    return clipped


def test_every_cell_shows_its_whole_text(qtbot: QtBot) -> None:
    # Offline: the longest state words ("can't tell while your connection fails") and a reason
    # for every check, which wraps.
    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, OFFLINE)
    long_reason = ctl("connectivitycheck.gstatic.com", Outcome.NXDOMAIN, Layer.DNS, detail="name does not exist")
    failing = tuple(ctl(c.host, Outcome.UNREACHABLE, Layer.TCP) for c in CONTROLS_OK[1:])
    obs = Observations(MESSENGER_OK + INSTAGRAM_OK, (long_reason, *failing), (), 2500, service_names=NAMES)
    window = _window(qtbot)
    window.update_status(d.view(), d.state.verdict, obs, [], now=d.now)
    table = window.table
    assert table.item(0, 1).text() == "can't tell while your connection fails"
    qtbot.waitUntil(lambda: not _clipped(table), timeout=2000)  # once laid out, as it is drawn
    assert "(dns)" in table.item(len(d.view().rows), 2).text()


def test_the_window_fits_a_small_screen() -> None:
    assert fitted(QRect(0, 0, 1920, 1080)) == QSize(720, 640)
    small = fitted(QRect(0, 24, 1024, 576))  # a netbook's 600 lines, less a panel
    assert small == QSize(720, 576 - 40)  # room for the window's title bar
    assert fitted(QRect(0, 0, 640, 480)) == QSize(640, 440)


def test_the_window_takes_the_size_that_fits(qtbot: QtBot) -> None:
    window = _window(qtbot)
    assert window.size() == fitted(window.screen().availableGeometry())


def test_each_check_refreshes_it(qtbot: QtBot) -> None:
    d = Driver()
    window = _window(qtbot)
    d.cycle(HEALTHY)
    window.update_status(d.view(), d.state.verdict, None, [], now=d.now)
    assert window.headline.text() == "All clear"
    confirm(d, MESSENGER_503)
    window.update_status(d.view(), d.state.verdict, None, [], now=d.now)
    assert window.headline.text() == "It's not your wifi — Messenger is down"


def test_timeline_lanes_clip_episodes_to_the_window() -> None:
    now = 1_800_000_000.0
    day = lanes(_outage(now), [("messenger", "Messenger"), ("instagram", "Instagram")], now - DAY, now)
    assert [lane.label for lane in day] == ["Messenger", "Instagram", "Your connection"]
    assert day[0].spans == ((now - 5 * H, now - 4 * H, "down"),)
    assert day[1].spans == ((now - 600, now, "down"),)  # still going on: drawn to now
    assert day[2].spans == ()  # 30 h ago: outside the last 24 hours
    week = lanes(_outage(now), [("messenger", "Messenger")], now - 7 * DAY, now)
    assert week[-1].spans == ((now - 30 * H, now - 29 * H, "your_side"),)


def test_the_week_view_and_uptime_leave_your_side_out(qtbot: QtBot) -> None:
    d = Driver()
    d.cycle(HEALTHY)
    now = d.now
    window = _window(qtbot)
    window.update_status(d.view(), d.state.verdict, None, _outage(now), now=now)
    assert window.timeline.lanes[-1].spans == ()
    window.week.click()
    assert window.timeline.lanes[-1].spans  # the 30-hours-ago trouble shows in the week
    assert "Your connection: 1 h" in window.timeline.toolTip()
    assert window.uptime.verticalHeaderItem(0).text() == "Messenger"
    assert window.uptime.item(0, 0).text() == f"{(1 - 1 / 24) * 100:.2f} %"
    assert window.your_side.text() == "Your connection had no trouble in the last 24 hours."


def test_copy_diagnosis_has_what_a_helper_needs_and_no_secret_or_home(qtbot: QtBot) -> None:
    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, MESSENGER_503)
    window = _window(qtbot)
    window.update_status(d.view(), d.state.verdict, None, _outage(d.now), now=d.now)
    window.copy.click()
    text = QGuiApplication.clipboard().text()
    assert text.startswith(f"traywatch {__version__}")
    assert "It's not your wifi — Messenger is down" in text and "www.messenger.com answers HTTP 503" in text
    assert "Messenger: down," in text and "Your connection: your side" in text
    assert str(Path.home()) not in text


def test_the_diagnosis_scrubs_home_folders_and_passwords() -> None:
    from traywatch.diagnosis import diagnosis

    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, MESSENGER_503)
    assert d.state.verdict is not None
    from dataclasses import replace

    verdict = replace(
        d.state.verdict,
        evidence=(
            "proxy http://bob:hunter2@proxy.lan:3128 refused",
            "config /home/alice/.config/traywatch/config.toml",
        ),
    )
    text = diagnosis(verdict, d.now, [], d.now, home="/home/alice")
    assert "hunter2" not in text and "/home/alice" not in text and "~/.config/traywatch" in text
