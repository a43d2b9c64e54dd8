"""A NetworkManager-shaped service on a private bus, with jeepney: only what traywatch asks it,
its ``Metered`` property."""

from __future__ import annotations

import threading

from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

NAME = "org.freedesktop.NetworkManager"


class FakeNetworkManager:
    def __init__(self, address: str, metered: int) -> None:
        self.metered = metered  # NM's NMMetered: 0 unknown, 1 yes, 2 no, 3 guess yes, 4 guess no
        self.conn: DBusConnection = open_dbus_connection(address)
        reply = self.conn.send_and_get_reply(message_bus.RequestName(NAME, 4), timeout=5)
        assert reply.body[0] == 1
        self.asked = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except (OSError, ValueError):
                return
            if message.header.message_type is not MessageType.method_call:
                continue
            member = message.header.fields.get(HeaderFields.member)
            if member == "Get" and message.body == (NAME, "Metered"):
                self.asked += 1
                self.conn.send(new_method_return(message, "v", (("u", self.metered),)))
            else:
                self.conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.conn.close()
