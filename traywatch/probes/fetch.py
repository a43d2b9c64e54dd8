"""Reading a third party's JSON (Meta's status page, Globalping) the way probes connect: the name
looked up in a daemon thread that cannot hold the cycle, the request sent to that address (Host
header, SNI and certificate check for the name), and the answer capped in size."""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass, field
from typing import Any

from traywatch.model import Outcome
from traywatch.probes import dns
from traywatch.probes.client import Client, HttpError, Request, TimeoutException
from traywatch.probes.endpoint import uses_proxy
from traywatch.probes.proxies import system_proxies
from traywatch.thirdparty import Answer, FetchError
from traywatch.urls import InvalidUrl, parse


@dataclass(frozen=True)
class Fetcher:
    client: Client
    proxies: dict[str, str] = field(default_factory=system_proxies)

    async def __call__(
        self, method: str, url: str, *, cap: int, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        try:
            target = parse(url)
        except InvalidUrl as exc:
            raise FetchError(str(exc)) from None
        host = target.host
        request_headers = {"Accept": "application/json", **(headers or {})}
        body = b""
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            request_headers["Content-Type"] = "application/json"
        connect_to: tuple[str, ...] = ()
        if not uses_proxy(url, host, self.proxies):  # an address is its own lookup
            lookup = await dns.resolve(host, target.effective_port)
            if lookup.outcome is not Outcome.OK or not lookup.addresses:
                raise FetchError(f"{host} does not resolve ({lookup.detail or lookup.outcome.value})")
            connect_to = lookup.addresses
        request = Request(method, target, tuple(request_headers.items()), body, connect_to)
        try:
            response = await self.client.send(request)
        except TimeoutException:
            raise FetchError(f"{host} did not answer in time") from None
        except HttpError as exc:
            raise FetchError(f"{host} could not be reached ({type(exc).__name__})") from None
        try:
            answer, cut = await response.read(cap)
            if cut:
                raise FetchError(f"the answer from {host} is larger than {cap // 1024} KiB")
        except HttpError as exc:
            raise FetchError(f"the answer from {host} broke off ({type(exc).__name__})") from None
        finally:
            await response.aclose()
        return Answer(response.status_code, dict(response.headers), answer)
