"""The D-Bus notifier against notification servers on a real, private session bus: what it
sends for each server's capabilities, what it does with the servers' signals, and how long it
waits for a server that does not answer."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dbus_service import private_bus
from tests.notification_server import NAME, NotificationServer, emit
from tests.servers import wait_until
from traywatch.notices import NoteKind, Notification, Urgency
from traywatch.notify import ACTION_DETAILS, ACTION_MUTE, DBusNotifier, NotifierUnavailable

ROOT = Path(__file__).resolve().parent.parent
MARKED = "Meta says: <b>Messenger</b> & more"
OUTAGE = Notification("It's not your wifi — Messenger is down", MARKED, Urgency.CRITICAL, services=("messenger",))


@pytest.fixture
def server_on(empty_session_bus: str) -> Iterator[Callable[..., NotificationServer]]:
    started: list[NotificationServer] = []

    def start(caps: tuple[str, ...] = ("actions", "body"), silent: bool = False) -> NotificationServer:
        started.append(NotificationServer(empty_session_bus, caps, silent))
        return started[-1]

    yield start
    for server in started:
        server.close()


def run(
    scenario: Callable[[DBusNotifier], Coroutine[Any, Any, None]],
    on_action: Callable[[str], None] = lambda action: None,
) -> None:
    async def go() -> None:
        notifier = DBusNotifier("traywatch", lambda note: "", on_action)
        await notifier.connect()
        try:
            await scenario(notifier)
        finally:
            await notifier.close()

    asyncio.run(go())


@pytest.mark.parametrize(
    ("caps", "actions", "body"),
    [
        (("actions", "body", "body-markup"), True, "Meta says: &lt;b&gt;Messenger&lt;/b&gt; &amp; more"),
        (("body",), False, "Meta says: \u2039b\u203aMessenger\u2039/b\u203a \uff06 more"),
    ],
)
def test_what_is_sent_follows_the_servers_capabilities(
    server_on: Callable[..., NotificationServer], caps: tuple[str, ...], actions: bool, body: str
) -> None:
    server = server_on(caps)

    async def scenario(notifier: DBusNotifier) -> None:
        await notifier.send(OUTAGE)

    run(scenario)
    (sent,) = server.notified
    # Buttons only where the server shows them; markup escaped where it reads markup, and no
    # markup characters at all where it may parse them without saying so.
    assert sent["actions"] == (
        [ACTION_DETAILS, "Details", "pause-1h", "Pause 1 h", ACTION_MUTE, "Mute until it's back"] if actions else []
    )
    assert sent["body"] == body
    assert sent["urgency"] == ["y", 2]
    assert sent["expire_timeout"] == -1  # the server's own default
    assert (sent["app"], sent["summary"], sent["replaces_id"]) == ("traywatch", OUTAGE.title, 0)


def test_a_notice_the_user_closed_is_not_replaced_but_sent_afresh(server_on: Callable[..., NotificationServer]) -> None:
    server = server_on()
    back = Notification("Messenger is back (down 2 min)", "", Urgency.LOW, NoteKind.RECOVERY, ("messenger",))

    async def scenario(notifier: DBusNotifier) -> None:
        await notifier.send(OUTAGE)
        await notifier.send(back)  # same key: replaces the outage notice
        first = server.notified[-1]["id"]
        server.emit("NotificationClosed", "uu", (first, 2))  # 2: dismissed by the user
        for _ in range(250):  # until the notifier has heard it (its own record of what is shown)
            if first not in notifier._ids.values():
                break
            await asyncio.sleep(0.02)
        await notifier.send(OUTAGE)

    run(scenario)
    assert [n["replaces_id"] for n in server.notified] == [0, server.notified[0]["id"], 0]


def test_only_actions_on_its_own_notices_are_forwarded_and_a_failing_handler_stops_nothing(
    server_on: Callable[..., NotificationServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = server_on()
    got: list[str] = []

    def on_action(action: str) -> None:
        got.append(action)
        if action == "boom":
            raise RuntimeError("handler failed")

    async def scenario(notifier: DBusNotifier) -> None:
        await notifier.send(OUTAGE)
        ours = server.notified[-1]["id"]
        server.emit("ActionInvoked", "us", (ours + 100, ACTION_MUTE))  # another app's notice
        server.emit("ActionInvoked", "us", (ours, "boom"))
        server.emit("ActionInvoked", "us", (ours, ACTION_DETAILS))
        for _ in range(100):
            if len(got) == 2:
                break
            await asyncio.sleep(0.02)

    with caplog.at_level(logging.ERROR, logger="traywatch.notify"):
        run(scenario, on_action)
    assert got == ["boom", ACTION_DETAILS]
    assert "handling the notification action 'boom' failed" in caplog.text


def test_signals_from_anyone_but_the_server_or_not_as_the_spec_says_are_ignored(
    server_on: Callable[..., NotificationServer], empty_session_bus: str
) -> None:
    # Any program on the session bus can send a signal that looks like the server's, to
    # everyone or to traywatch alone; and a server can send one with the wrong arguments.
    from jeepney.io.blocking import open_dbus_connection

    server = server_on()
    other = open_dbus_connection(empty_session_bus)  # another program, not owning the name
    got: list[str] = []

    async def scenario(notifier: DBusNotifier) -> None:
        await notifier.send(OUTAGE)
        ours = server.notified[-1]["id"]
        emit(other, "ActionInvoked", "us", (ours, ACTION_MUTE))  # a forgery, to everyone
        emit(other, "ActionInvoked", "us", (ours, "pause-1h"), to=notifier._router.unique_name)  # to traywatch
        server.emit("ActionInvoked", "s", ("pause-1h",))  # the server, with the wrong arguments
        server.emit("ActionInvoked", "uu", (ours, 7))
        server.emit("NotificationClosed", "s", ("x",))
        server.emit("ActionInvoked", "us", (ours, ACTION_DETAILS))  # the one real click
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # anything wrongly forwarded after it would show now

    try:
        run(scenario, got.append)
    finally:
        other.close()
    assert got == [ACTION_DETAILS]


def test_the_servers_name_is_shown_as_one_short_line(server_on: Callable[..., NotificationServer]) -> None:
    server = server_on()
    server.info = ("dunst\nFAKE: all clear\x1b[2J", "v" * 500, "1.9", "1.2")

    async def scenario(notifier: DBusNotifier) -> None:
        assert "\n" not in notifier.server and "\x1b" not in notifier.server
        assert notifier.server.startswith("dunst FAKE: all clear[2J 1.9 (vvv")
        assert len(notifier.server) == 80 and notifier.server.endswith("…")

    run(scenario)


@pytest.mark.parametrize("answer", [("s", ("7",)), ("i", (-1,)), ("as", (["1"],))])
def test_an_id_the_server_answers_out_of_spec_is_not_offered_back(
    server_on: Callable[..., NotificationServer], answer: tuple[str, tuple[Any, ...]]
) -> None:
    # Kept, it would be sent back as replaces_id, which is a uint32: every later notice of the
    # same kind would then fail to be sent.
    server = server_on()
    server.id_reply = answer

    async def scenario(notifier: DBusNotifier) -> None:
        await notifier.send(OUTAGE)
        server.id_reply = None
        await notifier.send(OUTAGE)
        await notifier.send(OUTAGE)

    run(scenario)
    assert [n["replaces_id"] for n in server.notified] == [0, 0, server.notified[1]["id"]]


def test_an_id_the_server_answers_is_logged_as_one_short_line(
    server_on: Callable[..., NotificationServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = server_on()
    server.id_reply = ("s", ("7" * 500 + "\nFAKE: notified\x1b[2J",))

    async def scenario(notifier: DBusNotifier) -> None:
        await notifier.send(OUTAGE)

    with caplog.at_level(logging.INFO, logger="traywatch.notify"):
        run(scenario)
    (logged,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("notified (id ")]
    shown = logged.removeprefix("notified (id ").partition(")")[0]
    assert shown == "7" * 19 + "…"  # 20 characters, the cut marked
    assert "\n" not in logged and "\x1b" not in logged


@pytest.mark.parametrize(
    ("value", "kept"),
    [(1, True), (0xFFFFFFFF, True), (0, False), (-1, False), (0x100000000, False), (True, False), ("7", False)],
)
def test_an_id_is_kept_only_as_the_uint32_the_specification_gives_it(value: object, kept: bool) -> None:
    from traywatch.notify import _is_uint32

    assert _is_uint32(value) is kept


def test_a_server_that_does_not_answer_is_given_up_on_after_three_seconds(
    server_on: Callable[..., NotificationServer],
) -> None:
    server_on(silent=True)
    notifier = DBusNotifier("traywatch", lambda note: "", lambda action: None)
    started = time.monotonic()
    with pytest.raises(NotifierUnavailable, match="TimeoutError"):
        asyncio.run(notifier.connect())
    waited = time.monotonic() - started
    assert 2.9 <= waited < 3.9, waited


def test_a_server_the_bus_can_start_is_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = tmp_path / "services"
    services.mkdir()
    record = tmp_path / "record.json"
    script = ROOT / "tests" / "notification_server.py"
    (services / f"{NAME}.service").write_text(
        f"[D-BUS Service]\nName={NAME}\nExec={sys.executable} {script} {record} --caps body\n"
    )
    with private_bus(tmp_path, services) as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)

        async def scenario(notifier: DBusNotifier) -> None:
            assert notifier.server == "recorder 1.0 (tests)"
            await notifier.send(OUTAGE)

        run(scenario)
        assert wait_until(record.exists, 5)
    assert [n["summary"] for n in json.loads(record.read_text())] == [OUTAGE.title]
