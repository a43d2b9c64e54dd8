"""A small simulated internet inside a network namespace, for alarm-quality benchmarks and tests.

Every name of the catalog resolves, through a real DNS server on 127.0.0.1:53 that the system
resolver is pointed at (``/etc/netns/NAME/resolv.conf``), to addresses on the namespace's own
loopback (100.64.1.0/24: neither private nor sinkholed, and never routed anywhere). One HTTPS
server on :443 and one HTTP server on :80 answer as Meta's fronts, the controls and the DoH
resolvers do, with certificates from a trustme CA. Faults are injected at random, per
connection or per DNS query: a reset, a hang, an unanswered or a SERVFAIL query. With
``namespace(ipv6_void=True)`` and the ``aaaa`` command, every name also has an IPv6 address
(``VOID6``), routed into nothing: IPv6 announced by the network but never carried.

Run as ``python -m tests.internet FOLDER`` inside the namespace; it writes ``ca.pem`` and reads
one JSON command a line on stdin (``{"rate": 0.1, "kinds": ["reset"], "scope": "all"}``,
``{"down": ["www.messenger.com"]}``), answering ``ok`` to each. It stops when stdin closes.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import random
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers import abort
from traywatch.catalog import Catalog, Control, Endpoint, Resolver, Service, shipped_catalog

WEB = "100.64.1.1"  # every Meta name
CONTROL_IP = "100.64.1.2"  # the IP-literal control
DOH_IPS = ("100.64.1.3", "100.64.1.4")
OTHERS = "100.64.1.5"  # every other name (the named controls)
REFUSING = "100.64.1.6"  # on the loopback, but nothing listens: connections are refused
VOID6 = "2a02:ffff::5"  # every name's IPv6 address, when announced: its packets go nowhere
ADDRESSES = (WEB, CONTROL_IP, *DOH_IPS, OTHERS, REFUSING)
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HANG_SECONDS = 30.0  # a hung connection is let go after this, so threads do not pile up


def catalog() -> Catalog:
    """The shipped catalog, with its IP literals moved onto the namespace's own addresses."""
    shipped = shipped_catalog().enabled()
    moved = {"1.1.1.1": CONTROL_IP}

    def move(url: str, to: dict[str, str]) -> str:
        for old, new in to.items():
            url = url.replace(f"//{old}/", f"//{new}/")
        return url

    controls = tuple(
        Control(c.id, c.name, c.operator, _with_url(c.endpoint, move(c.endpoint.url, moved))) for c in shipped.controls
    )
    resolvers = tuple(
        Resolver(r.id, r.name, move(r.url, {"1.1.1.1": DOH_IPS[0], "8.8.8.8": DOH_IPS[1]})) for r in shipped.resolvers
    )
    return Catalog(shipped.services, controls, resolvers)


def _with_url(endpoint: Endpoint, url: str) -> Endpoint:
    return dataclasses.replace(endpoint, url=url)


def meta_hosts(cat: Catalog) -> set[str]:
    return {e.host for s in cat.services for e in s.endpoints}


def all_names(cat: Catalog) -> set[str]:
    names = meta_hosts(cat) | {c.endpoint.host for c in cat.controls}
    return {n for n in names if not n[0].isdigit()}


@dataclass
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = ()  # reset, hang, dns_drop, dns_servfail, refusing; dns_drop_once
    scope: str = "all"  # "all", or "meta": only Meta's hosts misbehave
    down: frozenset[str] = frozenset()  # hosts answering 503 (web) or resetting (edges)
    hung: frozenset[str] = frozenset()  # hosts that take each request and never answer it
    # Hosts whose chat service fails behind a working edge: the WebSocket upgrade gets this status.
    chat_down: dict[str, int] = field(default_factory=dict)
    page_bytes: int = 0  # Meta's web fronts answer pages this big (0: a tiny page)
    aaaa: str = ""  # every known name's IPv6 address, or none (AAAA answered empty)
    meta: frozenset[str] = field(default_factory=frozenset)
    queries: dict[str, int] = field(default_factory=dict)  # DNS queries received, by name
    dropped: set[tuple[str, int]] = field(default_factory=set)  # for "dns_drop_once"
    rng: random.Random = field(default_factory=lambda: random.Random(8))

    def pick(self, meta: bool, kinds: tuple[str, ...]) -> str | None:
        """The fault for one connection or query (to one of Meta's hosts, or not), or None."""
        if self.scope == "meta" and not meta:
            return None
        usable = [k for k in self.kinds if k in kinds]
        if not usable or self.rng.random() >= self.rate:
            return None
        return self.rng.choice(usable)


