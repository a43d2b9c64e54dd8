"""Whether the connection is metered (a phone hotspot, a capped plan), as NetworkManager says.

Its ``Metered`` property on the system's D-Bus: 1 yes, 3 "guess yes" (a phone's hotspot, say);
2 no, 4 "guess no"; 0 unknown. Read with jeepney, off the GUI thread, bounded in time; no answer
means "not known", which the app treats as not metered."""

from __future__ import annotations

from typing import Any

_NM = "org.freedesktop.NetworkManager"
_PATH = "/org/freedesktop/NetworkManager"
_YES = {1, 3}
_NO = {2, 4}


def nm_metered(address: str = "SYSTEM", timeout: float = 2.0) -> bool | None:
    """True or False when NetworkManager says; None when it cannot be asked or does not know.
    ``address`` is a bus address, or "SYSTEM" for the system bus."""
    try:
        from jeepney import DBusAddress, MessageType, Properties
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        return None
    try:
        with open_dbus_connection(address) as conn:
            message = Properties(DBusAddress(_PATH, bus_name=_NM, interface=_NM)).get("Metered")
            reply: Any = conn.send_and_get_reply(message, timeout=timeout)
    except Exception:  # no bus, no NetworkManager, no answer in time: not known
        return None
    if reply.header.message_type is MessageType.error:
        return None
    signature, value = reply.body[0]
    if signature != "u" or not isinstance(value, int):
        return None
    return True if value in _YES else False if value in _NO else None
