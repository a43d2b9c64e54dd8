"""A host with several addresses is reached as browsers reach it (Happy Eyeballs): on a network
whose IPv6 packets vanish, every probe still answers through IPv4, in a real network namespace;
on a healthy one, the second address is never asked."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.internet import VOID6, route_ipv6_into_nothing
from traywatch.probes import eyeballs
from traywatch.probes.eyeballs import first_link, interleaved

ROOT = Path(__file__).resolve().parent.parent


def test_the_families_take_turns_the_resolvers_first_choice_first() -> None:
    six = ("2a02:ffff::1", "2a02:ffff::2")
    four = ("100.64.2.1", "100.64.2.2")
    assert interleaved((*six, *four)) == (six[0], four[0], six[1], four[1])
    assert interleaved((four[0], *six, four[1])) == (four[0], six[0], four[1], six[1])
    assert interleaved(four) == four
    assert interleaved(("fe80::1%eth0", "100.64.2.1")) == ("fe80::1%eth0", "100.64.2.1")


# Inside the namespace: a service on dual.example.test, whose first address (IPv6) is routed into
# nothing and whose second (IPv4) answers, probed every way traywatch probes, with the timeout
# given; each probe's outcome and layer, then what a third-party read (the status page's way) got.
BLACKHOLED_V6 = """
import asyncio, json, os, sys, tempfile
import trustme
from tests import servers
from tests.helpers import control, cycle, service
from traywatch.probes.fetch import Fetcher
from traywatch.probes.tls import verifying_context
from traywatch.probes.transport import DirectClient
from traywatch.thirdparty import FetchError

ca = trustme.CA()
folder = tempfile.mkdtemp()
ca.cert_pem.write_to_path(f"{folder}/ca.pem")
os.environ["SSL_CERT_FILE"] = f"{folder}/ca.pem"
name = "dual.example.test"
https = servers.LocalServer(servers.server_context(ca, name), host="100.64.2.1")
http = servers.LocalServer(host="100.64.2.1")
https.route("/", servers.ok())
https.route("/ws", servers.ws_accept())
https.route("/status.json", servers.ok(b'{"up": true}', content_type="application/json"))
http.route("/check", servers.ok(b"success"))
urls = (
    f"https://{name}:{https.port}/",
    f"wss://{name}:{https.port}/ws",
    f"tls://{name}:{https.port}",
    f"tcp://{name}:{http.port}",
)
timeout = float(sys.argv[1])
seen = cycle([service("s", *urls)], [control("c", f"http://{name}:{http.port}/check")], timeout=timeout)
probes = [[p.outcome.value, p.layer.value] for p in (*seen.services, *seen.controls)]

async def read() -> str:
    async with DirectClient(verifying_context(), timeout, {}) as client:
        try:
            answer = await Fetcher(client, {})("GET", f"https://{name}:{https.port}/status.json", cap=4096)
        except FetchError as failed:
            return str(failed)
    return f"{answer.status} {answer.body.decode()}"

