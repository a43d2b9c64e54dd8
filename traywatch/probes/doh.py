"""DNS-over-HTTPS with JSON answers (``application/dns-json``), to compare with the system resolver."""

from __future__ import annotations

import asyncio
import time

from traywatch import jsonbound
from traywatch.catalog import Resolver
from traywatch.model import DnsStatus, DohAnswer
from traywatch.probes.classify import classify_exception
from traywatch.probes.client import Client, HttpError, Request
from traywatch.urls import parse

_RCODES = {0: DnsStatus.NOERROR, 2: DnsStatus.SERVFAIL, 3: DnsStatus.NXDOMAIN}
_ANSWER_CAP = 64 * 1024


def parse_answer(resolver_id: str, name: str, payload: bytes, latency_ms: float) -> DohAnswer:
    def unavailable(why: str) -> DohAnswer:
        return DohAnswer(resolver_id, name, DnsStatus.UNAVAILABLE, latency_ms, detail=why)

    try:
        document = jsonbound.loads(payload)
    except jsonbound.TooDeep:
        return unavailable("answer is nested too deep")
    except ValueError:  # UnicodeDecodeError is one
        return unavailable("answer is not JSON")
    if not isinstance(document, dict) or not isinstance(document.get("Status"), int):
        return unavailable("answer has no DNS status")
    status = _RCODES.get(document["Status"], DnsStatus.OTHER_RCODE)
    answers = document.get("Answer", [])
    addresses: tuple[str, ...] = ()
    if isinstance(answers, list):
        addresses = tuple(
            str(a["data"])
            for a in answers
            if isinstance(a, dict) and a.get("type") in (1, 28) and isinstance(a.get("data"), str)
        )
    return DohAnswer(resolver_id, name, status, latency_ms, addresses, f"rcode {document['Status']}")


async def query(client: Client, resolver: Resolver, name: str) -> DohAnswer:
    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000.0, 1)

    try:
        url = parse(resolver.url).with_query({"name": name, "type": "A"})
        response = await client.send(Request("GET", url, (("Accept", "application/dns-json"),)))
        try:
            payload, cut = await response.read(_ANSWER_CAP)
            if cut:
                return DohAnswer(resolver.id, name, DnsStatus.UNAVAILABLE, elapsed(), detail="answer too large")
            if response.status_code != 200:
                return DohAnswer(
                    resolver.id, name, DnsStatus.UNAVAILABLE, elapsed(), detail=f"HTTP {response.status_code}"
                )
        finally:
            await response.aclose()
    except (HttpError, OSError, ValueError) as exc:  # a name no URL can hold is a ValueError
        _, detail = classify_exception(exc)
        return DohAnswer(resolver.id, name, DnsStatus.UNAVAILABLE, elapsed(), detail=detail)
    return parse_answer(resolver.id, name, payload, elapsed())


class DohComparison:
    """DoH lookups asked for only when the system resolver fails or stalls on a name: a healthy
    network costs no DoH queries at all, and a failing one gets each name asked once per resolver.
    Every lookup ends by the cycle's deadline."""

    def __init__(self, client: Client, resolvers: tuple[Resolver, ...], deadline: float) -> None:
        self.client = client
        self.resolvers = resolvers
        self.deadline = deadline  # on the event loop's clock
        self._tasks: dict[str, list[asyncio.Task[DohAnswer]]] = {}

    def request(self, name: str) -> None:
        if name in self._tasks or not self.resolvers:
            return
        self._tasks[name] = [asyncio.ensure_future(self._bounded(r, name)) for r in self.resolvers]

    async def _bounded(self, resolver: Resolver, name: str) -> DohAnswer:
        started = time.perf_counter()
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(max(0.0, remaining)):
                return await query(self.client, resolver, name)
        except TimeoutError:
            elapsed = round((time.perf_counter() - started) * 1000.0, 1)
            return DohAnswer(resolver.id, name, DnsStatus.UNAVAILABLE, elapsed, detail="no answer before the deadline")

    async def answers(self) -> tuple[DohAnswer, ...]:
        tasks = [task for group in self._tasks.values() for task in group]
        return tuple(await asyncio.gather(*tasks))
