"""What the probes ask of an HTTP client: one request, the answer's status and headers, its body
read raw as far as the caller wants, and failures named by the step they happened in (the socket
or TLS error kept as the cause, which ``classify`` reads). ``transport.DirectClient`` sends
straight to the servers; ``proxied.ProxyClient`` through a proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from traywatch.urls import Url

# Each step of a request is reported by name ("connection.connect_tcp.started", ...), the names
# httpcore gives them, so one tracer reads both clients.
Trace = Callable[[str, dict[str, Any]], Awaitable[None]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def no_trace(event: str, info: dict[str, Any]) -> None:
    return None


class HttpError(Exception):
    """A request that got no usable answer."""


class TimeoutException(HttpError):
    pass


class ConnectTimeout(TimeoutException):
    pass


class ReadTimeout(TimeoutException):
    pass


class WriteTimeout(TimeoutException):
    pass


class NetworkError(HttpError):
    pass


class ConnectError(NetworkError):
    pass


class ReadError(NetworkError):
    pass


class WriteError(NetworkError):
    pass


class RemoteProtocolError(HttpError):
    """The server's bytes are not HTTP; the text may quote them, so it is never shown."""


class UnsupportedProtocol(HttpError):
    pass


class DecodingError(HttpError):
    pass


@dataclass(frozen=True)
class Request:
    method: str
    url: Url
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    # Connect to the first of these addresses to answer instead of looking the URL's host up;
    # Host, SNI and the certificate check still name the host.
    connect_to: tuple[str, ...] = ()


class Response:
    def __init__(
        self,
        status_code: int,
        headers: dict[str, str],
        body: Callable[[], AsyncIterator[bytes]],
        close: Callable[[], Awaitable[None]],
    ) -> None:
        self.status_code = status_code
        self.headers = headers  # names lower-cased, repeated ones joined with ", "
        self._body = body
        self._close = close

    @property
    def has_redirect_location(self) -> bool:
        return self.status_code in REDIRECTS and "location" in self.headers

    def raw(self) -> AsyncIterator[bytes]:
        """The body as it arrives: read only as far as the caller wants it."""
        return self._body()

    async def read(self, cap: int) -> tuple[bytes, bool]:
        """At most ``cap`` bytes of the body, and whether there was more: a huge or endless body
        costs no more than that."""
        body = bytearray()
        async for chunk in self.raw():
            body.extend(chunk)
            if len(body) > cap:
                return bytes(body[:cap]), True
        return bytes(body), False

    async def aclose(self) -> None:
        await self._close()


def header_map(pairs: list[tuple[bytes, bytes]] | list[tuple[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for raw_name, raw_value in pairs:
        name = raw_name.decode("latin-1") if isinstance(raw_name, bytes) else raw_name
        value = raw_value.decode("latin-1") if isinstance(raw_value, bytes) else raw_value
        name = name.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


class Client(Protocol):
    async def send(self, request: Request, trace: Trace = no_trace) -> Response: ...

    async def aclose(self) -> None: ...
