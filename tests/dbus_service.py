"""A service of our own on a private session bus, with jeepney: it owns a name and answers method
calls from a thread. The watcher (tests/sni.py) and NetworkManager (tests/nm.py) are two."""

from __future__ import annotations

import subprocess
import threading

from jeepney import HeaderFields, Message, MessageType, new_error
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection


def private_bus() -> tuple[subprocess.Popen[str], str]:
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
    )
    assert bus.stdout is not None
    return bus, bus.stdout.readline().strip()


class DBusService:
    """Owns ``name`` on the bus at ``address``; ``answer`` handles each method call (returning
    False for "no such method")."""

    def __init__(self, address: str, name: str) -> None:
        self.address = address
        self.conn: DBusConnection = open_dbus_connection(address)
        reply = self.conn.send_and_get_reply(message_bus.RequestName(name, 4), timeout=5)
        assert reply.body[0] == 1, f"could not own {name}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def answer(self, message: Message, member: str) -> bool:
        raise NotImplementedError

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
            try:
                if not self.answer(message, str(message.header.fields.get(HeaderFields.member, ""))):
                    self.conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))
            except (OSError, KeyError, ValueError):
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.conn.close()
