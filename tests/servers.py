"""Real HTTP, HTTPS and DoH servers on 127.0.0.1 whose paths misbehave on purpose."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    import trustme

Route = Callable[["Handler"], None]


def server_context(ca: trustme.CA, *identities: str, **kwargs: object) -> ssl.SSLContext:
    """A TLS server context with a certificate from ``ca`` for ``identities``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*identities, **kwargs).configure_cert(context)  # type: ignore[arg-type]
    return context


def abort(sock: socket.socket) -> None:
    """Close with a TCP RST, as a filter or a crashed peer does, rather than a clean FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Handler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            if self.server.tls_handshake_hangs:
                self.server.stopping.wait()
                raise ConnectionAbortedError("stopped")
            self.request.do_handshake()
            self.server.resumed.append(bool(self.request.session_reused))
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.hits.append(path)
        self.server.methods.append(self.command)
        route = self.server.routes.get(path)
        if route is None:
            self.reply(404, b"no such route")
            return
        route(self)

    do_POST = do_GET  # webhooks: routes read the body themselves
    do_HEAD = do_GET  # the same answer; reply() leaves the body out

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            # Counted before it leaves: a client that has read the body must find it counted.
            self.server.sent_bytes += len(body)
            self.wfile.write(body)

    def reset(self) -> None:
        """Abort with a TCP RST rather than a clean close."""
        self.wfile.flush()
        abort(self.connection.unwrap() if isinstance(self.connection, ssl.SSLSocket) else self.connection)
        self.close_connection = True


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many probes connect at once; the default backlog of 5 drops SYNs
    block_on_close = False

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), Handler)
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        self.upgrades: list[dict[str, str]] = []
        self.sent_bytes = 0  # body bytes sent by reply(), for "did the page arrive" tests
        self.resumed: list[bool] = []  # per TLS connection: did the client resume a session
        self.methods: list[str] = []
        self.stopping = threading.Event()
        self.tls_handshake_hangs = False
        self.scheme = "https" if tls else "http"
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.server_address[0]}:{self.port}{path}"

    def route(self, path: str, handler: Route) -> str:
        self.routes[path] = handler
        return self.url(path)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # broken and aborted connections are the point of these servers

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


# Behaviours, each a route handler.


def ok(body: bytes = b"ok", status: int = 200, content_type: str = "text/plain") -> Route:
    return lambda h: h.reply(status, body, {"Content-Type": content_type})


def in_turn(*routes: Route) -> Route:
    """The n-th request gets the n-th route and every one after the last gets the last: a
    misbehaving first few, as lost packets or one bad server would make them."""
    seen = {"n": 0}

    def route(h: Handler) -> None:
        seen["n"] += 1
        routes[min(seen["n"], len(routes)) - 1](h)

    return route


class Switch:
    """A route that answers ``body`` with 200, or 503 while ``failing`` is set: a service going down."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.failing = False

    def __call__(self, h: Handler) -> None:
        h.reply(503 if self.failing else 200, self.body)


def hang(h: Handler) -> None:
    """Accept and read the request, then never answer."""
    h.server.stopping.wait()
    h.close_connection = True


def slow(seconds: float, body: bytes = b"ok") -> Route:
    def route(h: Handler) -> None:
        if not h.server.stopping.wait(seconds):
            h.reply(200, body)

    return route


def reset_mid_response(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b"x" * 100)
    h.reset()


def endless(h: Handler) -> None:
    """A body that never ends: 64 KiB chunks until the client gives up."""
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    chunk = b"y" * 65536
    sent = 0
    try:
        while not h.server.stopping.is_set() and sent < 1 << 30:
            h.wfile.write(chunk)
            sent += len(chunk)
    except OSError:
        pass
    h.server.bytes_sent = sent  # type: ignore[attr-defined]
    h.close_connection = True


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: h.reply(status, b"", {"Location": location})


def doh(answers: dict[str, tuple[int, list[str]]]) -> Route:
    """A JSON DNS-over-HTTPS resolver answering from ``answers`` (name -> (rcode, addresses))."""

    def route(h: Handler) -> None:
        name = h.query.get("name", "")
        rcode, addresses = answers.get(name, (3, []))
        document = {
            "Status": rcode,
            "Question": [{"name": name, "type": 1}],
            "Answer": [{"name": name, "type": 1, "TTL": 60, "data": a} for a in addresses],
        }
        h.reply(200, json.dumps(document).encode(), {"Content-Type": "application/dns-json"})

    return route


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# Chat connections: WebSocket upgrades answered at the door.

_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# A text frame ("hello") a chat server might push the moment the connection opens.
FRAME = b"\x81\x05hello"


def _remember(h: Handler) -> None:
    h.server.upgrades.append({k.lower(): v for k, v in h.headers.items()})


def hold_open(h: Handler) -> None:
    """Send what was written, then keep the connection open until the server stops."""
    h.wfile.flush()
    h.server.stopping.wait()
    h.close_connection = True


def ws_accept(push: bytes = b"", accept: str | None = None, *, hold: bool = True) -> Route:
    """Accept the upgrade (101), push ``push`` at once, then keep the connection open (or,
    without ``hold``, close it)."""

    def route(h: Handler) -> None:
        _remember(h)
        key = h.headers.get("Sec-WebSocket-Key", "").encode()
        token = accept or base64.b64encode(hashlib.sha1(key + _WS_GUID, usedforsecurity=False).digest()).decode()
        h.wfile.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {token}\r\n\r\n".encode()
            + push
        )
        if hold:
            hold_open(h)
        else:
            h.close_connection = True

    return route


def ws_refuse(status: int, body: bytes = b"", content_type: str = "application/json") -> Route:
    def route(h: Handler) -> None:
        _remember(h)
        h.reply(status, body, {"Content-Type": content_type})
        h.close_connection = True

    return route


def ws_frames_first(h: Handler) -> None:
    """Skip the HTTP answer: frames straight away, then silence."""
    _remember(h)
    h.wfile.write(FRAME * 4)
    hold_open(h)
