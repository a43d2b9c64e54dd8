"""Whether the connection is metered (a phone hotspot, a capped plan), as NetworkManager says.

Its ``Metered`` property on the system's D-Bus: 1 yes, 3 "guess yes" (a phone's hotspot, say);
2 no, 4 "guess no"; 0 unknown. Asked on the probe loop, bounded in time; no answer means "not
known", which the app treats as not metered."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

_NM = "org.freedesktop.NetworkManager"
_PATH = "/org/freedesktop/NetworkManager"
_YES = {1, 3}
_NO = {2, 4}


class NetworkManagerMetered:
    """Asks over one connection to the bus, kept open between asks: opened at the first, and
    dropped after any failure to be opened again at the next. The app asks before each healthy
    check; a new connection each time would authenticate to the bus and greet it once a minute,
    and a thread to wait on a blocking one would stay for the app's life.

    ``address`` is a bus address, or "SYSTEM" for the system bus."""

    def __init__(self, address: str = "SYSTEM", timeout: float = 2.0) -> None:
        self.address = address
        self.timeout = timeout
        self.connections = 0  # opened so far
        self._stack: contextlib.AsyncExitStack | None = None
        self._router: Any = None
        self._lock = asyncio.Lock()  # a network change and a check asking at once share one

    async def __call__(self) -> bool | None:
        """True or False when NetworkManager says; None when it cannot be asked or does not know."""
        try:
            from jeepney import DBusAddress, MessageType, Properties
        except ImportError:
            return None
        message = Properties(DBusAddress(_PATH, bus_name=_NM, interface=_NM)).get("Metered")
        async with self._lock:
            try:
                async with asyncio.timeout(self.timeout):
                    router = await self._connected()
                    reply: Any = await router.send_and_get_reply(message)
            except Exception:  # no bus, a bus gone, no answer in time: not known, and ask afresh
                await self.close()
                return None
        if reply.header.message_type is MessageType.error:  # no NetworkManager on a working bus
            return None
        signature, value = reply.body[0]
        if signature != "u" or not isinstance(value, int):
            return None
        return True if value in _YES else False if value in _NO else None

    async def _connected(self) -> Any:
        if self._router is None:
            from jeepney.io.asyncio import open_dbus_router

            stack = contextlib.AsyncExitStack()
            try:
                self._router = await stack.enter_async_context(open_dbus_router(self.address))
            except BaseException:
                await stack.aclose()
                raise
            self._stack = stack
            self.connections += 1
        return self._router

    async def close(self) -> None:
        stack, self._stack, self._router = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):  # a connection already broken: nothing to close
                await stack.aclose()
