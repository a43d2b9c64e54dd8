"""One traywatch per user: a second launch asks the first to show itself, then exits.

Where the user has a private runtime folder (``XDG_RUNTIME_DIR``, mode 0700), the first instance
reads "show" datagrams on a Unix socket there: no connection to accept, nothing to block on,
and no Qt network module to load (2–3 MB). A lock beside the socket says who owns it, so that
of two launches at the same moment (autostart and a click) only one takes over a socket left
by a crash; the kernel drops the lock when its holder dies. Elsewhere (macOS, Windows, no
runtime folder) it is a QLocalServer, named per user. A name in a shared temporary folder could be taken first by
another local user, whose socket would then answer as "the running traywatch"; hence the
runtime folder wherever there is one.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import socket
import sys
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal

log = logging.getLogger(__name__)

_SHOW = b"show\n"


class AnotherInstance(Exception):
    """Another traywatch holds the instance lock: it runs, or is starting."""


def server_name() -> str:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and sys.platform != "win32":
        return os.path.join(runtime, "traywatch.sock")
    return f"traywatch-{getpass.getuser()}"


def _is_unix_path(name: str) -> bool:
    return os.path.isabs(name) and hasattr(socket, "AF_UNIX") and sys.platform != "win32"


def ask_running_instance_to_show(name: str | None = None, timeout_ms: int = 500) -> bool:
    """True if another instance answered (and was asked to show itself)."""
    name = name or server_name()
    if _is_unix_path(name):
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
            try:
                client.sendto(_SHOW, name)
            except OSError:  # no socket, or a stale one nobody reads: no instance
                return False
        return True
    from PySide6.QtNetwork import QLocalSocket

    local = QLocalSocket()
    local.connectToServer(name)
    if not local.waitForConnected(timeout_ms):
        return False
    local.write(_SHOW)
    local.waitForBytesWritten(timeout_ms)
    local.disconnectFromServer()
    return True


def _take_lock(path: str) -> int:
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


class InstanceServer(QObject):
    show_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._socket: socket.socket | None = None
        self._lock: int | None = None
        self._server: Any = None  # a QLocalServer where there is no Unix socket

    def listen(self) -> bool:
        """True when listening; False (logged) when other launches cannot reach this one.
        Raises AnotherInstance if another traywatch owns the name."""
        return self._listen_unix() if _is_unix_path(self.name) else self._listen_qt()

    def _listen_unix(self) -> bool:
        try:
            self._lock = _take_lock(self.name + ".lock")
        except BlockingIOError:
            raise AnotherInstance(self.name) from None
        except OSError as exc:
            log.warning("cannot lock %s.lock: %s", self.name, exc.strerror or exc)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC)
        try:
            # With the lock ours (or none to be had), whatever is still there was left by a crash.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.name)
            sock.bind(self.name)
            return self._serve(sock)
        except OSError as exc:
            sock.close()
            log.warning("cannot listen for other launches on %s: %s", self.name, exc.strerror or exc)
            return False

    def _serve(self, sock: socket.socket) -> bool:
        self._socket = sock
        notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._read_datagrams)
        self.destroyed.connect(sock.close)
        return True

    def _read_datagrams(self) -> None:
        assert self._socket is not None
        while True:
            try:
                data = self._socket.recv(64)
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("reading other launches' requests: %s", exc)
                return
            if data.startswith(b"show"):
                self._show()

    def _show(self) -> None:
        log.info("another launch asked this instance to show itself")
        self.show_requested.emit()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            with contextlib.suppress(OSError):
                os.unlink(self.name)
            self._socket = None
        if self._lock is not None:
            # The lock file stays: a launch that opened it just before an unlink would lock
            # the old file while the next one creates and locks a new one: two owners.
            os.close(self._lock)
            self._lock = None
        if self._server is not None:
            self._server.close()

    def _listen_qt(self) -> bool:
        from PySide6.QtNetwork import QLocalServer

        server = self._server = QLocalServer(self)
        server.newConnection.connect(self._accept)
        if not server.listen(self.name):
            # A socket left by a crashed instance: nobody answered, so take it over.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("cannot listen for other launches: %s", server.errorString())
                return False
        return True

    def _accept(self) -> None:
        while (local := self._server.nextPendingConnection()) is not None:
            local.readyRead.connect(lambda s=local: self._read_local(s))
            local.disconnected.connect(local.deleteLater)

    def _read_local(self, local: Any) -> None:
        if bytes(local.readAll().data()).startswith(b"show"):
            self._show()
