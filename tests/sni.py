"""A small StatusNotifierWatcher (the freedesktop/KDE tray protocol) on a private session bus,
with jeepney: what GNOME's AppIndicator extension, KDE and most Wayland panels run. Qt registers
its tray icon with it as a StatusNotifierItem, which the test then reads back over D-Bus."""

from __future__ import annotations

from typing import Any

from jeepney import DBusAddress, HeaderFields, Message, MessageType, new_method_call, new_method_return, new_signal
from jeepney.io.blocking import open_dbus_connection

from tests.dbus_service import DBusService

WATCHER = "org.kde.StatusNotifierWatcher"
PATH = "/StatusNotifierWatcher"
_INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/>
    </method>
    <method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/></method>
  </interface>
</node>"""


class Watcher(DBusService):
    """Owns org.kde.StatusNotifierWatcher on ``address`` and answers it from a thread."""

    def __init__(self, address: str) -> None:
        self.items: list[tuple[str, str]] = []  # (bus name, object path) of each registered item
        super().__init__(address, WATCHER)

    def _properties(self) -> dict[str, tuple[str, Any]]:
        return {
            "RegisteredStatusNotifierItems": ("as", [f"{n}{p}" for n, p in self.items]),
            "IsStatusNotifierHostRegistered": ("b", True),
            "ProtocolVersion": ("i", 0),
        }

    def answer(self, message: Message, member: str) -> bool:
        sender = message.header.fields.get(HeaderFields.sender, "")
        if member == "RegisterStatusNotifierItem":
            (service,) = message.body
            name, path = (service, "/StatusNotifierItem") if not service.startswith("/") else (sender, service)
            self.items.append((name, path))
            self.conn.send(new_method_return(message))
            signal = new_signal(DBusAddress(PATH, interface=WATCHER), "StatusNotifierItemRegistered", "s", (service,))
            self.conn.send(signal)
        elif member == "RegisterStatusNotifierHost":
            self.conn.send(new_method_return(message))
        elif member == "Get":
            _, prop = message.body
            self.conn.send(new_method_return(message, "v", (self._properties()[prop],)))
        elif member == "GetAll":
            self.conn.send(new_method_return(message, "a{sv}", (self._properties(),)))
        elif member == "Introspect":
            self.conn.send(new_method_return(message, "s", (_INTROSPECTION,)))
        else:
            return False
        return True

    def call(
        self, name: str, path: str, interface: str, member: str, *, signature: str = "", body: tuple[Any, ...] = ()
    ) -> Any:
        """A method call to the item (from a second connection: this one is busy serving)."""
        with open_dbus_connection(self.address) as conn:
            message = new_method_call(DBusAddress(path, bus_name=name, interface=interface), member, signature, body)
            reply = conn.send_and_get_reply(message, timeout=5)
            if reply.header.message_type is MessageType.error:
                raise RuntimeError(f"{member}: {reply.body}")
            return reply.body

    def item_properties(self) -> dict[str, Any]:
        name, path = self.items[-1]
        (props,) = self.call(
            name,
            path,
            "org.freedesktop.DBus.Properties",
            "GetAll",
            signature="s",
            body=("org.kde.StatusNotifierItem",),
        )
        return {key: value[1] for key, value in props.items()}
