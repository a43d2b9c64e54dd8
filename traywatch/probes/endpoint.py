"""Probe one endpoint layer by layer, inside the cycle's deadline, and say where it stopped.

One lost packet must not look like an outage, so a failed attempt is tried again at once, on a
fresh connection with a fresh lookup, up to three attempts before the deadline; and an attempt
still hanging at ``HEDGE_SHARE`` of the deadline gets another alongside, so a dropped SYN or DNS
query does not use up the whole cycle, and a third joins at ``THIRD_SHARE`` if none has answered.
Where one connection in five is lost or reset, two failed attempts are one endpoint in 25 and
three one in 125, so an endpoint failing the two re-checks after a first failure, which confirms
an outage, goes from one in 625 to one in 15,600; an endpoint that fails for real fails three
times, and one that hangs for real fails at the deadline. Only when every attempt fails does the
probe fail, labelled by the first, unless that was a reset in the handshake (a filter's sign)
and a later one failed otherwise: a filter resets every time.

Each attempt looks the name up once and connects to the address it found: a failure after the
lookup is never a second, hidden lookup inside the HTTP client.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from traywatch import USER_AGENT
from traywatch.catalog import Endpoint, is_ip_literal
from traywatch.model import Layer, Outcome, ProbeResult
from traywatch.probes import dns, http, stream, websocket
from traywatch.probes.classify import classify_exception
from traywatch.probes.client import Client
from traywatch.probes.progress import Progress
from traywatch.probes.proxies import bypassed, system_proxies
from traywatch.text import plain, redact

SLOW_DNS_SHARE = 0.3
DETAIL_LIMIT = 200
HEDGE_SHARE = 0.5
THIRD_SHARE = 0.75
ATTEMPTS = 3


@dataclass(frozen=True)
class ProbeContext:
    client: Client
    tls: ssl.SSLContext
    timeout: float
    max_redirects: int
    body_cap: int
    # Called with a host name when the system resolver fails or stalls on it.
    compare_dns: Callable[[str], None] = lambda host: None
    # Read once a cycle: it walks the whole environment each call.
    proxies: dict[str, str] = field(default_factory=system_proxies)


def uses_proxy(url: str, host: str, proxies: dict[str, str]) -> bool:
    """True when the environment sends this URL through a proxy (which then does DNS and TCP)."""
    scheme = url.split(":", 1)[0]
    key = "https" if scheme in ("https", "tls", "wss") else "http"
    if key not in proxies and "all" not in proxies:
        return False
    return not bypassed(host)


class LookupFailed(Exception):
    """The system resolver gave no usable address: the attempt stops at the DNS layer."""

    def __init__(self, outcome: Outcome, detail: str, addresses: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail
        self.addresses = addresses


async def _first_good(first: asyncio.Future[dns.Lookup], second: asyncio.Future[dns.Lookup]) -> dns.Lookup:
    """The first lookup that finds addresses; if neither does, the first one's answer."""
    pending: set[asyncio.Future[dns.Lookup]] = {first, second}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            good = [task.result() for task in done if task.result().outcome is Outcome.OK]
            if good:
                return good[0]
        return first.result()
    finally:
        for task in (first, second):
            task.cancel()  # the one still waiting, or both when the deadline cancels us


async def locate(host: str, port: int, context: ProbeContext, progress: Progress) -> tuple[str, ...]:
    """One lookup of ``host``: its addresses, or LookupFailed (asking DoH to compare).

    A lookup still unanswered after ``SLOW_DNS_SHARE`` of the timeout has most likely lost a
    packet, and the stub resolver only asks again after its own timeout (glibc: 5 s): it is
    asked again at once, alongside, and DoH is asked to compare."""
    progress.enter(Layer.DNS)
    pending = asyncio.ensure_future(dns.resolve(host, port))
    done, _ = await asyncio.wait({pending}, timeout=context.timeout * SLOW_DNS_SHARE)
    if done:
        lookup = pending.result()
    else:
        context.compare_dns(host)
        lookup = await _first_good(pending, asyncio.ensure_future(dns.resolve(host, port)))
    if lookup.outcome is not Outcome.OK:
        context.compare_dns(host)
        raise LookupFailed(lookup.outcome, lookup.detail)
    progress.done()
    sinkholes = [a for a in lookup.addresses if dns.is_sinkhole(a)]
    if sinkholes:
        context.compare_dns(host)
        raise LookupFailed(
            Outcome.SINKHOLED, f"resolves to {sinkholes[0]}, a local or blocked address", lookup.addresses
        )
    return lookup.addresses


