"""A NetworkManager-shaped service on a private bus: only what traywatch asks it, its ``Metered``
property."""

from __future__ import annotations

from jeepney import HeaderFields, Message, new_method_return

from tests.dbus_service import DBusService

NAME = "org.freedesktop.NetworkManager"


class FakeNetworkManager(DBusService):
    def __init__(self, address: str, metered: int) -> None:
        self.metered: object = metered  # NM's NMMetered: 0 unknown, 1 yes, 2 no, 3 guess yes, 4 guess no
        self.signature = "u"  # the type it answers with: NM's own, unless a test says otherwise
        self.asked = 0
        self.askers: list[str] = []  # the unique bus name of the connection behind each ask
        self.silent = False  # asked, answers nothing
        super().__init__(address, NAME)

    def answer(self, message: Message, member: str) -> bool:
        if member != "Get" or message.body != (NAME, "Metered"):
            return False
        self.asked += 1
        self.askers.append(str(message.header.fields[HeaderFields.sender]))
        if self.silent:
            return True
        self.conn.send(new_method_return(message, "v", ((self.signature, self.metered),)))
        return True
