"""One traywatch per user: a second launch asks the first to show itself, then exits."""

from __future__ import annotations

import getpass
import logging
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)


def server_name() -> str:
    """The socket lives in the user's own runtime folder (mode 0700 by the XDG spec) where there
    is one: a name in the shared temporary folder can be taken first by another local user, whose
    socket would then answer as "the running traywatch" and stop ours from starting."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "traywatch.sock")
    return f"traywatch-{getpass.getuser()}"


def ask_running_instance_to_show(name: str | None = None, timeout_ms: int = 500) -> bool:
    """True if another instance answered (and was asked to show itself)."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"show\n")
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    show_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if not self.server.listen(self.name):
            # A socket left by a crashed instance: nobody answered, so take it over.
            QLocalServer.removeServer(self.name)
            if not self.server.listen(self.name):
                log.warning("cannot listen for other launches: %s", self.server.errorString())
                return False
        return True

    def _accept(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if b"show" in data:
            log.info("another launch asked this instance to show itself")
            self.show_requested.emit()