async def probe_endpoint(
    target_id: str,
    endpoint: Endpoint,
    context: ProbeContext,
    allows_redirect: Callable[[str], bool],
) -> ProbeResult:
    """Up to ``ATTEMPTS`` attempts inside one deadline; the first good answer wins.

    The next attempt starts as soon as none is running (every one so far has failed), or
    alongside when the time reaches its share of the deadline (``HEDGE_SHARE`` for the second,
    ``THIRD_SHARE`` for the third) with none answered. An answer that must not count (throttled,
    not tried) ends the probe: a door that says "not now" is not knocked on again."""
    loop = asyncio.get_running_loop()
    begun = loop.time()
    deadline = begun + context.timeout
    marks = [begun + context.timeout * share for share in (HEDGE_SHARE, THIRD_SHARE)]

    def start() -> asyncio.Future[ProbeResult]:
        return asyncio.ensure_future(_attempt(target_id, endpoint, context, allows_redirect, deadline))

    started = [start()]
    pending = set(started)
    try:
        while pending:
            more = len(started) < ATTEMPTS
            wait = max(0.0, marks[len(started) - 1] - loop.time()) if more else None
            done, pending = await asyncio.wait(pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.result().ok or not task.result().counted:
                    return replace(task.result(), attempts=len(started))
            if more and (not done or not pending) and loop.time() < deadline:
                started.append(start())
                pending.add(started[-1])
    finally:
        # The attempts still running once one has answered, or when the cycle itself is cancelled.
        if pending:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    return replace(functools.reduce(_telling, (task.result() for task in started)), attempts=len(started))


def _telling(first: ProbeResult, second: ProbeResult) -> ProbeResult:
    """Which of two failed attempts (in the order they started) the probe's result is: the
    first, unless it was reset in the handshake and the second failed otherwise. A filter resets
    every time, so that other failure is the one to go by, and the filter's sign is not kept."""
    if first.reset_in_handshake and not second.reset_in_handshake:
        return second
    return first


async def _attempt(
    target_id: str,
    endpoint: Endpoint,
    context: ProbeContext,
    allows_redirect: Callable[[str], bool],
    deadline: float,
) -> ProbeResult:
    progress = Progress()
    started = time.perf_counter()
    host = endpoint.host
    addresses: tuple[str, ...] = ()

    def result(outcome: Outcome, detail: str, **extra: object) -> ProbeResult:
        if isinstance(extra.get("redirect_to"), str):
            extra["redirect_to"] = redact(str(extra["redirect_to"]))
        return ProbeResult(
            target_id=target_id,
            endpoint_id=endpoint.id,
            role=endpoint.role,
            url=redact(endpoint.url),
            host=host,
            outcome=outcome,
            layer=progress.layer,
            latency_ms=round((time.perf_counter() - started) * 1000.0, 1),
            # The one way out: a detail may quote a server's bytes or a URL with a password.
            detail=plain(detail, DETAIL_LIMIT),
            addresses=addresses,
            layer_ms=progress.layer_ms(),
            **extra,  # type: ignore[arg-type]
        )

    proxied = uses_proxy(endpoint.url, host, context.proxies)

    async def find(name: str, port: int) -> tuple[str, ...] | None:
        """Where to connect for ``name``; None when the proxy (or the URL itself) says."""
        nonlocal addresses
        if proxied:
            return None
        found = (name,) if is_ip_literal(name) else await locate(name, port, context, progress)
        if name == host:
            addresses = found
        return found

    try:
        async with asyncio.timeout_at(deadline):
            if proxied and endpoint.top_layer is not Layer.HTTP:
                return result(Outcome.SKIPPED, "not tried: connections go through a proxy")
            if endpoint.top_layer is Layer.HTTP:
                answer = await http.probe_http(
                    context.client,
                    endpoint,
                    allows_redirect,
                    progress,
                    find,
                    max_redirects=context.max_redirects,
                    body_cap=context.body_cap,
                )
                return result(
                    answer.outcome,
                    answer.detail,
                    status_code=answer.status_code,
                    redirect_to=answer.redirect_to,
                    body_truncated=answer.body_truncated,
                )
            found = await find(host, endpoint.port) or (host,)
            tls = context.tls if endpoint.uses_tls else None
            if endpoint.top_layer is Layer.CHAT:
                async with stream.opened(host, found, endpoint.port, tls, progress) as link:
                    progress.enter(Layer.CHAT)
                    key = websocket.new_key()
                    upgrade = await websocket.exchange(link, endpoint, key, user_agent=USER_AGENT, cap=context.body_cap)
                    progress.done()
                outcome, detail = websocket.judge(endpoint, upgrade, key)
                return result(outcome, detail, status_code=upgrade.status, body_truncated=upgrade.truncated)
            await stream.connect(host, found, endpoint.port, tls, progress)
            return result(Outcome.OK, "TLS handshake verified" if tls else "TCP connect works")
    except LookupFailed as failed:
        addresses = failed.addresses or addresses
        return result(failed.outcome, failed.detail)
    except TimeoutError:
        return result(Outcome.TIMEOUT, f"no answer within {context.timeout:g} s")
    except websocket.NotAnAnswer as exc:
        return result(Outcome.MALFORMED, str(exc))
    except Exception as exc:  # a probe never raises: whatever one answer does, the cycle stands
        outcome, detail = classify_exception(exc)
        return result(outcome, detail)
