"""A service of our own on a private session bus, with jeepney: it owns a name and answers method
calls from a thread. The watcher (tests/sni.py) and NetworkManager (tests/nm.py) are two."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from jeepney import HeaderFields, Message, MessageType, new_error
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  {services}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@contextlib.contextmanager
def private_bus(folder: Path, services: Path | None = None) -> Iterator[str]:
    """A session bus of its own, with nothing on it; ``services`` is a folder of D-Bus service
    files it may start on request. Yields its address."""
    config = folder / "bus.conf"
    config.write_text(_BUS_CONFIG.format(services=f"<servicedir>{services}</servicedir>" if services else ""))
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert bus.stdout is not None
        yield bus.stdout.readline().strip()
    finally:
        bus.terminate()
        bus.communicate(timeout=5)


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

    def wait(self) -> None:
        """Serve until the bus goes away (for a service the bus started)."""
        self._thread.join()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.conn.close()
