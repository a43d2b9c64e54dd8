"""The tray's icon, tooltip and menu, and the app's start-up paths (Qt offscreen)."""

from __future__ import annotations

import ast
import getpass
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QIcon, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from pytestqt.qtbot import QtBot

from tests.test_monitor import BLOCKED, HEALTHY, MESSENGER_503, Driver, confirm
from traywatch.resources import icon_path
from traywatch.ui.icons import IconSet
from traywatch.ui.tray import MUTE_BACK, PAUSE_HOUR, Tray, tooltip
from traywatch.view import Display, View

ROOT = Path(__file__).resolve().parent.parent


def _silhouette(display: Display, size: int = 32) -> list[int]:
    """The icon in grey levels only: what someone who cannot tell the colours apart sees."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(str(icon_path(display.value))).render(painter)
    painter.end()
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    alpha = image.convertToFormat(QImage.Format.Format_Alpha8)
    return [
        gray.pixelColor(x, y).value() * alpha.pixelColor(x, y).alpha() // 255 for y in range(size) for x in range(size)
    ]


def test_every_state_has_a_valid_svg_icon(qtbot: QtBot) -> None:
    for display in Display:
        renderer = QSvgRenderer(str(icon_path(display.value)))
        assert renderer.isValid(), display


@pytest.mark.parametrize("size", [16, 22, 32])
def test_icons_differ_by_shape_not_colour_alone(qtbot: QtBot, size: int) -> None:
    shapes = {display: _silhouette(display, size) for display in Display}
    for a in Display:
        for b in Display:
            if a.value < b.value:
                diff = sum(abs(x - y) for x, y in zip(shapes[a], shapes[b], strict=True)) / (size * size)
                assert diff > 12, f"{a.value} and {b.value} look alike in grey at {size}px ({diff:.1f})"


def _driver_view(*verdicts: object) -> View:
    d = Driver()
    for verdict in verdicts:
        d.cycle(verdict)  # type: ignore[arg-type]
    return d.view()  # type: ignore[no-any-return]


def _down_view(paused: bool = False) -> View:
    d = Driver()
    if paused:
        d.pipeline.pause(d.now + 3600)
    confirm(d, MESSENGER_503)
    return d.view()  # type: ignore[no-any-return]


def test_icon_and_tooltip_follow_state(qtbot: QtBot) -> None:
    tray = Tray(IconSet())
    keys = set()
    for view in (_driver_view(HEALTHY), _down_view()):
        tray.render(view)
        keys.add(tray.icon.icon().cacheKey())
        assert tray.icon.toolTip().startswith(view.headline)
        assert "Last checked" in tray.icon.toolTip()
    assert len(keys) == 2
    assert tray.icon.toolTip().startswith("It's not your wifi — Messenger is down")


def test_menu_is_rebuilt_from_current_state_when_shown(qtbot: QtBot) -> None:
    tray = Tray(IconSet())
    tray.render(_driver_view(HEALTHY))
    tray.menu.aboutToShow.emit()
    texts = [a.text() for a in tray.menu.actions()]
    assert texts[0] == "All clear"
    tray.render(_down_view())
    tray.menu.aboutToShow.emit()
    texts = [a.text() for a in tray.menu.actions()]
    assert texts[0] == "It's not your wifi — Messenger is down"
    assert "Messenger: down" in texts  # no layers in the menu: they are in Details
    assert "Instagram: working · 50 ms" in texts
    for label in ("Details…", "Check now", "Pause notifications", "Settings…", "Quit"):
        assert label in texts


def test_menu_actions_forward_intents(qtbot: QtBot) -> None:
    tray = Tray(IconSet())
    tray.render(_driver_view(HEALTHY))
    tray.menu.aboutToShow.emit()
    actions = {a.text(): a for a in tray.menu.actions()}
    with qtbot.waitSignal(tray.check_now, timeout=1000):
        actions["Check now"].trigger()
    pause_menu = actions["Pause notifications"].menu()
    pause_actions = {a.text(): a for a in pause_menu.actions()}
    assert not pause_actions["Resume"].isEnabled()
    with qtbot.waitSignal(tray.pause, timeout=1000) as blocker:
        pause_actions["For 1 hour"].trigger()
    assert blocker.args == [PAUSE_HOUR]


def test_the_tooltip_says_what_and_why() -> None:
    said = tooltip(_down_view()).splitlines()
    assert said[:2] == ["It's not your wifi — Messenger is down", "Messenger's servers are answering with an error."]
    assert said[2].startswith("Last checked ")
    d = Driver()
    confirm(d, BLOCKED)  # "This network is blocking Messenger: a school, office, …"
    assert tooltip(d.view()).splitlines()[1] == "This network is blocking Messenger."


def test_the_tooltip_fits_what_windows_shows_and_keeps_the_what() -> None:
    # Windows shows 127 characters of a tray icon's tooltip; the reason goes before the headline does.
    longest = View(Display.DOWN, "It's not your wifi — " + "x" * 40, "y" * 60 + ". More.", (), 1_000_000.0, 1_003_600.0)
    said = tooltip(longest)
    assert len(said) <= 127 and said.splitlines()[0] == longest.headline and "y" * 60 not in said
    room = 127 - len(said) - 1  # what is left for the reason and its line break
    fits = tooltip(replace(longest, explanation="y" * (room - 1) + ". More."))
    assert len(fits) == 127 and fits.splitlines()[1] == "y" * (room - 1) + "."
    assert tooltip(replace(longest, explanation="y" * room + ". More.")) == said  # one more: left out


def test_tooltip_mentions_pause() -> None:
    view = View(Display.ALL_CLEAR, "All clear", "", (), 1_000_000.0, 1_003_600.0)
    assert "Notifications paused until" in tooltip(view)


def _pixels(icon: QIcon, size: int = 32) -> list[int]:
    image = icon.pixmap(size, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    return [image.pixel(x, y) for y in range(size) for x in range(size)]


def test_paused_icon_keeps_the_state_and_adds_a_badge(qtbot: QtBot) -> None:
    icons = IconSet()
    paused = {display: _pixels(icons.get(display, paused=True)) for display in Display}
    for display in Display:
        plain = _pixels(icons.get(display))
        changed = sum(a != b for a, b in zip(plain, paused[display], strict=True))
        assert 0.1 < changed / len(plain) < 0.5, display  # a badge in a corner, the state around it
        assert plain[: 32 * 10] == paused[display][: 32 * 10], display  # its top rows untouched
    assert len({tuple(p) for p in paused.values()}) == len(Display)  # still one look per state


def test_a_paused_outage_shows_the_outage_with_the_badge(qtbot: QtBot) -> None:
    tray = Tray(IconSet())
    view = _down_view(paused=True)
    assert view.display is Display.DOWN and view.paused
    tray.render(view)
    assert tray.icon.icon().cacheKey() == tray.icons.get(Display.DOWN, paused=True).cacheKey()
    assert "Notifications paused until" in tray.icon.toolTip()


def test_mute_menu_forwards_the_service_and_how_long(qtbot: QtBot) -> None:
    tray = Tray(IconSet())
    tray.render(_down_view())
    tray.menu.aboutToShow.emit()
    actions = {a.text(): a for a in tray.menu.actions()}
    services = {a.text(): a.menu() for a in actions["Mute a service"].menu().actions()}
    choices = {a.text(): a for a in services["Messenger"].actions()}
    assert not choices["Unmute"].isEnabled()
    with qtbot.waitSignal(tray.mute, timeout=1000) as blocker:
        choices["Until it's back"].trigger()
    assert blocker.args == ["messenger", MUTE_BACK]


def test_without_a_tray_the_app_says_why_and_points_to_check(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TRAYWATCH_TRAY_WAIT": "1",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "traywatch"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "No system tray appeared" in proc.stderr
    assert "traywatch check" in proc.stderr


def test_core_imports_no_qt() -> None:
    modules = [p.stem for p in (ROOT / "traywatch").glob("*.py") if p.stem not in ("__main__",)]
    probes = [f"traywatch.probes.{p.stem}" for p in (ROOT / "traywatch" / "probes").glob("*.py")]
    code = (
        "import sys, importlib\n"
        f"for name in {[f'traywatch.{m}' for m in modules] + probes!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    assert "traywatch.cli" in [f"traywatch.{m}" for m in modules]  # the headless front is among them


def test_the_icon_is_shown_before_the_core_is_loaded() -> None:
    # What the tray app imports before its icon is up: no settings, no monitor, no asyncio, no
    # network stack. Each of them put back in front of the icon costs start-up time.
    code = (
        "import sys\n"
        "from traywatch.cli import main\n"
        "from traywatch.ui import app\n"
        "print(sorted(m for m in sys.modules if m.startswith('traywatch') or m in "
        "('asyncio', 'httpx', 'ssl', 'concurrent.futures', 'jeepney')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(ast.literal_eval(out.stdout.strip()))
    assert loaded == {
        "traywatch",
        "traywatch.cli",
        "traywatch.errors",
        "traywatch.logs",
        "traywatch.paths",
        "traywatch.resources",
        "traywatch.ui",
        "traywatch.ui.app",
        "traywatch.ui.feature_hook",
        "traywatch.ui.single_instance",
    }


def test_the_running_app_holds_no_module_it_does_not_use(tmp_path: Path) -> None:
    # Each of these cost the tray app memory for nothing it did: ctypes (0.3 MB, for a Windows
    # call), importlib.abc and importlib.resources (1 MB, for a base class and a file's path),
    # getpass (0.1 MB, for a name only Windows uses), logging.handlers (0.6 MB with pickle, for
    # a rotating file).
    code = (
        "import sys\n"
        "from traywatch.cli import main\n"
        "from traywatch.ui import app, session, single_instance\n"
        "from traywatch.ui.feature_hook import skip_source_reads\n"
        "from traywatch.catalog import shipped_catalog\n"
        "from traywatch.probes import run_cycle\n"
        "assert skip_source_reads() and not app.name_the_process_for_windows()\n"
        "assert shipped_catalog().services\n"
        "from pathlib import Path\n"
        "from traywatch.logs import setup_logging\n"
        "assert setup_logging(Path(sys.argv[1])) and single_instance.server_name()\n"
        "print(sorted(m for m in sys.modules if m in ('ctypes', 'importlib.abc', 'importlib.resources', 'getpass',"
        " 'termios', 'logging.handlers', 'pickle')))\n"
    )
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path / "run"), "XDG_STATE_HOME": str(tmp_path / "state")}
    (tmp_path / "run").mkdir(mode=0o700)
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "log")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert ast.literal_eval(out.stdout.strip()) == []


_QT_CLASSES_NAMED = """
import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
from PySide6.QtWidgets import QApplication
from traywatch.ui import controller, session
from traywatch.ui.icons import IconSet
from traywatch.ui.tray import Tray
from traywatch.view import Display, View