# DNS: one question per query, A answered, AAAA empty (NODATA) unless an IPv6 address is set,
# anything unknown NXDOMAIN.


def _question(packet: bytes) -> tuple[str, int, int]:
    labels, offset = [], 12
    while packet[offset]:
        length = packet[offset]
        labels.append(packet[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    qtype = struct.unpack("!H", packet[offset + 1 : offset + 3])[0]
    return ".".join(labels).lower(), qtype, offset + 5


def dns_answer(
    packet: bytes,
    names: set[str],
    meta: frozenset[str],
    rcode_override: int | None = None,
    *,
    refusing: bool = False,
    aaaa: str = "",
) -> bytes:
    name, qtype, end = _question(packet)
    question = packet[12:end]
    answers = b""
    rcode = 0 if name in names else 3
    if rcode == 0 and qtype == 1:
        address = REFUSING if refusing else WEB if name in meta else OTHERS
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
    if rcode == 0 and qtype == 28 and aaaa:
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 60, 16) + socket.inet_pton(socket.AF_INET6, aaaa)
    if rcode_override is not None:
        rcode, answers = rcode_override, b""
    flags = 0x8180 | rcode
    header = struct.pack("!HHHHHH", struct.unpack("!H", packet[:2])[0], flags, 1, 1 if answers else 0, 0, 0)
    return header + question + answers


def serve_dns(faults: Faults, names: set[str], stop: threading.Event) -> threading.Thread:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    sock.settimeout(0.2)

    def run() -> None:
        while not stop.is_set():
            try:
                packet, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            try:
                name, qtype, _ = _question(packet)
            except (IndexError, struct.error):
                continue
            faults.queries[name] = faults.queries.get(name, 0) + 1
            if "dns_drop_once" in faults.kinds and (name, qtype) not in faults.dropped:
                faults.dropped.add((name, qtype))  # the first query of each name and type is lost
                continue
            # A load balancer that hands out a dead backend now and then: the lookup works, the
            # connection to what it found is refused.
            fault = faults.pick(name in faults.meta, ("dns_drop", "dns_servfail", "refusing"))
            if fault == "dns_drop":
                continue
            rcode = 2 if fault == "dns_servfail" else None
            answer = dns_answer(packet, names, faults.meta, rcode, refusing=fault == "refusing", aaaa=faults.aaaa)
            sock.sendto(answer, peer)

    thread = threading.Thread(target=run, daemon=True, name="dns")
    thread.start()
    return thread


# HTTP and HTTPS.


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    block_on_close = False

    def __init__(self, port: int, faults: Faults, cat: Catalog, tls: ssl.SSLContext | None) -> None:
        super().__init__(("0.0.0.0", port), _Handler)
        self.faults = faults
        self.answers = _answers(cat)
        self.names = all_names(cat)
        self.stopping = threading.Event()
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # broken connections are the point


def _answers(cat: Catalog) -> dict[tuple[str, str], tuple[int, bytes]]:
    answers = {}
    for control in cat.controls:
        e = control.endpoint
        status = e.expect_status[0] if e.expect_status else 200
        answers[(e.host, urlsplit(e.url).path)] = (status, (e.expect_body or "").encode())
    for service in cat.services:
        for e in service.endpoints:
            if getattr(e, "expect_json", ()):
                # An app API refusing an anonymous call in its own words: its healthy answer.
                refusal = json.dumps({**dict(e.expect_json), "message": "login_required"})
                answers[(e.host, urlsplit(e.url).path)] = (403, refusal.encode())
    return answers


def _rst(sock: socket.socket) -> None:
    abort(sock.unwrap() if isinstance(sock, ssl.SSLSocket) else sock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        # The fault is decided per connection; Meta's hosts are those on their own address.
        self.fault = self.server.faults.pick(self.request.getsockname()[0] == WEB, ("reset", "hang"))
        if self.fault == "reset" and self.server.faults.rng.random() < 0.5:
            self._reset_now()
        if self.fault == "hang" and self.server.faults.rng.random() < 0.5:
            self.server.stopping.wait(HANG_SECONDS)
            raise ConnectionAbortedError("hung up")
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def _never_answer(self) -> None:
        """Hold the request unanswered, then hang up: a lost answer, or a stalled back end."""
        self.server.stopping.wait(HANG_SECONDS)
        self.close_connection = True

    def _reset_now(self) -> None:
        abort(self.request)
        raise ConnectionResetError("reset on purpose")

    def do_GET(self) -> None:
        if self.fault == "reset":
            self.close_connection = True
            _rst(self.connection)
            return
        if self.fault == "hang":
            self._never_answer()
            return
        parts = urlsplit(self.path)
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        if host in DOH_IPS or parts.path in ("/dns-query", "/resolve"):
            self._doh(parse_qs(parts.query).get("name", [""])[0])
            return
        known = self.server.answers.get((host, parts.path))
        if host in self.server.faults.hung:
            self._never_answer()
        elif self.headers.get("Upgrade", "").lower() == "websocket":
            failing = self.server.faults.chat_down.get(host, 502 if host in self.server.faults.down else 0)
            self._upgrade(failing)
        elif host in self.server.faults.down:
            self._reply(503, b"Service Unavailable")
        elif known is not None:
            self._reply(*known)
        elif self.server.faults.page_bytes and host in self.server.faults.meta:
            # A real home page: hundreds of KB, as fast as the connection takes it.
            self._reply(200, b"<html>" + b"x" * self.server.faults.page_bytes + b"</html>")
        else:
            self._reply(200, b"<html>ok</html>")

    def _upgrade(self, failing: int) -> None:
        """A chat connection: accepted at the door (101), or the service behind it failing."""
        if failing:
            self._reply(failing, b"<html><body>Service Unavailable</body></html>")
            return
        key = self.headers.get("Sec-WebSocket-Key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID, usedforsecurity=False).digest()).decode()
        self.wfile.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
        )
        self.close_connection = True

    def _doh(self, name: str) -> None:
        if name not in self.server.names:
            document: dict[str, Any] = {"Status": 3}
        else:
            address = WEB if name in self.server.faults.meta else OTHERS
            document = {"Status": 0, "Answer": [{"name": name, "type": 1, "TTL": 60, "data": address}]}
        self._reply(200, json.dumps(document).encode(), "application/dns-json")

    do_HEAD = do_GET  # the same answer, without its body

    def _reply(self, status: int, body: bytes, content_type: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def serve(folder: Path) -> None:
    import trustme

    cat = catalog()
    names = all_names(cat)
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert = ca.issue_cert(*sorted(names), *ADDRESSES)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(tls)
    faults = Faults(meta=frozenset(meta_hosts(cat)))
    stop = threading.Event()
    serve_dns(faults, names, stop)
    servers = [_Server(443, faults, cat, tls), _Server(80, faults, cat, None)]
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    print("ok", flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if "queries" in command:
            print(json.dumps(faults.queries), flush=True)
            faults.queries = {}
            continue
        if "down" in command:
            faults.down = frozenset(command["down"])
        elif "hung" in command:
            faults.hung = frozenset(command["hung"])
        elif "chat_down" in command:
            faults.chat_down = dict(command["chat_down"])
        elif "page_bytes" in command:
            faults.page_bytes = int(command["page_bytes"])
        elif "aaaa" in command:
            faults.aaaa = str(command["aaaa"])
        else:
            faults.rate = float(command["rate"])
            faults.kinds = tuple(command["kinds"])
            faults.scope = command.get("scope", "all")
            faults.dropped = set()
        print("ok", flush=True)
    stop.set()
    for server in servers:
        server.stopping.set()
        server.shutdown()


# The namespace, from outside.


@contextmanager
def namespace(dns_timeout: int = 1, *, ipv6_void: bool = False) -> Iterator[str]:
    """A network namespace whose loopback carries the simulated internet's addresses and whose
    resolver is the simulated DNS server; with ``ipv6_void``, also an IPv6 address and a default
    route whose gateway takes every packet and answers none. Needs root."""
    name = f"twnet-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    etc = Path("/etc/netns") / name
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        for address in ADDRESSES:
            subprocess.run(["ip", "-n", name, "addr", "add", f"{address}/32", "dev", "lo"], check=True)
        if ipv6_void:
            route_ipv6_into_nothing(name)
        etc.mkdir(parents=True, exist_ok=True)
        # glibc's default is 5 s a try; the benchmarks scale it with the probe timeout.
        (etc / "resolv.conf").write_text(f"nameserver 127.0.0.1\noptions timeout:{dns_timeout} attempts:2\n")
        (etc / "hosts").write_text("127.0.0.1 localhost\n")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(etc, ignore_errors=True)


def route_ipv6_into_nothing(name: str) -> None:
    """An IPv6 address and default route into a veth pair whose gateway is a static neighbour
    that no interface owns: packets leave, and nothing ever comes back."""
    for args in (
        ["link", "add", "v6out", "type", "veth", "peer", "name", "v6void"],
        ["addr", "add", "2a02:ffff:1::2/64", "dev", "v6out", "nodad"],
        ["link", "set", "v6out", "up"],
        ["link", "set", "v6void", "up"],
        ["-6", "route", "add", "default", "via", "2a02:ffff:1::1", "dev", "v6out"],
        ["-6", "neigh", "add", "2a02:ffff:1::1", "lladdr", "02:00:00:00:00:01", "dev", "v6out", "nud", "permanent"],
    ):
        subprocess.run(["ip", "-n", name, *args], check=True)


class Internet:
    """The server process, driven from a benchmark or test running inside the namespace."""

    def __init__(self, folder: Path) -> None:
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.internet", str(folder)],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._expect_ok()
        self.ca = folder / "ca.pem"

    def _expect_ok(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ok":
            raise RuntimeError(f"the simulated internet did not start ({line!r})")

    def _send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        self._expect_ok()

    def faults(self, rate: float, kinds: tuple[str, ...], scope: str = "all") -> None:
        self._send({"rate": rate, "kinds": list(kinds), "scope": scope})

    def queries(self) -> dict[str, int]:
        """DNS queries received by name since the last call (A and AAAA each count)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write('{"queries": true}\n')
        self.proc.stdin.flush()
        counts: dict[str, int] = json.loads(self.proc.stdout.readline())
        return counts

    def down(self, hosts: set[str]) -> None:
        self._send({"down": sorted(hosts)})

    def hang(self, hosts: set[str]) -> None:
        """These hosts take each request and never answer it, as a stalled back end does."""
        self._send({"hung": sorted(hosts)})

    def chat_down(self, statuses: dict[str, int]) -> None:
        self._send({"chat_down": statuses})

    def page_bytes(self, size: int) -> None:
        self._send({"page_bytes": size})

    def aaaa(self, address: str) -> None:
        """Every known name gets this IPv6 address too (empty: none)."""
        self._send({"aaaa": address})

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


if __name__ == "__main__":
    serve(Path(sys.argv[1]))


__all__ = ["Internet", "Service", "catalog", "namespace"]
