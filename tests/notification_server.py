"""A small notification server (``org.freedesktop.Notifications``) on a real session bus, for
what dunst cannot be made to do: a server without actions or markup, one that never answers,
one that answers out of the specification, one started by D-Bus activation. It records every
``Notify`` call and can send the specification's signals.

    python tests/notification_server.py RECORD_FILE [--caps a,b]

In a test, ``NotificationServer`` runs on a thread; as a script it is what a D-Bus service file
starts, on the bus named by ``DBUS_STARTER_ADDRESS``, recording its calls as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, Message, new_method_return, new_signal
from jeepney.io.blocking import DBusConnection

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.dbus_service import DBusService

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def emit(connection: DBusConnection, signal: str, signature: str, body: tuple[Any, ...], to: str | None = None) -> None:
    """Send one of the specification's signals, as a server does when a notice is clicked or
    closed: to everyone listening, or ``to`` one connection. Any program on the bus can."""
    message = new_signal(DBusAddress(PATH, interface=NAME), signal, signature, body)
    if to is not None:
        message.header.fields[HeaderFields.destination] = to
    connection.send(message)


class NotificationServer(DBusService):
    def __init__(self, address: str, caps: tuple[str, ...] = ("actions", "body"), silent: bool = False) -> None:
        self.caps = caps
        self.silent = silent  # owns the name but answers no call, like a hung server
        self.notified: list[dict[str, Any]] = []  # each Notify call's arguments, in order
        self.record: Path | None = None
        self.info = ("recorder", "tests", "1.0", "1.2")  # GetServerInformation's name, vendor, version, spec
        self.id_reply: tuple[str, tuple[Any, ...]] | None = None  # Notify's answer, if not the spec's
        self._next_id = 1
        super().__init__(address, NAME)

    def answer(self, message: Message, member: str) -> bool:
        if self.silent:
            return True
        if member == "GetCapabilities":
            reply = new_method_return(message, "as", (list(self.caps),))
        elif member == "GetServerInformation":
            reply = new_method_return(message, "ssss", self.info)
        elif member == "Notify":
            reply = self._notify(message)
        elif member == "CloseNotification":
            reply = new_method_return(message)
        else:
            return False
        self.conn.send(reply)
        return True

    def _notify(self, message: Message) -> Message:
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
        signature, answer = self.id_reply or ("u", (notification_id,))
        return new_method_return(message, signature, answer)

    def emit(self, signal: str, signature: str, body: tuple[Any, ...]) -> None:
        emit(self.conn, signal, signature, body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("record", type=Path)
    parser.add_argument("--caps", default="actions,body")
    args = parser.parse_args()
    server = NotificationServer(os.environ["DBUS_STARTER_ADDRESS"], tuple(args.caps.split(",")))
    server.record = args.record
    server.wait()


if __name__ == "__main__":
    main()