LAZY = ("Qt", "QAction", "QLabel", "QWidgetAction", "QPainter", "QPixmap")

def named():
    modules = (PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets)
    return sorted(name for module in modules for name in LAZY if name in vars(module))

app = QApplication([])
tray = Tray(IconSet())
tray.show()
tray.render(View(Display.ALL_CLEAR, "All clear", "", (), 1000.0, None))
print(named())
tray.menu.aboutToShow.emit()
print(named())
"""


def test_classes_only_the_menu_needs_are_named_when_it_first_opens() -> None:
    # PySide6 builds a class's wrapper the first time it is named: the Qt namespace alone costs
    # 0.6 MB, QAction 0.2 MB, QLabel 0.3 MB, for a menu that may never be opened.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", _QT_CLASSES_NAMED], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    before, after = (ast.literal_eval(line) for line in out.stdout.splitlines())
    assert before == []
    assert {"Qt", "QAction", "QLabel", "QWidgetAction"} <= set(after)  # the check can see them


def test_the_first_icon_is_the_checking_state() -> None:
    from traywatch.ui.app import CHECKING_ICON

    assert Display.CHECKING.value == CHECKING_ICON
    assert icon_path(CHECKING_ICON).is_file()


def test_app_starts_on_a_hostile_config_and_keeps_it_aside(tmp_path: Path) -> None:
    config_dir = tmp_path / "config" / "traywatch"
    config_dir.mkdir(parents=True)
    garbage = bytes(range(256)) * 8
    (config_dir / "config.toml").write_bytes(garbage)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TRAYWATCH_TRAY_WAIT": "1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "traywatch"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1  # no tray here: it says so and stops, having loaded its settings
    (kept,) = config_dir.glob("config.toml.broken-*")
    assert kept.read_bytes() == garbage
    log = (tmp_path / "state" / "traywatch" / "log" / "traywatch.log").read_text()
    assert kept.name in log


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: nothing to lose")
def test_qt_calls_keep_their_references_to_none(qtbot: QtBot) -> None:
    """A tray app makes these calls for hours; a binding that returns None without owning a
    reference to it (PySide6 6.12.0 on Python 3.11) drains None until the process aborts."""
    import gc

    from PySide6.QtCore import QTimer

    tray = Tray(IconSet())
    timer = QTimer()
    calls = 2000
    gc.collect()
    before = sys.getrefcount(None)
    for i in range(calls):
        tray.render(View(Display.ALL_CLEAR if i % 2 else Display.DOWN, "All clear", "", (), 1000.0 + i, None))
        timer.start(60_000)
        timer.stop()
    gc.collect()
    assert sys.getrefcount(None) - before > -calls // 10


_SOURCES_READ_AFTER_IMPORT = """
import linecache, sys
{first}
import xml.dom.minidom  # not loaded before: its first import happens with PySide6 loaded
print(sum(1 for name in linecache.cache if "/xml/" in name))
"""


def _sources_read(first: str) -> int:
    code = _SOURCES_READ_AFTER_IMPORT.format(first=first)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return int(result.stdout.strip())


def test_pyside_is_kept_from_reading_the_source_of_every_module() -> None:
    if _sources_read("import PySide6.QtCore") == 0:
        pytest.skip("this PySide6 does not read module sources on import")
    assert _sources_read("import traywatch.ui") == 0


def test_the_tray_app_keeps_no_source_text() -> None:
    # PySide6's hook reads typing and enum as it loads, and would read each of our Qt modules:
    # 0.3 MB of text kept for the app's life (docs/performance.md).
    code = (
        "import linecache\n"
        "import traywatch.ui\n"
        "from traywatch.ui import controller, session, tray, notifications, network_watch\n"
        "print(sorted(name for name, entry in linecache.cache.items() if len(entry) > 2 and entry[2]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert ast.literal_eval(out.stdout.strip()) == []


def test_the_instance_socket_is_private_to_the_user(qtbot: QtBot, isolated_env: Path) -> None:
    from PySide6.QtNetwork import QLocalServer

    from traywatch.ui.single_instance import InstanceServer, ask_running_instance_to_show, server_name

    # A socket under the name in the shared temporary folder, as another local user could make
    # it, must not pass for a running traywatch.
    squatter = QLocalServer()
    if not squatter.listen(f"traywatch-{getpass.getuser()}"):
        pytest.skip(f"the shared name is in use here: {squatter.errorString()}")
    assert not ask_running_instance_to_show()

    assert Path(server_name()).parent == isolated_env / "runtime"
    instance = InstanceServer()
    assert instance.listen()
    assert (isolated_env / "runtime" / "traywatch.sock").exists()
    with qtbot.waitSignal(instance.show_requested, timeout=5000):
        assert ask_running_instance_to_show()
    instance.close()
    assert not (isolated_env / "runtime" / "traywatch.sock").exists()
    assert not ask_running_instance_to_show()
    squatter.close()


def test_a_socket_left_by_a_crashed_instance_is_taken_over(qtbot: QtBot, isolated_env: Path) -> None:
    import socket

    from traywatch.ui.single_instance import InstanceServer, ask_running_instance_to_show, server_name

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as crashed:
        crashed.bind(server_name())  # and never unlinked, as after a crash
    assert Path(server_name()).exists()
    assert not ask_running_instance_to_show()
    instance = InstanceServer()
    assert instance.listen()
    with qtbot.waitSignal(instance.show_requested, timeout=5000):
        assert ask_running_instance_to_show()
    instance.close()


def test_of_two_launches_at_once_only_one_owns_the_socket(qtbot: QtBot, isolated_env: Path) -> None:
    from traywatch.ui.single_instance import AnotherInstance, InstanceServer, ask_running_instance_to_show

    # Both found nobody answering (the first was still starting); the second must neither take
    # the first one's socket over nor run beside it.
    first = InstanceServer()
    assert first.listen()
    second = InstanceServer()
    with pytest.raises(AnotherInstance):
        second.listen()
    with qtbot.waitSignal(first.show_requested, timeout=5000):
        assert ask_running_instance_to_show()
    first.close()

    third = InstanceServer()  # once the first has quit, the name is free again
    assert third.listen()
    third.close()


def test_without_a_runtime_folder_a_qt_local_server_does_it(qtbot: QtBot) -> None:
    from traywatch.ui.single_instance import InstanceServer, ask_running_instance_to_show

    name = f"traywatch-test-{os.getpid()}"  # a plain name, as on macOS and Windows
    instance = InstanceServer(name)
    assert instance.listen()
    with qtbot.waitSignal(instance.show_requested, timeout=5000):
        assert ask_running_instance_to_show(name)
    qtbot.wait(200)  # let the finished connection be deleted before its server is
    instance.close()


def test_each_kind_of_notice_carries_the_icon_of_what_it_says() -> None:
    from traywatch.notices import NoteKind, Notification, Urgency
    from traywatch.ui.notifications import _icon_uri

    def icon(kind: NoteKind, urgency: Urgency = Urgency.NORMAL) -> str:
        return Path(_icon_uri(Notification("t", "b", urgency, kind))).name

    assert icon(NoteKind.OUTAGE, Urgency.CRITICAL) == "down.svg"
    assert icon(NoteKind.RECOVERY, Urgency.LOW) == "all-clear.svg"
    assert icon(NoteKind.LOCAL) == "your-connection.svg"
    assert icon(NoteKind.ONLINE, Urgency.LOW) == "all-clear.svg"
    assert icon(NoteKind.SLOW, Urgency.LOW) == "degraded.svg"  # not the green tick


def test_an_ampersand_in_the_words_is_shown_not_a_shortcut(qtbot: QtBot) -> None:
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QLabel

    tray = Tray(IconSet())
    words = "Meta's status page: Ads & Commerce — <b>major</b> disruptions"
    tray.set_notice("x", words)
    tray.render(View(Display.DEGRADED, "Meta reports problems with Messenger", words, (), None, None))
    tray.menu.aboutToShow.emit()
    label = tray.menu.findChild(QLabel, "tray-words")
    assert label is not None and words in label.text()  # plain text: "<b>" is shown, never bold
    line = next(a for a in tray.menu.actions() if a.iconText().startswith("Meta's status page"))
    assert QKeySequence.mnemonic(line.text()).isEmpty()  # and no letter became a shortcut


def test_long_notices_wrap_so_the_menu_stays_narrow(qtbot: QtBot) -> None:
    tray = Tray(IconSet())
    tray.render(_driver_view(HEALTHY))
    long = "In /home/someone/.config/traywatch/config.toml: line 3, key general.interval: " * 3
    tray.set_notice("config", long)
    tray.menu.aboutToShow.emit()
    texts = [a.text() for a in tray.menu.actions()]
    assert max(len(t) for t in texts) <= 64
    assert "general.interval" in " ".join(texts)


def _menu_lines(tray: Tray) -> list[tuple[str, bool]]:
    tray.menu.aboutToShow.emit()
    return [(a.text(), a.isEnabled()) for a in tray.menu.actions() if not a.isSeparator()]


def test_the_menu_holds_still_across_states_and_reads_as_text(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLabel

    from tests.test_monitor import INSTAGRAM_DOWN

    tray = Tray(IconSet())
    heights = []
    counts = []
    for verdict in (HEALTHY, MESSENGER_503, INSTAGRAM_DOWN):
        d = Driver()
        d.cycle(HEALTHY)
        confirm(d, verdict)
        tray.render(d.view())
        lines = _menu_lines(tray)
        counts.append(len(lines))
        label = tray.menu.findChild(QLabel, "tray-words")
        assert label is not None and label.isEnabled()  # ordinary text, not greyed out
        heights.append(label.height())
    assert len(set(counts)) == 1 and len(set(heights)) == 1  # nothing moves under the pointer
    texts = [t for t, _ in _menu_lines(tray)]
    assert not any(t.startswith("Notifications:") for t in texts)  # no debug lines
    rows = [a for a in tray.menu.actions() if a.text().startswith(("Messenger:", "Instagram:"))]
    assert rows and all(not a.icon().isNull() and a.isEnabled() for a in rows)  # a state icon each


def test_checking_disables_check_now_and_tomorrow_says_the_hour(qtbot: QtBot) -> None:
    from traywatch import monitor

    d = Driver()
    d.cycle(HEALTHY)
    d.state, _ = monitor.start_cycle(d.state, d.now)  # a check is running
    tray = Tray(IconSet())
    tray.render(d.view())
    lines = dict(_menu_lines(tray))
    assert "Checking…" in lines and lines["Check now"] is False
    pause = next(a for a in tray.menu.actions() if a.text() == "Pause notifications").menu()
    assert "Until tomorrow 08:00" in [a.text() for a in pause.actions()]


def test_collection_runs_on_the_gui_thread_only_while_the_app_runs(qtbot: QtBot) -> None:
    import gc

    from traywatch.ui.collector import GuiThreadCollector

    collector = GuiThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()  # nothing is collected on the probe thread
        for _ in range(collector.thresholds[0] * 2):  # cycles: only a collection frees them
            loop: list[object] = []
            loop.append(loop)
        assert gc.get_count()[0] > collector.thresholds[0] or collector.collections
        qtbot.waitUntil(lambda: collector.collections >= 1, timeout=8000)
        assert gc.get_count()[0] <= collector.thresholds[0]
    finally:
        collector.stop()
    assert gc.isenabled()
