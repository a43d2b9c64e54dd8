"""Where notifications go: the D-Bus server when there is one, else the tray's own balloon
(which on macOS and Windows is the native notification centre / toast)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from traywatch.loop_thread import LoopThread
from traywatch.notices import NoteKind, Notification, Urgency
from traywatch.notify import DBusNotifier, NotifierUnavailable
from traywatch.resources import icon_path
from traywatch.view import Display

log = logging.getLogger(__name__)

_CONNECTING_GRACE_SECONDS = 1.0
_CLOSE_SECONDS = 2.0

_BALLOON_ICON = {
    Urgency.LOW: QSystemTrayIcon.MessageIcon.Information,
    Urgency.NORMAL: QSystemTrayIcon.MessageIcon.Information,
    Urgency.CRITICAL: QSystemTrayIcon.MessageIcon.Warning,
}


# The tray's icon for what each kind of notice says.
_NOTICE_ICONS = {
    NoteKind.OUTAGE: Display.DOWN,
    NoteKind.RECOVERY: Display.ALL_CLEAR,
    NoteKind.LOCAL: Display.YOUR_SIDE,
    NoteKind.PORTAL: Display.CAPTIVE,  # the blue shield the tray shows too
    NoteKind.ONLINE: Display.ALL_CLEAR,
    NoteKind.SLOW: Display.DEGRADED,
    NoteKind.META: Display.DEGRADED,
    NoteKind.APP: Display.DEGRADED,  # about traywatch itself: a warning, not a state
}


def _icon_uri(note: Notification) -> str:
    name = _NOTICE_ICONS[note.kind].value
    try:
        return Path(icon_path(name)).as_uri()
    except FileNotFoundError:
        return ""


class NotificationSink(QObject):
    """Posts notifications without blocking the GUI thread; buffers until the backend is known."""

    name = "desktop"
    action = Signal(str)  # a notification button was clicked (queued to the GUI thread)
    backend_ready = Signal(object, str)  # the notifier (or None) and where notifications go

    def __init__(self, loop: LoopThread, tray: QSystemTrayIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loop = loop
        self.tray = tray
        self.notifier: DBusNotifier | None = None
        self._candidate: DBusNotifier | None = None  # connecting, or connected before we heard so
        self._connecting: asyncio.Task[None] | None = None
        self._resolved = False
        self._pending: list[Notification] = []
        self.backend_ready.connect(self._resolve)

    def start(self, use_dbus: bool = True) -> None:
        if not use_dbus:
            self._resolve(None, "notifications shown by the tray icon")
            return
        notifier = self._candidate = DBusNotifier("traywatch", _icon_uri, self.action.emit)

        async def connect() -> None:
            self._connecting = asyncio.current_task()
            try:
                await notifier.connect()
            except NotifierUnavailable as exc:
                log.warning("no desktop notification server (%s); using the tray icon's messages", exc)
                self.backend_ready.emit(None, f"Notifications: tray messages ({exc})")
                return
            self.backend_ready.emit(notifier, f"Notifications: {notifier.server}")

        self.loop.submit(connect())

    def _resolve(self, notifier: DBusNotifier | None, _description: str = "") -> None:
        # The description is for the menu, which listens to backend_ready itself.
        self.notifier = notifier
        self._resolved = True
        pending, self._pending = self._pending, []
        for note in pending:
            self.post(note)

    def deliver(self, note: Notification) -> None:
        self.post(note)

    def post(self, note: Notification) -> None:
        if not self._resolved:
            self._pending.append(note)
            return
        if self.notifier is not None:
            self.loop.submit(self.notifier.send(note))
            return
        try:
            self.tray.showMessage(note.title, note.body, _BALLOON_ICON[note.urgency], 10_000)
        except Exception as exc:  # never let a notification break the monitor
            log.warning("could not show the tray message %r: %s", note.title, exc)

    def close(self) -> None:
        """Ends the D-Bus connection, or the attempt to make one, before the loop stops.

        Left to the loop's own shutdown, the D-Bus reader and a pending call are cancelled in no
        particular order, and jeepney then reports errors for calls it has already dropped. A
        connection being made is given a moment to finish first: cancelled in the middle of its
        first exchange with the bus, jeepney reports such an error whatever we do."""
        notifier, connecting = self._candidate, self._connecting

        async def shut() -> None:
            if connecting is not None and not connecting.done():
                await asyncio.wait([connecting], timeout=_CONNECTING_GRACE_SECONDS)
                connecting.cancel()
                await asyncio.wait([connecting], timeout=_CLOSE_SECONDS)
            if notifier is not None:
                await notifier.close()

        try:
            self.loop.submit(shut()).result(_CONNECTING_GRACE_SECONDS + _CLOSE_SECONDS + 1)
        except Exception as exc:
            log.debug("closing the notifier: %s", exc)
