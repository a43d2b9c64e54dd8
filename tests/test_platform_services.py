"""Keyring, autostart and forwarding, against real parts: gnome-keyring on a private D-Bus
session, desktop-file-validate, and a local HTTP server."""

from __future__ import annotations

import asyncio
import json
import logging
import plistlib
import shutil
import subprocess
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, cast

import pytest

from tests import servers
from tests.desktop import Desktop
from tests.servers import LocalServer
from traywatch.autostart import MARKER, LaunchAgent, XdgAutostart, desktop_exec, windows_command_line
from traywatch.errors import TraywatchError
from traywatch.forwarding import Credentials, Target, WebhookSink, forward, request_for
from traywatch.forwarding import Outcome as Delivery
from traywatch.notices import Notification, Urgency
from traywatch.secretstore import SERVICE, NullStore, open_secret_store

NOTE = Notification("It's not your wifi — Messenger is down", "www.messenger.com answers HTTP 503", Urgency.CRITICAL)


# Keyring


@pytest.fixture
def session_bus(desktop: Desktop, monkeypatch: pytest.MonkeyPatch) -> Desktop:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    return desktop


def test_secret_round_trips_through_the_real_keyring(session_bus: Desktop) -> None:
    store = open_secret_store()
    assert store.available, store.description
    assert "Secret Service" in store.description
    store.set("forwarding.token", "tok-123")
    assert store.get("forwarding.token") == "tok-123"
    lookup = subprocess.run(
        ["secret-tool", "lookup", "service", SERVICE, "username", "forwarding.token"],
        env=session_bus.env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert lookup.stdout == "tok-123"
    store.set("forwarding.token", "")  # clearing the field deletes the secret
    assert store.get("forwarding.token") is None


def test_no_keyring_means_no_store_and_no_plaintext(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    store = open_secret_store()
    assert not store.available
    assert isinstance(store, NullStore)
    assert "no plaintext fallback" in store.description
    with pytest.raises(TraywatchError):
        store.set("forwarding.token", "tok")


# Autostart


def test_xdg_autostart_entry_is_valid_and_removed_exactly(tmp_path: Path) -> None:
    autostart = XdgAutostart(tmp_path, ["/opt/trav watch/bin/python", "-m", "traywatch"])
    other = tmp_path / "autostart" / "someone-else.desktop"
    other.parent.mkdir(parents=True)
    other.write_text("[Desktop Entry]\nType=Application\nName=x\nExec=x\n")
    assert not autostart.is_enabled()
    autostart.enable()
    assert autostart.is_enabled()
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(autostart.path)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    assert 'Exec="/opt/trav watch/bin/python" -m traywatch' in autostart.path.read_text()
    autostart.disable()
    assert not autostart.path.exists()
    assert sorted(p.name for p in other.parent.iterdir()) == ["someone-else.desktop"]


def test_xdg_autostart_leaves_a_hand_made_entry_alone(tmp_path: Path) -> None:
    autostart = XdgAutostart(tmp_path)
    autostart.path.parent.mkdir(parents=True)
    autostart.path.write_text("[Desktop Entry]\nType=Application\nName=mine\nExec=traywatch --verbose\n")
    with pytest.raises(TraywatchError, match="someone else"):
        autostart.enable()
    autostart.disable()
    assert "--verbose" in autostart.path.read_text() and MARKER not in autostart.path.read_text()


def test_desktop_exec_quoting() -> None:
    assert desktop_exec(["/usr/bin/python3", "-m", "traywatch"]) == "/usr/bin/python3 -m traywatch"
    assert desktop_exec(['/a "b"/py']) == '"/a \\"b\\"/py"'
    assert desktop_exec(["100%"]) == "100%%"


def test_launch_agent_plist(tmp_path: Path) -> None:
    agent = LaunchAgent(tmp_path, ["/usr/bin/python3", "-m", "traywatch"])
    agent.enable()
    data = plistlib.loads(agent.path.read_bytes())
    assert data["ProgramArguments"] == ["/usr/bin/python3", "-m", "traywatch"]
    assert data["RunAtLoad"] is True
    assert agent.is_enabled()
    agent.disable()
    assert not agent.path.exists()


def test_windows_run_value_quotes_paths() -> None:
    assert windows_command_line([r"C:\Program Files\Python\python.exe", "-m", "traywatch"]) == (
        r'"C:\Program Files\Python\python.exe" -m traywatch'
    )


# Forwarding


def _recorder(replies: list[int]) -> tuple[servers.Route, list[dict[str, object]]]:
    seen: list[dict[str, object]] = []

    def route(h: servers.Handler) -> None:
        arrived = time.monotonic()
        length = int(h.headers.get("Content-Length", "0"))
        body = json.loads(h.rfile.read(length))
        seen.append({"body": body, "auth": h.headers.get("Authorization"), "path": h.path, "at": arrived})
        h.reply(replies.pop(0) if replies else 200, b"ok")

    return route, seen


def test_forward_posts_the_notification_text_as_json(http_server: LocalServer) -> None:
    route, seen = _recorder([])
    url = http_server.route("/hook-json", route)
    outcome = asyncio.run(forward(Target(url, "json", "tok-abc"), NOTE))
    assert outcome.ok and outcome.attempts == 1
    body = seen[0]["body"]
    assert isinstance(body, dict)
    assert body["title"] == NOTE.title and body["body"] == NOTE.body
    assert body["text"] == body["content"] == f"{NOTE.title}\n{NOTE.body}"
    assert seen[0]["auth"] == "Bearer tok-abc"


def test_forward_ntfy_names_the_topic(http_server: LocalServer) -> None:
    route, seen = _recorder([])
    http_server.route("/", route)
    outcome = asyncio.run(forward(Target(http_server.url("/my-alerts"), "ntfy"), NOTE))
    assert outcome.ok
    assert seen[-1]["body"] == {
        "topic": "my-alerts",
        "title": NOTE.title,
        "message": NOTE.body,
        "priority": 4,
        "tags": ["traywatch"],
    }


def test_forward_retries_server_errors_then_succeeds(http_server: LocalServer) -> None:
    route, seen = _recorder([503, 500])
    url = http_server.route("/hook-retry", route)
    outcome = asyncio.run(forward(Target(url), NOTE, backoff=0.01))
    assert outcome.ok and outcome.attempts == 3 and len(seen) == 3


def test_forward_does_not_retry_a_rejected_request(http_server: LocalServer) -> None:
    route, seen = _recorder([400, 400, 400])
    url = http_server.route("/hook-400", route)
    outcome = asyncio.run(forward(Target(url), NOTE, backoff=0.01))
    assert not outcome.ok and len(seen) == 1
    assert "HTTP 400" in outcome.detail


def test_forward_failure_is_bounded_and_never_leaks_the_token(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{servers.refused_port()}/secret-path-xyz"
    caplog.set_level(logging.DEBUG)
    outcome = asyncio.run(forward(Target(url, "json", "tok-secret"), NOTE, attempts=3, backoff=0.01, timeout=1))
    assert not outcome.ok and outcome.attempts == 3
    text = caplog.text + outcome.detail
    assert "tok-secret" not in text and "secret-path-xyz" not in text


def test_request_for_json_and_ntfy() -> None:
    url, body = request_for(Target("https://ntfy.example/alerts"), NOTE)
    assert url == "https://ntfy.example/alerts" and body["urgency"] == "critical"
    url, body = request_for(Target("https://ntfy.example/alerts", "ntfy"), NOTE)
    assert url == "https://ntfy.example/" and body["topic"] == "alerts"


def test_autostart_starts_the_installed_command_it_was_started_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traywatch.autostart import launch_command

    installed = tmp_path / "bin" / "traywatch"
    installed.parent.mkdir()
    installed.write_text("#!/bin/sh\n")
    installed.chmod(0o755)
    monkeypatch.setattr("sys.argv", [str(installed)])
    assert launch_command() == [str(installed)]
    installed.chmod(0o644)  # not a command
    assert launch_command()[1:] == ["-m", "traywatch"]
    monkeypatch.setattr("sys.argv", [str(tmp_path / "traywatch" / "__main__.py")])  # python -m traywatch
    assert launch_command()[1:] == ["-m", "traywatch"]


@pytest.mark.parametrize(("urgency", "priority"), [(Urgency.LOW, 2), (Urgency.NORMAL, 3), (Urgency.CRITICAL, 4)])
def test_ntfy_priorities_follow_urgency(urgency: Urgency, priority: int) -> None:
    # ntfy's scale: 1 min, 2 low, 3 default, 4 high, 5 max.
    _, body = request_for(Target("https://ntfy.example/alerts", "ntfy"), Notification("t", "b", urgency))
    assert body["priority"] == priority


def test_a_failing_webhook_is_tried_three_times_and_a_429_is_tried_again(http_server: LocalServer) -> None:
    route, seen = _recorder([503] * 5)
    url = http_server.route("/hook-down", route)
    outcome = asyncio.run(forward(Target(url), NOTE, backoff=0.01))
    assert (outcome.ok, outcome.attempts, len(seen)) == (False, 3, 3)
    route, seen = _recorder([429])
    url = http_server.route("/hook-busy", route)
    outcome = asyncio.run(forward(Target(url), NOTE, backoff=0.01))
    assert (outcome.ok, outcome.attempts, len(seen)) == (True, 2, 2)


@pytest.mark.parametrize(("status", "ok", "tries"), [(200, True, 1), (299, True, 1), (300, False, 1), (499, False, 1)])
def test_only_a_2xx_is_delivered_and_only_a_5xx_or_429_is_tried_again(
    http_server: LocalServer, status: int, ok: bool, tries: int
) -> None:
    route, seen = _recorder([status] * 3)
    url = http_server.route(f"/hook-{status}", route)
    outcome = asyncio.run(forward(Target(url), NOTE, backoff=0.01))
    assert (outcome.ok, outcome.attempts, len(seen)) == (ok, tries, tries)


def test_no_pause_follows_the_last_attempt(http_server: LocalServer) -> None:
    # A pause after the last try would only hold the sender until the deadline cut it.
    route, _ = _recorder([503])
    url = http_server.route("/hook-last", route)
    outcome = asyncio.run(forward(Target(url), NOTE, attempts=1, backoff=30.0, deadline=3.0))
    assert (outcome.ok, outcome.attempts, outcome.detail) == (False, 1, "127.0.0.1 answered HTTP 503")


def test_the_pause_between_attempts_doubles(http_server: LocalServer) -> None:
    route, seen = _recorder([503] * 3)
    url = http_server.route("/hook-pauses", route)
    outcome = asyncio.run(forward(Target(url), NOTE, attempts=3, backoff=0.5))
    assert (outcome.ok, outcome.attempts, len(seen)) == (False, 3, 3)
    arrivals = [cast(float, request["at"]) for request in seen]
    first, second = arrivals[1] - arrivals[0], arrivals[2] - arrivals[1]
    # Never shorter than the pause (a sleep does not end early); the upper bounds leave 0.4 s
    # for a loaded machine and still tell 0.5 / 1.0 from 0.5 / 0.5, 0.5 / 1.5 or 1.0 / 2.0.
    assert 0.5 <= first < 0.9 and 1.0 <= second < 1.4, (first, second)


def test_an_answer_of_exactly_the_cap_is_read_no_further(http_server: LocalServer) -> None:
    from traywatch.forwarding import ANSWER_CAP

    def route(h: servers.Handler) -> None:
        h.rfile.read(int(h.headers.get("Content-Length", "0")))
        h.send_response(200)
        h.send_header("Content-Length", str(ANSWER_CAP * 100))
        h.end_headers()
        h.wfile.write(b"x" * ANSWER_CAP)  # then nothing more: a reader that wants more waits
        servers.hold_open(h)

    url = http_server.route("/hook-cap", route)
    outcome = asyncio.run(forward(Target(url), NOTE, attempts=1, deadline=3.0))
    assert (outcome.ok, outcome.detail) == (True, "HTTP 200")


def _held_sink(url: str, outcomes: list[Delivery]) -> tuple[WebhookSink, list[Coroutine[Any, Any, None]]]:
    """A sink whose sender runs only when the test runs it: what waits is then known exactly.
    No keyring: the configured address, no token."""
    submitted: list[Coroutine[Any, Any, None]] = []
    settings = {"forwarding.url": url, "forwarding.format": "json"}
    sink = WebhookSink(submitted.append, lambda: settings, Credentials, outcomes.append)
    return sink, submitted


def test_notices_dropped_for_a_slow_webhook_are_counted_exactly_and_said_once(http_server: LocalServer) -> None:
    from traywatch.forwarding import QUEUE_LIMIT

    url = http_server.route("/hook-counted", servers.ok(b"ok"))
    outcomes: list[Delivery] = []
    sink, submitted = _held_sink(url, outcomes)
    assert sink.dropped == 0
    for i in range(QUEUE_LIMIT + 5):
        sink.deliver(Notification(f"note {i}", ""))
    assert (sink.pending(), sink.dropped, len(submitted)) == (QUEUE_LIMIT, 5, 1)
    asyncio.run(submitted.pop())
    details = [o.detail for o in outcomes]
    assert details == ["HTTP 200; 5 older notices dropped while it was slow"] + ["HTTP 200"] * (QUEUE_LIMIT - 1)
    sink.deliver(Notification("later", ""))
    asyncio.run(submitted.pop())
    assert outcomes[-1].detail == "HTTP 200" and sink.dropped == 5


def test_a_webhook_address_the_client_cannot_take_is_one_failed_attempt() -> None:
    outcomes: list[Delivery] = []
    sink, submitted = _held_sink("http://[::1", outcomes)
    sink.deliver(NOTE)
    asyncio.run(submitted.pop())
    (outcome,) = outcomes
    assert (outcome.ok, outcome.attempts) == (False, 1)
    assert outcome.detail.startswith("could not forward (")


def test_the_webhook_bounds_are_the_documented_ones() -> None:
    import inspect

    from traywatch.forwarding import DEADLINE

    documented = " ".join((Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text().split())
    defaults = {name: p.default for name, p in inspect.signature(forward).parameters.items()}
    assert defaults["deadline"] == DEADLINE
    assert (
        f"with a {defaults['timeout']:g} s timeout and up to {defaults['attempts']} attempts (server errors and 429"
        in documented
    )
    assert f"all within one {DEADLINE:g} s deadline" in documented


def test_only_the_webhooks_host_is_named() -> None:
    assert Target("https://hooks.example/services/T0/B0/secret").host == "hooks.example"
    assert Target("not a url").host == "?"


def test_without_a_keyring_the_configured_webhook_is_used_as_it_is() -> None:
    from traywatch.forwarding import Credentials, webhook_credentials

    assert webhook_credentials(None, "https://hooks.example/x") == Credentials("https://hooks.example/x")
