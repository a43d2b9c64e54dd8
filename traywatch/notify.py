"""Desktop notifications over D-Bus (``org.freedesktop.Notifications``), on asyncio.

One connection does everything: the server sends ``ActionInvoked`` and ``NotificationClosed``
only to the connection that called ``Notify``. Sending never raises: a notification that fails
is logged, because it must not break the monitor. Where there is no notification server,
``connect`` raises ``NotifierUnavailable`` with the reason, and the tray falls back to its own
balloon messages.

jeepney rather than desktop-notifier: jeepney is already installed with keyring on Linux, it
gives ``replaces_id`` and byte-typed urgency exactly as the spec has them, and macOS and Windows
are served natively by Qt's ``QSystemTrayIcon.showMessage`` (docs/notifications.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from traywatch import APP_ID
from traywatch.notices import NoteKind, Notification
from traywatch.text import markless, markup, plain

log = logging.getLogger(__name__)

_BUS_NAME = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"
_CALL_TIMEOUT = 3.0
SERVER_NAME_LIMIT = 80  # characters of the server's name and version shown in the menu

ACTION_DETAILS = "details"
ACTION_PAUSE = "pause-1h"
ACTION_MUTE = "mute-until-back"
ACTION_PORTAL = "open-sign-in"
_ACTIONS = [ACTION_DETAILS, "Details", ACTION_PAUSE, "Pause 1 h"]
_SERVICE_ACTIONS = [*_ACTIONS, ACTION_MUTE, "Mute until it's back"]
# What to do comes first.
_PORTAL_ACTIONS = [ACTION_PORTAL, "Open sign-in page", ACTION_DETAILS, "Details"]


def _actions_for(note: Notification) -> list[str]:
    if note.kind is NoteKind.PORTAL:
        return _PORTAL_ACTIONS
    return _SERVICE_ACTIONS if note.services else _ACTIONS


def body_text(body: str, reads_markup: bool) -> str:
    """The body as the server will read it: escaped for one that says it reads markup (so "<b>"
    from a server stays text), and with no markup characters at all for the others."""
    return markup(body) if reads_markup else markless(body)


def hints_for(note: Notification) -> dict[str, tuple[str, object]]:
    """The Notify hints: urgency, and the desktop file, so the server can group and theme it."""
    return {
        "urgency": ("y", note.urgency.value),  # the spec says byte; servers ignore int32 here
        "desktop-entry": ("s", APP_ID),
        "category": ("s", "network"),
    }


def _is_uint32(value: object) -> bool:
    return type(value) is int and 0 < value <= 0xFFFFFFFF  # 0 means "none" to the server


class NotifierUnavailable(Exception):
    """No notification server could be used; the message says why."""


class DBusNotifier:
    """Sends notifications and reports clicked actions through ``on_action(key)``."""

    def __init__(
        self, app_name: str, icon_for: Callable[[Notification], str], on_action: Callable[[str], None]
    ) -> None:
        self.app_name = app_name
        self.icon_for = icon_for
        self.on_action = on_action
        self.server = ""
        self.capabilities: frozenset[str] = frozenset()
        self._stack = AsyncExitStack()
        self._router: Any = None
        self._ids: dict[str, int] = {}  # notification key -> id on the server, for replaces_id
        self._listener: asyncio.Task[None] | None = None
        self._server_id = ""  # the server's unique name on the bus, from its last answer

    async def connect(self) -> None:
        try:
            from jeepney import DBusAddress, MatchRule, message_bus
            from jeepney.io.asyncio import Proxy, open_dbus_router
            from jeepney.wrappers import DBusErrorResponse
        except ImportError as exc:
            raise NotifierUnavailable(f"the jeepney D-Bus library is missing ({exc})") from None
        try:
            async with asyncio.timeout(_CALL_TIMEOUT):
                self._router = await self._stack.enter_async_context(open_dbus_router(bus="SESSION"))
                bus = Proxy(message_bus, self._router)
                (has_owner,) = await bus.NameHasOwner(_BUS_NAME)
                if not has_owner:
                    # Ask the bus to start one (D-Bus activation), as notify-send would; a bus
                    # that knows of none answers with an error, and the reason below is the one.
                    with contextlib.suppress(DBusErrorResponse):
                        await bus.StartServiceByName(_BUS_NAME)
                    (has_owner,) = await bus.NameHasOwner(_BUS_NAME)
                if not has_owner:
                    raise NotifierUnavailable("no notification server is running on the session bus")
                self._address = DBusAddress(_PATH, bus_name=_BUS_NAME, interface=_BUS_NAME)
                (caps,) = await self._call("GetCapabilities", "", ())
                self.capabilities = frozenset(caps)
                name, vendor, version, _spec = await self._call("GetServerInformation", "", ())
                self.server = plain(f"{name} {version} ({vendor})", SERVER_NAME_LIMIT)  # shown in the menu
                # The bus sends only the server's own signals (sender: whoever owns the name);
                # those it arrived with are matched here, where the sender is a unique name.
                await bus.AddMatch(MatchRule(type="signal", sender=_BUS_NAME, interface=_BUS_NAME, path=_PATH))
                rule = MatchRule(type="signal", interface=_BUS_NAME, path=_PATH)
                queue = self._stack.enter_context(self._router.filter(rule, bufsize=64))
        except (NotifierUnavailable, asyncio.CancelledError):
            await self.close()
            raise
        except Exception as exc:  # whatever the bus or jeepney raised: the reason is what matters
            await self.close()
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from None  # shutting down: not a missing server
            raise NotifierUnavailable(f"the session D-Bus cannot be used ({type(exc).__name__}: {exc})") from None
        self._listener = asyncio.ensure_future(self._listen(queue))
        log.info("notifications go to %s, capabilities: %s", self.server, ", ".join(sorted(self.capabilities)))

    async def _call(self, method: str, signature: str, body: tuple[Any, ...]) -> tuple[Any, ...]:
        from jeepney import HeaderFields, new_method_call
        from jeepney.wrappers import unwrap_msg

        message = new_method_call(self._address, method, signature, body)
        async with asyncio.timeout(_CALL_TIMEOUT):
            reply = await self._router.send_and_get_reply(message)
        result: tuple[Any, ...] = unwrap_msg(reply)
        # The connection that answered is the server, as the bus says (a sender cannot be forged):
        # its signals are the only ones listened to. A restarted server answers from a new name.
        self._server_id = reply.header.fields.get(HeaderFields.sender, self._server_id)
        return result

    async def _listen(self, queue: asyncio.Queue[Any]) -> None:
        from jeepney import HeaderFields

        while True:
            message = await queue.get()
            fields = message.header.fields
            if fields.get(HeaderFields.sender) != self._server_id:
                continue  # another program on the bus, to everyone or to us: not the server
            member, signature = fields.get(HeaderFields.member), fields.get(HeaderFields.signature)
            if member == "ActionInvoked" and signature == "us":
                notification_id, action = message.body
                if notification_id in self._ids.values():
                    log.info("notification action %r", action)
                    try:
                        self.on_action(action)
                    except Exception:
                        log.exception("handling the notification action %r failed", action)
            elif member == "NotificationClosed" and signature == "uu":
                notification_id = message.body[0]
                self._ids = {k: v for k, v in self._ids.items() if v != notification_id}

    async def send(self, note: Notification) -> None:
        """Show ``note``, replacing the last one with the same key. Never raises."""
        try:
            actions = _actions_for(note) if "actions" in self.capabilities else []
            hints = hints_for(note)
            icon = self.icon_for(note)
            (notification_id,) = await self._call(
                "Notify",
                "susssasa{sv}i",
                (
                    self.app_name,
                    self._ids.get(note.key, 0),
                    icon,
                    note.title,
                    body_text(note.body, "body-markup" in self.capabilities),
                    actions,
                    hints,
                    -1,
                ),
            )
            if _is_uint32(notification_id):
                self._ids[note.key] = notification_id
            else:  # offered back as replaces_id, it would fail every later notice of this kind
                self._ids.pop(note.key, None)
                log.warning("the notification server answered with an id out of the specification")
            log.info("notified (id %s): %s — %s", plain(notification_id, 20), note.title, note.body)
        except Exception as exc:  # a failed notification must never break the monitor
            log.warning("could not send the notification %r: %s: %s", note.title, type(exc).__name__, exc)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        with contextlib.suppress(Exception):
            await self._stack.aclose()
