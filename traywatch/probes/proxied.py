"""The probes' HTTP client through a proxy (the environment's or the settings'), on httpx, which
speaks every proxy kind. httpx is imported only here, when a proxy is in use: a direct
connection never loads it (docs/performance.md). Its failures are raised as ``client``'s, the
httpx exception kept as the cause."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Mapping
from typing import Any

from traywatch.probes import client
from traywatch.probes.client import Request, Response, Trace, header_map, no_trace

# httpx's names are the client's: the nearest one in an exception's ancestry says which.
_OURS: dict[str, type[client.HttpError]] = {
    name: getattr(client, name)
    for name in (
        "ConnectTimeout",
        "ReadTimeout",
        "WriteTimeout",
        "TimeoutException",
        "ConnectError",
        "ReadError",
        "WriteError",
        "NetworkError",
        "RemoteProtocolError",
        "UnsupportedProtocol",
        "DecodingError",
    )
}


def _translated(exc: Exception) -> client.HttpError:
    for kind in type(exc).__mro__:
        if kind.__name__ in _OURS:
            return _OURS[kind.__name__](str(exc))
    return client.HttpError(str(exc))


class ProxyClient:
    def __init__(
        self,
        tls: ssl.SSLContext,
        timeout: float | None,
        headers: Mapping[str, str],
        *,
        proxy_url: str | None = None,
        proxy_auth: tuple[str, str] | None = None,
    ) -> None:
        import httpx

        self._httpx = httpx
        proxy = httpx.Proxy(proxy_url, auth=proxy_auth) if proxy_url else None
        self._client = httpx.AsyncClient(
            verify=tls,
            trust_env=proxy is None,  # the environment's proxies unless the settings name one
            proxy=proxy,
            timeout=httpx.Timeout(timeout),
            headers=dict(headers),
            limits=httpx.Limits(max_keepalive_connections=0),  # every request shows its own layers
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, request: Request, trace: Trace = no_trace) -> Response:
        """Through the proxy; or, for a host the proxy is not used for, to each of its addresses
        in turn until one takes the connection (httpx connects to one address at a time)."""
        if not request.connect_to:
            return await self._send(request, None, trace)
        *others, last = request.connect_to
        for address in others:
            with contextlib.suppress(client.ConnectError):  # the next address may take it
                return await self._send(request, address, trace)
        return await self._send(request, last, trace)

    async def _send(self, request: Request, address: str | None, trace: Trace) -> Response:
        httpx = self._httpx
        url = request.url
        extensions: dict[str, Any] = {"trace": trace}
        target = str(url)
        headers = dict(request.headers)
        if address is not None:
            extensions["sni_hostname"] = url.host
            target = str(httpx.URL(target).copy_with(host=address))
            headers.setdefault("Host", url.netloc)
        built = self._client.build_request(
            request.method, target, headers=headers, content=request.body or None, extensions=extensions
        )
        try:
            answer = await self._client.send(built, stream=True)
        except httpx.HTTPError as exc:
            raise _translated(exc) from exc

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in answer.aiter_raw():
                    yield chunk
            except httpx.HTTPError as exc:
                raise _translated(exc) from exc

        return Response(answer.status_code, header_map(list(answer.headers.raw)), body, answer.aclose)
