"""The composition root of the tray app: builds the pieces, waits for a tray, runs the loop."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from traywatch import __version__
from traywatch.catalog import Catalog, Control, Service
from traywatch.config import Config
from traywatch.configstore import keep_secret_url, load_or_recover
from traywatch.errors import TraywatchError
from traywatch.history import History
from traywatch.logs import setup_logging
from traywatch.loop_thread import LoopThread
from traywatch.model import Observations
from traywatch.notices import NoteKind, Notification, Urgency
from traywatch.paths import Paths
from traywatch.secretbind import is_secret_url
from traywatch.secretstore import SecretStore, open_secret_store
from traywatch.ui.collector import GuiThreadCollector
from traywatch.ui.controller import Controller
from traywatch.ui.icons import IconSet
from traywatch.ui.network_watch import watch_network
from traywatch.ui.notifications import NotificationSink
from traywatch.ui.single_instance import AnotherInstance, InstanceServer, ask_running_instance_to_show
from traywatch.ui.tray import Tray
from traywatch.ui.worker import CycleRunner

log = logging.getLogger(__name__)

EXIT_NO_TRAY = 1
# At login the panel's tray may come up after us; this is how long we wait for it.
TRAY_WAIT_SECONDS = float(os.environ.get("TRAYWATCH_TRAY_WAIT", "120"))

NO_TRAY_MESSAGE = (
    "No system tray appeared within {seconds:.0f} s, so traywatch cannot show its icon. "
    "On GNOME, install and enable the 'AppIndicator and KStatusNotifierItem Support' extension; "
    "other desktops need a panel with a system tray (notification area). "
    "Meanwhile, 'traywatch check' runs a check in the terminal."
)


def _load(paths: Paths, config_path: Path | None) -> tuple[Config, str, str]:
    loaded = load_or_recover(config_path or paths.config_file)
    return loaded.config, loaded.title, loaded.notice


def _lazy_secret_store() -> Callable[[], SecretStore]:
    """The keyring is opened the first time something needs it, not at start-up."""
    cache: list[SecretStore] = []
    lock = threading.Lock()

    def get() -> SecretStore:
        with lock:
            if not cache:
                cache.append(open_secret_store())
            return cache[0]

    return get


def make_tester(
    loop: LoopThread, config: Callable[[], Config]
) -> Callable[[Service | Control, Callable[[str], None]], None]:
    """Probe one entry on the probe thread; report one line through ``report`` (a queued signal)."""

    def test(entry: Service | Control, report: Callable[[str], None]) -> None:
        catalog = Catalog((entry,), (), ()) if isinstance(entry, Service) else Catalog((), (entry,), ())
        from traywatch.probes import run_cycle

        future = loop.submit(run_cycle(catalog, config().check))

        def done(f: concurrent.futures.Future[Observations]) -> None:
            try:
                observations = f.result()
            except Exception as exc:
                report(f"The test could not run ({type(exc).__name__}).")
                return
            probe = (observations.services or observations.controls)[0]
            if probe.ok:
                report(f"Works: {probe.detail} in {probe.latency_ms:.0f} ms.")
            else:
                report(f"Fails at {probe.layer.value.upper()}: {probe.detail} ({probe.outcome.value}).")

        future.add_done_callback(done)

    return test


def _quit_on_signals(app: QApplication) -> None:
    """SIGTERM/SIGINT quit cleanly even while Qt's C++ loop has control."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def wake() -> None:
        reader.recv(64)
        app.quit()

    notifier.activated.connect(wake)
    app.setProperty("_signal_sockets", (reader, writer, notifier))  # keep them alive