print(json.dumps({"probes": probes, "fetched": asyncio.run(read())}))
"""


GETADDRINFO = """
import socket
infos = socket.getaddrinfo("dual.example.test", 443, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)
print(*dict.fromkeys(info[4][0] for info in infos))
"""


@pytest.fixture
def ipv6_blackholed(netns: str) -> Iterator[str]:
    """A namespace with working IPv4 on its loopback and an IPv6 default route into nothing,
    where dual.example.test has an address of each family, the IPv6 one first."""
    subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "-n", netns, "addr", "add", "100.64.2.1/32", "dev", "lo"], check=True)
    route_ipv6_into_nothing(netns)
    etc = Path("/etc/netns") / netns
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "hosts").write_text(f"127.0.0.1 localhost\n{VOID6} dual.example.test\n100.64.2.1 dual.example.test\n")
    yield netns


@pytest.mark.netns
def test_probes_answer_through_ipv4_when_ipv6_packets_vanish(ipv6_blackholed: str) -> None:
    order = subprocess.run(
        ["ip", "netns", "exec", ipv6_blackholed, sys.executable, "-c", GETADDRINFO],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert order == [VOID6, "100.64.2.1"]  # the resolver offers the dead family first
    # A one-second deadline: each probe has time for one address that never answers and the next.
    run = subprocess.run(
        ["ip", "netns", "exec", ipv6_blackholed, sys.executable, "-c", BLACKHOLED_V6, "1"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    seen = json.loads(run.stdout)
    assert seen["probes"] == [["ok", "http"], ["ok", "chat"], ["ok", "tls"], ["ok", "tcp"], ["ok", "http"]]
    assert seen["fetched"] == '200 {"up": true}'


@pytest.fixture
def listeners() -> Iterator[tuple[int, list[socket.socket]]]:
    """Two loopback addresses listening on one port (nothing listens on .3 and .4)."""
    first = socket.create_server(("127.0.0.1", 0))
    port = first.getsockname()[1]
    second = socket.create_server(("127.0.0.2", port))
    for sock in (first, second):
        sock.settimeout(0.5)
    yield port, [first, second]
    for sock in (first, second):
        sock.close()


def _connections(servers: list[socket.socket]) -> list[str]:
    """For each server, the connection it received: "open", "closed" (it reads as ended at
    once), or "none"."""
    found = []
    for server in servers:
        try:
            accepted, _ = server.accept()
        except TimeoutError:
            found.append("none")
            continue
        with accepted:
            accepted.settimeout(0.5)
            try:
                found.append("open" if accepted.recv(1) else "closed")
            except ConnectionResetError:
                found.append("closed")
            except TimeoutError:
                found.append("open")
    return found


def _connect_and_look(addresses: tuple[str, ...], port: int, servers: list[socket.socket]) -> list[str]:
    """Connect as the probes do, then, the link still open, see what each server received."""

    async def run() -> list[str]:
        async with asyncio.timeout(5.0):
            link = await first_link(addresses, port, tls=False)
        try:
            await asyncio.sleep(0.4)  # an attempt still under way would have connected by now
            return _connections(servers)
        finally:
            link.abort()

    return asyncio.run(run())


def test_on_a_healthy_network_only_the_first_address_is_asked(listeners: tuple[int, list[socket.socket]]) -> None:
    port, servers = listeners
    assert _connect_and_look(("127.0.0.1", "127.0.0.2"), port, servers) == ["open", "none"]


def test_an_address_that_fails_hands_over_at_once(
    listeners: tuple[int, list[socket.socket]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, servers = listeners
    monkeypatch.setattr(eyeballs, "ATTEMPT_DELAY", 60.0)  # only a failure can start the next one in time
    # Nothing listens on .3: refused at once, and .2 is asked well within the 5 s allowed.
    assert _connect_and_look(("127.0.0.3", "127.0.0.2"), port, servers) == ["none", "open"]


def test_connections_that_lose_the_race_are_closed(
    listeners: tuple[int, list[socket.socket]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, servers = listeners
    monkeypatch.setattr(eyeballs, "ATTEMPT_DELAY", 0.0)  # both asked at once: both connect
    assert sorted(_connect_and_look(("127.0.0.1", "127.0.0.2"), port, servers)) in (
        ["closed", "open"],
        ["none", "open"],
    )


@pytest.mark.parametrize(
    ("addresses", "refused"),
    [(("255.255.255.255", "127.0.0.3"), True), (("127.0.0.3", "255.255.255.255"), False)],
)
def test_when_every_address_fails_the_last_ones_error_is_raised(addresses: tuple[str, str], refused: bool) -> None:
    async def connect() -> None:
        await first_link(addresses, 9, tls=False)  # nothing listens on .3; the broadcast address is no peer

    with pytest.raises(OSError) as raised:
        asyncio.run(connect())
    assert isinstance(raised.value, ConnectionRefusedError) is refused
