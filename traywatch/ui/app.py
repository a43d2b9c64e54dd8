"""The composition root of the tray app: the icon first, in the tray as soon as Qt is up; then
everything behind it (``ui.session``), loaded while the icon already says "checking"."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from traywatch import APP_ID, __version__
from traywatch.errors import ending
from traywatch.logs import setup_logging
from traywatch.paths import Paths
from traywatch.resources import icon_path
from traywatch.ui.single_instance import AnotherInstance, InstanceServer, ask_running_instance_to_show

if TYPE_CHECKING:
    from traywatch.ui.session import Session

log = logging.getLogger(__name__)

EXIT_NO_TRAY = 1
CHECKING_ICON = "checking"  # view.Display.CHECKING's icon, named here to show it before the core loads
# At login the panel's tray may come up after us; this is how long we wait for it.
TRAY_WAIT_SECONDS = float(os.environ.get("TRAYWATCH_TRAY_WAIT", "120"))

NO_TRAY_MESSAGE = (
    "No system tray appeared within {seconds:.0f} s, so traywatch cannot show its icon. "
    "On GNOME, install and enable the 'AppIndicator and KStatusNotifierItem Support' extension; "
    "other desktops need a panel with a system tray (notification area). "
    "Meanwhile, 'traywatch check' runs a check in the terminal."
)


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


def name_the_process_for_windows(shell32: object | None = None) -> bool:
    """Windows shows a toast only for a process that names its app (an AppUserModelID), and
    groups its taskbar entries by it. Before any window exists; True once named."""
    if shell32 is None:
        if os.name != "nt":
            return False  # and ctypes is not loaded for nothing
        import ctypes

        windll = getattr(ctypes, "windll", None)  # Windows only
        if windll is None:
            return False
        shell32 = windll.shell32
    setter = getattr(shell32, "SetCurrentProcessExplicitAppUserModelID", None)
    if setter is None:
        return False
    return bool(setter(APP_ID) == 0)  # S_OK


def run_app(config_path: Path | None, verbose: bool = False) -> int:
    paths = Paths.default()
    log_file = setup_logging(paths.log_dir, verbose)
    log.info("traywatch %s starting; log file %s", __version__, log_file)
    name_the_process_for_windows()

    app = QApplication(sys.argv[:1])
    app.setApplicationName("traywatch")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
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

    # The icon in its "checking" state; the session adopts it, so it never blinks or moves.
    icon = QSystemTrayIcon(QIcon(str(icon_path(CHECKING_ICON))))
    icon.setToolTip("traywatch: checking…")
    session: list[Session] = []

    def built() -> Session | None:
        """The session, built once; None when it could not be (said, and the app ends)."""
        if not session:
            try:
                from traywatch.ui.session import Session

                session.append(Session(app, icon, instance, paths, config_path))
            except Exception as exc:  # raised inside Qt's loop: said and ended here, not left half-built
                log.exception("traywatch could not start")
                words, code = ending(exc)
                print(words, file=sys.stderr)
                app.exit(code)
                return None
        return session[0]

    def start() -> None:
        running = built()
        if running is not None:
            running.start()

    def begin() -> None:
        icon.show()
        log.info("tray icon shown")
        # The rest on the next turn of the event loop, with the icon already painted.
        QTimer.singleShot(0, start)

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
            if built() is None:  # meanwhile, read the settings (a broken file is kept aside now)
                return
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
    for running in session:
        running.stop()
    instance.close()
    log.info("traywatch stopped (%s)", code)
    return code
