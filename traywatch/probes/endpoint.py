"""Probe one endpoint layer by layer, inside the cycle's deadline, and say where it stopped.

One lost packet must not look like an outage, so a failed attempt is tried once more at once, on
a fresh connection with a fresh lookup, before the deadline; and an attempt still hanging at
``HEDGE_SHARE`` of the deadline gets a second one alongside, so a dropped SYN or DNS query does not
use up the whole cycle; if neither has answered at ``THIRD_SHARE``, a third joins them. Where one
connection in five is lost, two lost attempts are one endpoint in 25 and three one in 125, so an
endpoint failing the two re-checks after a first failure, which confirms an outage, goes from
one in 625 to one in 15,600; an endpoint that hangs for real still fails at the deadline. Only
when every attempt fails does the probe fail, labelled by the first.
Two resets in the handshake, a filter's sign, are asked a third time before they count.

Each attempt looks the name up once and connects to the address it found: a failure after the
lookup is never a second, hidden lookup inside the HTTP client.
"""

from __future__ import annotations

import asyncio
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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + context.timeout
    first = asyncio.ensure_future(_attempt(target_id, endpoint, context, allows_redirect, deadline))
    done, _ = await asyncio.wait({first}, timeout=context.timeout * HEDGE_SHARE)
    if done:
        result = first.result()
        if result.ok or not result.counted:
            return result
        if loop.time() >= deadline:
            return replace(result, attempts=1)
        second = await _attempt(target_id, endpoint, context, allows_redirect, deadline)
        if result.reset_in_handshake and second.reset_in_handshake and loop.time() < deadline:
            # Reset twice in the handshake: a filter's sign, which random loss fakes for one
            # endpoint in 25 at a 20 % reset rate, and a filter resets every time. It costs a
            # connection to ask once more, so the sign holds only if the third is reset too.
            third = await _attempt(target_id, endpoint, context, allows_redirect, deadline)
            return replace(third if third.ok else result, attempts=3)
        return replace(_telling(result, second), attempts=2)
    # Still no answer half-way: a second attempt alongside, and the first good answer wins; a
    # third at ``THIRD_SHARE`` if neither has answered by then.
    second_task = asyncio.ensure_future(_attempt(target_id, endpoint, context, allows_redirect, deadline))
    pending = {first, second_task}
    started = [first, second_task]
    third_at = deadline - context.timeout * (1 - THIRD_SHARE)
    while pending:
        wait = max(0.0, third_at - loop.time()) if len(started) == 2 else None
        done, pending = await asyncio.wait(pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.result().ok:
                for other in pending:
                    other.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return replace(task.result(), attempts=len(started))
        if not done and len(started) == 2:
            hedge = asyncio.ensure_future(_attempt(target_id, endpoint, context, allows_redirect, deadline))
            started.append(hedge)
            pending.add(hedge)
    return replace(_telling(first.result(), second_task.result()), attempts=len(started))


def _telling(first: ProbeResult, second: ProbeResult) -> ProbeResult:
    """Which of two attempts the probe's result is: the one that worked, else the first, unless
    the first was reset in the handshake and the second failed otherwise. A filter resets every
    time, so that second failure is the one to go by, and the filter's sign is not kept."""
    if second.ok or (first.reset_in_handshake and not second.reset_in_handshake):
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
