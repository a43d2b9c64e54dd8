"""The probes' HTTP/1.1 client for requests that go straight to the servers, on one asyncio
protocol a connection (``link.Link``) and h11: it opens the connection, shakes hands, sends one
request and reads the answer only as far as asked. One request a connection and no pool, so it
holds nothing between requests and costs little CPU a request (docs/performance.md); failures
are raised as ``client``'s, with the socket or TLS error as their cause, so that ``classify``
names them. Requests through a proxy use ``proxied.ProxyClient``."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Mapping

import h11

from traywatch.probes.client import (
    ConnectError,
    ConnectTimeout,
    NetworkError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    Request,
    Response,
    TimeoutException,
    Trace,
    UnsupportedProtocol,
    WriteError,
    header_map,
    no_trace,
)
from traywatch.probes.eyeballs import first_link
from traywatch.probes.link import Link

MAX_HEADERS = 64 * 1024  # a status line and headers longer than this are not an answer


async def _next_event(connection: h11.Connection, link: Link, timeout: float | None) -> object:
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(str(exc)) from exc
        if event is not h11.NEED_DATA:
            return event
        async with _step(timeout, ReadTimeout, ReadError):
            data = await link.read()
        connection.receive_data(data)


@contextlib.asynccontextmanager
async def _step(
    seconds: float | None, timed_out: type[TimeoutException], broke: type[NetworkError]
) -> AsyncIterator[None]:
    """One step of a request within its timeout, its failures raised as the client's: the socket
    or TLS error kept as the cause, which the probes classify."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        raise timed_out("timed out") from exc
    except OSError as exc:  # ssl.SSLError is one
        raise broke(str(exc)) from exc


class DirectClient:
    def __init__(self, tls: ssl.SSLContext, timeout: float | None, headers: Mapping[str, str]) -> None:
        self.tls = tls
        self.timeout = timeout  # for each step: connect, handshake, each read
        named = {k.lower() for k in headers}
        defaults = [("Accept", "*/*")] if "accept" not in named else []
        self.headers = defaults + [(k, v) for k, v in headers.items() if k.lower() not in ("host", "connection")]

    async def aclose(self) -> None:
        return None  # nothing is kept between requests

    async def __aenter__(self) -> DirectClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def send(self, request: Request, trace: Trace = no_trace) -> Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise UnsupportedProtocol(f"unsupported scheme {url.scheme!r}")
        timeout = self.timeout
        await trace("connection.connect_tcp.started", {})
        async with _step(timeout, ConnectTimeout, ConnectError):
            link = await first_link(request.connect_to or (url.host,), url.effective_port, tls=url.scheme == "https")
        await trace("connection.connect_tcp.complete", {})
        try:
            if url.scheme == "https":
                await trace("connection.start_tls.started", {})
                async with _step(timeout, ConnectTimeout, ConnectError):
                    await link.start_tls(self.tls, url.host, url.effective_port)
                await trace("connection.start_tls.complete", {})
            await trace("http11.send_request_headers.started", {})
            connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADERS)
            wire = connection.send(
                h11.Request(method=request.method, target=url.target, headers=self._headers(request))
            )
            if request.body:
                wire += connection.send(h11.Data(data=request.body))
            wire += connection.send(h11.EndOfMessage())
            try:
                link.write(wire)
            except OSError as exc:
                raise WriteError(str(exc)) from exc
            while True:
                event = await _next_event(connection, link, timeout)
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.ConnectionClosed):
                    raise RemoteProtocolError("Server disconnected without sending a response.")
                break
        except BaseException:
            link.abort()
            raise
        assert isinstance(event, h11.Response)

        async def body() -> AsyncIterator[bytes]:
            while True:
                part = await _next_event(connection, link, timeout)
                if isinstance(part, h11.Data):
                    yield bytes(part.data)
                elif isinstance(part, (h11.EndOfMessage, h11.ConnectionClosed)):
                    return

        async def close() -> None:
            link.abort()  # one request a connection: no goodbye owed, none waited for

        return Response(event.status_code, header_map(list(event.headers)), body, close)

    def _headers(self, request: Request) -> list[tuple[str, str]]:
        given = {k.lower() for k, _ in request.headers}
        headers = [] if "host" in given else [("Host", request.url.netloc)]
        headers += [(k, v) for k, v in self.headers if k.lower() not in given]
        headers += [(k, v) for k, v in request.headers if k.lower() != "connection"]
        if request.body:
            headers.append(("Content-Length", str(len(request.body))))
        headers.append(("Connection", "close"))
        return headers