def run_app(config_path: Path | None, verbose: bool = False) -> int:
    paths = Paths.default()
    log_file = setup_logging(paths.log_dir, verbose)
    log.info("traywatch %s starting; log file %s", __version__, log_file)

    app = QApplication(sys.argv[:1])
    app.setApplicationName("traywatch")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("traywatch")
    app.setQuitOnLastWindowClosed(False)

    if ask_running_instance_to_show():
        print("traywatch is already running; it has been asked to show itself.")
        return 0
    instance = InstanceServer()
    try:
        instance.listen()
    except AnotherInstance:
        print("traywatch is already starting; its icon will appear in the tray.")
        return 0
    if hasattr(signal, "SIGTERM") and sys.platform != "win32":
        _quit_on_signals(app)

    config_file = config_path or paths.config_file
    config, config_title, config_problem = _load(paths, config_path)
    icons = IconSet()
    tray = Tray(icons)
    tray.set_notice("config", config_problem)
    collector = GuiThreadCollector()
    collector.start()  # before the probe thread exists: no collection ever runs on it
    loop = LoopThread()
    loop.start()
    runner = CycleRunner(loop)
    sink = NotificationSink(loop, tray.icon)
    secrets = _lazy_secret_store()
    if is_secret_url(str(config["forwarding.url"])):
        # Once, for a file written by hand or by an older traywatch.
        try:
            config, moved = keep_secret_url(config_file, config, secrets())
        except (TraywatchError, OSError) as exc:
            moved = f"Your webhook address is a password in itself and stays in config.toml for now ({exc})."
        tray.set_notice("secret-url", moved)
    history = History(paths.history_file)
    controller = Controller(config, tray=tray, runner=runner, sink=sink, secrets=secrets, history=history)
    tray.quit.connect(app.quit)
    dialogs: dict[str, Any] = {}

    def open_settings() -> None:
        # Imported when first opened: most sessions never open it, and it is the biggest window.
        from traywatch.autostart import autostart_for_platform
        from traywatch.ui.settings_dialog import SettingsDialog

        dialog = dialogs.get("settings")
        if dialog is None or not dialog.isVisible():
            dialog = SettingsDialog(
                controller.config,
                config_file=config_file,
                paths=paths,
                secrets=secrets(),
                autostart=autostart_for_platform(),
                tester=make_tester(loop, lambda: controller.config),
                notifications=about.get("notifications", ""),
            )
            dialog.applied.connect(controller.reconfigure)
            dialog.applied.connect(lambda _config: tray.set_notice("config", ""))
            dialogs["settings"] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    tray.open_settings.connect(open_settings)
    instance.show_requested.connect(tray.popup)
    about: dict[str, str] = {}

    def backend_ready(notifier: object, description: str) -> None:
        about["notifications"] = description
        # In the menu only when something is wrong with it; which server it is goes to About.
        tray.set_notice("notifications", description if notifier is None else "")

    sink.backend_ready.connect(backend_ready)

    def begin() -> None:
        tray.show()
        log.info("tray icon shown")
        sink.start(use_dbus=sys.platform.startswith("linux") or "DBUS_SESSION_BUS_ADDRESS" in os.environ)
        if config_problem:
            controller.deliver(Notification(config_title, config_problem, Urgency.NORMAL, NoteKind.APP))
        log.info(watch_network(controller.network_changed, controller))
        controller.start()
        # The controller's own tick (every 5 s) drives it: no wake-up of its own.
        collector.follow(controller.tick_timer)
        runner.finished.connect(lambda *_: collector.collect())  # what a check left behind, at once

    waited = {"seconds": 0.0}
    poll = QTimer()
    poll.setInterval(1000)

    def wait_for_tray() -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            poll.stop()
            begin()
            return
        if waited["seconds"] == 0:
            log.warning("no system tray yet; waiting up to %.0f s for one", TRAY_WAIT_SECONDS)
        if waited["seconds"] >= TRAY_WAIT_SECONDS:
            poll.stop()
            message = NO_TRAY_MESSAGE.format(seconds=TRAY_WAIT_SECONDS)
            log.error(message)
            print(f"traywatch: {message}", file=sys.stderr)
            app.exit(EXIT_NO_TRAY)
            return
        waited["seconds"] += poll.interval() / 1000
        if not poll.isActive():
            poll.start()

    poll.timeout.connect(wait_for_tray)
    QTimer.singleShot(0, wait_for_tray)
    code = app.exec()
    controller.stop()
    sink.close()
    loop.stop()
    collector.stop()
    instance.close()
    log.info("traywatch stopped (%s)", code)
    return code
