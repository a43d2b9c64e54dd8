"""Reading a third party's JSON (Meta's status page, Globalping) the way probes connect: the name
looked up in a daemon thread that cannot hold the cycle, the request sent to that address (Host
header, SNI and certificate check for the name), and the answer capped in size."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass, field
from typing import Any

import httpx

from traywatch.catalog import is_ip_literal
from traywatch.model import Outcome
from traywatch.probes import dns
from traywatch.probes.endpoint import uses_proxy
from traywatch.thirdparty import Answer, FetchError


@dataclass(frozen=True)
class Fetcher:
    client: httpx.AsyncClient
    proxies: dict[str, str] = field(default_factory=urllib.request.getproxies)

    async def __call__(
        self, method: str, url: str, *, cap: int, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        target = httpx.URL(url)
        host = target.host
        request_headers = {"Accept": "application/json", **(headers or {})}
        extensions: dict[str, Any] = {}
        proxied = uses_proxy(url, host, self.proxies)
        if not proxied and not is_ip_literal(host):
            lookup = await dns.resolve(host, target.port or 443)
            if lookup.outcome is not Outcome.OK or not lookup.addresses:
                raise FetchError(f"{host} does not resolve ({lookup.detail or lookup.outcome.value})")
            request_headers["Host"] = target.netloc.decode("ascii")
            extensions["sni_hostname"] = host
            target = target.copy_with(host=lookup.addresses[0])
        request = self.client.build_request(method, target, json=json, headers=request_headers, extensions=extensions)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchError(f"{host} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{host} could not be reached ({type(exc).__name__})") from None
        try:
            body = bytearray()
            async for chunk in response.aiter_raw():
                body.extend(chunk)
                if len(body) > cap:
                    raise FetchError(f"the answer from {host} is larger than {cap // 1024} KiB")
        except httpx.HTTPError as exc:
            raise FetchError(f"the answer from {host} broke off ({type(exc).__name__})") from None
        finally:
            await response.aclose()
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, bytes(body))
