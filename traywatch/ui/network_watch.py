"""Tells when the network changes, so that the monitor re-checks at once.

On Linux the kernel's own routing messages (rtnetlink) are read directly: they are what GLib's
network monitor reads underneath, and Qt's glib backend for QNetworkInformation costs 3–4 MB of
resident memory for the same news (docs/performance.md). Elsewhere, or if the socket cannot be
opened, Qt's QNetworkInformation does it where a backend exists: reachability and transport
(Wi-Fi to Ethernet can keep "online" but change everything). Either way a burst of news (a Wi-Fi
join, a DHCP lease) makes one call, a second after it settles.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from traywatch import netlink

log = logging.getLogger(__name__)

SETTLE_MS = 1000


def _from_kernel(sock: socket.socket) -> bytes | None:
    """One datagram, or None when it did not come from the kernel (port 0): any program can send
    to a netlink socket, and only the kernel speaks for the network."""
    data, (sender, _groups) = sock.recvfrom(65536)
    return data if sender == 0 else None


def _settling(on_change: Callable[[], None], parent: QObject) -> QTimer:
    """A timer each message (re)starts: ``on_change`` is called once a burst has settled."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(SETTLE_MS)
    timer.timeout.connect(on_change)
    return timer


def _current_links() -> dict[int, int]:
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE) as dump:
        dump.settimeout(2.0)
        dump.send(netlink.link_dump_request())
        links: dict[int, int] = {}
        while True:
            data = _from_kernel(dump)
            if data is None:
                continue
            _, links = netlink.network_changes(data, links)
            if netlink.dump_finished(data):
                return links


class KernelRouteWatcher(QObject):
    def __init__(self, on_change: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        flags = socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
        self._socket = socket.socket(socket.AF_NETLINK, flags, socket.NETLINK_ROUTE)
        try:
            self._socket.bind((0, netlink.GROUPS))
            self._links = _current_links()
        except OSError:
            self._socket.close()
            raise
        self._settle = _settling(on_change, self)
        self._notifier = QSocketNotifier(self._socket.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)
        self.destroyed.connect(self._socket.close)

    def _read(self) -> None:
        changed = False
        while True:
            try:
                data = _from_kernel(self._socket)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:
                    log.warning("network-change messages stopped: %s", exc)
                    self._notifier.setEnabled(False)
                    return
                changed = True  # messages were lost: assume the worst, and learn the links again
                try:
                    self._links = _current_links()
                except OSError as failed:  # no socket to spare, or no answer: the old links stand
                    log.warning("could not learn the network links again: %s", failed)
                continue
            if data is None:
                continue
            news, self._links = netlink.network_changes(data, self._links)
            changed = changed or news
        if changed:
            self._settle.start()  # restarted by each message of a burst: one call when it settles


def _watch_with_qt(on_change: Callable[[], None], parent: QObject) -> str:
    from PySide6.QtNetwork import QNetworkInformation

    if not QNetworkInformation.loadDefaultBackend():
        return "no network-change backend; relying on the regular checks"
    info = QNetworkInformation.instance()  # set once a backend has loaded
    settle = _settling(on_change, parent)  # a new network changes reachability and medium at once
    info.reachabilityChanged.connect(lambda *_: settle.start())
    if info.supports(QNetworkInformation.Feature.TransportMedium):
        info.transportMediumChanged.connect(lambda *_: settle.start())
    return f"network changes come from Qt's {info.backendName()} backend"


def watch_network(on_change: Callable[[], None], parent: QObject, *, kernel: bool = True) -> str:
    """Starts watching for as long as ``parent`` lives; returns where changes come from, or why
    none will (for the log)."""
    if kernel and sys.platform.startswith("linux"):
        try:
            KernelRouteWatcher(on_change, parent)
        except OSError as exc:
            log.info("cannot read the kernel's routing messages (%s); trying Qt", exc)
        else:
            return "network changes come from the kernel's routing messages"
    return _watch_with_qt(on_change, parent)


def qt_metered() -> bool | None:
    """Qt's word on a metered connection (``QNetworkInformation.isMetered``), where one of its
    backends knows it (Windows, macOS, Android; GLib's on Linux); None where none does. On the
    GUI thread: Qt's network information lives there, and it asks no one, so it is quick."""
    from PySide6.QtNetwork import QNetworkInformation

    if not QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Metered):
        return None
    info = QNetworkInformation.instance()
    return bool(info.isMetered()) if info is not None else None
