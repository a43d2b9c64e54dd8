"""One traywatch per user: a second launch asks the first to show itself, then exits.

On Linux and the BSDs the first instance reads "show" datagrams on a Unix socket in a folder
only this user can enter: ``XDG_RUNTIME_DIR`` when it is owned by the user with mode 0700, else a
0700 folder of our own (in the state folder, or ``/tmp/traywatch-<uid>`` when that path is too
long for a socket), never a folder another user could have made. A socket or lock owned by
another user is never trusted, and a datagram from another user is ignored. No connection to
accept, nothing to block on, and no Qt network module to load (2–3 MB). A lock beside the
socket says who owns it, so that of two launches at the same moment (autostart and a click)
only one takes over a socket left by a crash; the kernel drops the lock when its holder dies.
With no private folder to be had, there is no single-instance check at all rather than one
another user could answer. macOS and Windows use a QLocalServer named per user.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import stat
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from traywatch.paths import Paths

log = logging.getLogger(__name__)

_SHOW = b"show\n"


_UCRED = struct.Struct("iII")  # pid, uid, gid


def _sent_by_us(ancillary: list[tuple[int, int, bytes]]) -> bool:
    """The sender's uid from SCM_CREDENTIALS is ours; where the system cannot say, the private
    folder is the only gate."""
    if not hasattr(socket, "SCM_CREDENTIALS"):
        return True
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= _UCRED.size:
            return int(_UCRED.unpack(data[: _UCRED.size])[1]) == os.getuid()
    return False


class AnotherInstance(Exception):
    """Another traywatch holds the instance lock: it runs, or is starting."""


_SOCKET = "traywatch.sock"
_MAX_SOCKET_PATH = 100  # sockaddr_un holds 108 bytes


def _uses_unix_socket() -> bool:
    return hasattr(socket, "AF_UNIX") and sys.platform not in ("win32", "darwin")


def _private(folder: Path) -> bool:
    """A real folder (not a link) owned by this user that nobody else may enter."""
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077 == 0


def _own(folder: Path) -> Path:
    """Make ``folder`` (mode 0700) if it is missing, and tighten it if it is ours."""
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            folder.chmod(0o700)
    return folder


def _candidates() -> list[Path]:
    """Where the socket may live, best first; ours are made on the way."""
    found = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        found.append(Path(runtime))  # the session's own: used only if private, never altered
    found.append(_own(Paths.default().state_dir / "run"))
    found.append(_own(Path(tempfile.gettempdir()) / f"traywatch-{os.getuid()}"))
    return found


def server_name() -> str:
    """The socket path (or Qt server name); "" when no private place can be had."""
    if not _uses_unix_socket():
        import getpass  # only here: it brings termios, for a name no Unix desktop uses

        return f"traywatch-{getpass.getuser()}"
    for folder in _candidates():
        path = folder / _SOCKET
        if _private(folder) and len(str(path)) <= _MAX_SOCKET_PATH:
            return str(path)
    log.warning("no private folder for the single-instance socket: launches will not find each other")
    return ""


def _is_unix_path(name: str) -> bool:
    return os.path.isabs(name) and _uses_unix_socket()


def _ours(path: str) -> bool:
    try:
        return os.lstat(path).st_uid == os.getuid()
    except OSError:
        return False


def ask_running_instance_to_show(name: str | None = None, timeout_ms: int = 500) -> bool:
    """True if another instance answered (and was asked to show itself)."""
    name = server_name() if name is None else name
    if not name:
        return False
    if _is_unix_path(name):
        if not _ours(name):
            return False  # another user's socket is not "the running traywatch"
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

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        if os.fstat(fd).st_uid != os.getuid():
            raise PermissionError(errno.EPERM, "the lock belongs to another user")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


class InstanceServer(QObject):
    show_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name() if name is None else name
        self._socket: socket.socket | None = None
        self._lock: int | None = None
        self._server: Any = None  # a QLocalServer where there is no Unix socket

    def listen(self) -> bool:
        """True when listening; False (logged) when other launches cannot reach this one.
        Raises AnotherInstance if another traywatch owns the name."""
        if not self.name:
            return False
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
            if hasattr(socket, "SO_PASSCRED"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # who sent each datagram
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
                data, ancillary, _, _ = self._socket.recvmsg(64, socket.CMSG_SPACE(_UCRED.size))
            except BlockingIOError:
                return
            except OSError as exc:
                log.warning("reading other launches' requests: %s", exc)
                return
            if data.startswith(b"show") and _sent_by_us(ancillary):
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
