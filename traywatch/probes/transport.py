"""A lean HTTP/1.1 transport for httpx on asyncio streams, for probes that connect directly.

httpx's own transport (httpcore on anyio) spends about 1 ms of CPU a request in connection
pooling and cancel scopes that a probe, with one request a connection and no keep-alive, never
uses (docs/performance.md). This one opens the connection, shakes hands, sends one request,
and hands the response back as httpx's; it reports the same steps to the ``trace`` extension,
honours ``sni_hostname`` and the request's timeouts, and raises httpx's exceptions with the
socket or TLS error as their cause, so probes classify failures exactly as before. Requests
through a proxy keep httpx's own transports."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import h11
import httpx

READ_SIZE = 64 * 1024
MAX_HEADERS = 64 * 1024  # a status line and headers longer than this are not an answer

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]


async def _no_trace(event: str, info: dict[str, Any]) -> None:
    return None


class _Body(httpx.AsyncByteStream):
    def __init__(
        self,
        connection: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        read_timeout: float | None,
    ) -> None:
        self.connection = connection
        self.reader = reader
        self.writer = writer
        self.read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            event = await _next_event(self.connection, self.reader, self.read_timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return

    async def aclose(self) -> None:
        self.writer.transport.abort()  # one request a connection: no goodbye owed, none waited for


async def _next_event(connection: h11.Connection, reader: asyncio.StreamReader, timeout: float | None) -> Any:
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc
        if event is not h11.NEED_DATA:
            return event
        async with _step(timeout, httpx.ReadTimeout, httpx.ReadError):
            data = await reader.read(READ_SIZE)
        connection.receive_data(data)


@contextlib.asynccontextmanager
async def _step(
    seconds: float | None, timed_out: type[httpx.TimeoutException], broke: type[httpx.NetworkError]
) -> AsyncIterator[None]:
    """One step of a request within its timeout, its failures raised as httpx's: the socket or
    TLS error kept as the cause, which the probes classify."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        raise timed_out("timed out") from exc
    except OSError as exc:
        raise broke(str(exc)) from exc


class StreamTransport(httpx.AsyncBaseTransport):
    def __init__(self, tls: ssl.SSLContext) -> None:
        self.tls = tls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported scheme {scheme!r}")
        port = url.port or (443 if scheme == "https" else 80)
        trace: Trace = request.extensions.get("trace") or _no_trace
        timeouts = request.extensions.get("timeout", {})
        sni = request.extensions.get("sni_hostname") or url.host

        await trace("connection.connect_tcp.started", {})
        async with _step(timeouts.get("connect"), httpx.ConnectTimeout, httpx.ConnectError):
            reader, writer = await asyncio.open_connection(url.host, port)
        await trace("connection.connect_tcp.complete", {})
        try:
            if scheme == "https":
                await trace("connection.start_tls.started", {})
                async with _step(timeouts.get("connect"), httpx.ConnectTimeout, httpx.ConnectError):
                    await writer.start_tls(self.tls, server_hostname=sni)  # ssl.SSLError is an OSError
                await trace("connection.start_tls.complete", {})
            await trace("http11.send_request_headers.started", {})
            connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADERS)
            target = url.raw_path
            headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"connection"]
            headers.append((b"Connection", b"close"))
            wire = connection.send(h11.Request(method=request.method, target=target, headers=headers))
            body = request.read()
            if body:
                wire += connection.send(h11.Data(data=body))
            wire += connection.send(h11.EndOfMessage())
            async with _step(timeouts.get("write"), httpx.WriteTimeout, httpx.WriteError):
                writer.write(wire)
                await writer.drain()
            read_timeout = timeouts.get("read")
            while True:
                event = await _next_event(connection, reader, read_timeout)
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
                break
        except BaseException:
            writer.transport.abort()
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers,
            stream=_Body(connection, reader, writer, read_timeout),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )
