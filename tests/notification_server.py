"""A small notification server (``org.freedesktop.Notifications``) on a real session bus, for
what dunst cannot be made to do: a server without actions or markup, one that never answers,
one started by D-Bus activation. It records every ``Notify`` call and can send the spec's
signals.

    python tests/notification_server.py RECORD_FILE [--caps a,b]

In a test, ``NotificationServer`` runs on a thread; as a script it is what a D-Bus service file
starts, on the bus named by ``DBUS_STARTER_ADDRESS``, recording its calls as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"

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


class NotificationServer:
    def __init__(self, address: str, caps: tuple[str, ...] = ("actions", "body"), silent: bool = False) -> None:
        self.caps = caps
        self.silent = silent  # owns the name but answers no call, like a hung server
        self.notified: list[dict[str, Any]] = []  # each Notify call's arguments, in order
        self.record: Path | None = None
        self.info = ("recorder", "tests", "1.0", "1.2")  # GetServerInformation's name, vendor, version, spec
        self.id_reply: tuple[str, tuple[Any, ...]] | None = None  # Notify's answer, if not the spec's
        self._connection: DBusConnection = open_dbus_connection(address)
        self._connection.send_and_get_reply(message_bus.RequestName(NAME))
        self._next_id = 1
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> NotificationServer:
        self._thread = threading.Thread(target=self.serve, daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        while not self._stopped.is_set():
            try:
                message = self._connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            if message.header.message_type is MessageType.method_call and not self.silent:
                self._answer(message)

    def _answer(self, message: Any) -> None:
        member = message.header.fields.get(HeaderFields.member)
        if member == "GetCapabilities":
            reply = new_method_return(message, "as", (list(self.caps),))
        elif member == "GetServerInformation":
            reply = new_method_return(message, "ssss", self.info)
        elif member == "Notify":
            app, replaces, _icon, summary, body, actions, hints, timeout = message.body
            notification_id = replaces or self._next_id
            self._next_id += 0 if replaces else 1
            self.notified.append(
                {
                    "app": app,
                    "replaces_id": replaces,
                    "summary": summary,
                    "body": body,
                    "actions": list(actions),
                    "urgency": list(hints.get("urgency", ("", None))),
                    "expire_timeout": timeout,
                    "id": notification_id,
                }
            )
            if self.record is not None:
                self.record.write_text(json.dumps(self.notified))
            signature, body = self.id_reply or ("u", (notification_id,))
            reply = new_method_return(message, signature, body)
        elif member == "CloseNotification":
            reply = new_method_return(message)
        else:
            reply = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(member),))
        self._connection.send(reply)

    @classmethod
    def bystander(cls, address: str) -> NotificationServer:
        """Another program on the bus, which does not own the name but can send signals."""
        server = cls.__new__(cls)
        server._connection = open_dbus_connection(address)
        server._thread = None
        server._stopped = threading.Event()
        return server

    def emit(self, signal: str, signature: str, body: tuple[Any, ...], to: str | None = None) -> None:
        """Send one of the spec's signals, as a server does when a notice is clicked or closed:
        to everyone listening, or ``to`` one connection."""
        message = new_signal(DBusAddress(PATH, interface=NAME), signal, signature, body)
        if to is not None:
            message.header.fields[HeaderFields.destination] = to
        self._connection.send(message)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5)
        self._connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("record", type=Path)
    parser.add_argument("--caps", default="actions,body")
    args = parser.parse_args()
    server = NotificationServer(os.environ["DBUS_STARTER_ADDRESS"], tuple(args.caps.split(",")))
    server.record = args.record
    server.serve()


if __name__ == "__main__":
    main()
