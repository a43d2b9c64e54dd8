"""Everything behind the icon: config, history, the probe thread, the controller and the dialogs.
Built once the icon is in the tray (``ui.app``), so the icon shows before any of it is loaded."""

from __future__ import annotations

import concurrent.futures
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from traywatch.catalog import Catalog, Control, Service
from traywatch.config import Config
from traywatch.configstore import keep_secret_url, load_or_recover
from traywatch.errors import TraywatchError
from traywatch.history import History
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
from traywatch.ui.single_instance import InstanceServer
from traywatch.ui.tray import Tray
from traywatch.ui.worker import CycleRunner

log = logging.getLogger(__name__)


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


class Session:
    """The app behind its icon: built (settings read, threads up), then ``start``-ed once the icon
    is in the tray; ``stop`` takes it down in order."""

    def __init__(
        self, app: QApplication, icon: QSystemTrayIcon, instance: InstanceServer, paths: Paths, config_path: Path | None
    ) -> None:
        config_file = config_path or paths.config_file
        config, config_title, config_problem = _load(paths, config_path)
        tray = Tray(IconSet(), icon)
        tray.set_notice("config", config_problem)
        self.collector = GuiThreadCollector()
        self.collector.start()  # before the probe thread exists: no collection ever runs on it
        self.loop = loop = LoopThread()
        loop.start()
        runner = CycleRunner(loop)
        self.sink = sink = NotificationSink(loop, tray.icon)
        secrets = _lazy_secret_store()
        if is_secret_url(str(config["forwarding.url"])):
            # Once, for a file written by hand or by an older traywatch.
            try:
                config, moved = keep_secret_url(config_file, config, secrets())
            except (TraywatchError, OSError) as exc:
                moved = f"Your webhook address is a password in itself and stays in config.toml for now ({exc})."
            tray.set_notice("secret-url", moved)
        history = History(paths.history_file)
        self.controller = controller = Controller(
            config, tray=tray, runner=runner, sink=sink, secrets=secrets, history=history
        )
        self.tray = tray
        tray.quit.connect(app.quit)
        dialogs: dict[str, Any] = {}
        about: dict[str, str] = {}

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

        def backend_ready(notifier: object, description: str) -> None:
            about["notifications"] = description
            # In the menu only when something is wrong with it; which server it is goes to About.
            tray.set_notice("notifications", description if notifier is None else "")

        sink.backend_ready.connect(backend_ready)
        self._config_said = (config_title, config_problem)
        runner.finished.connect(lambda *_: self.collector.collect())  # what a check left behind, at once

    def start(self) -> None:
        """Begin checking and notifying: once the icon is in the tray."""
        self.sink.start(use_dbus=sys.platform.startswith("linux") or "DBUS_SESSION_BUS_ADDRESS" in os.environ)
        title, problem = self._config_said
        if problem:
            self.controller.deliver(Notification(title, problem, Urgency.NORMAL, NoteKind.APP))
        log.info(watch_network(self.controller.network_changed, self.controller))
        self.controller.start()
        # The controller's own tick (every 5 s) drives it: no wake-up of its own.
        self.collector.follow(self.controller.tick_timer)

    def stop(self) -> None:
        self.controller.stop()
        self.sink.close()
        self.loop.stop()
        self.collector.stop()
