"""Probe one endpoint layer by layer, inside its own deadline, and say where it stopped."""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from traywatch.catalog import Endpoint
from traywatch.model import Layer, Outcome, ProbeResult
from traywatch.probes import dns, http, stream
from traywatch.probes.classify import classify_exception
from traywatch.probes.progress import Progress

SLOW_DNS_SHARE = 0.3


@dataclass(frozen=True)
class ProbeContext:
    client: httpx.AsyncClient
    tls: ssl.SSLContext
    timeout: float
    max_redirects: int
    body_cap: int
    # Called with a host name when the system resolver fails or stalls on it.
    compare_dns: Callable[[str], None] = lambda host: None
    # Read once a cycle: getproxies() walks the whole environment each call.
    proxies: dict[str, str] = field(default_factory=urllib.request.getproxies)


def uses_proxy(url: str, host: str, proxies: dict[str, str]) -> bool:
    """True when the environment sends this URL through a proxy (which then does DNS and TCP)."""
    scheme = url.split(":", 1)[0]
    key = "https" if scheme in ("https", "tls") else "http"
    if key not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(host)


async def probe_endpoint(
    target_id: str,
    endpoint: Endpoint,
    context: ProbeContext,
    allows_redirect: Callable[[str], bool],
) -> ProbeResult:
    progress = Progress()
    started = time.perf_counter()
    host = endpoint.host
    addresses: tuple[str, ...] = ()

    def result(outcome: Outcome, detail: str, **extra: object) -> ProbeResult:
        return ProbeResult(
            target_id=target_id,
            endpoint_id=endpoint.id,
            role=endpoint.role,
            url=endpoint.url,
            host=host,
            outcome=outcome,
            layer=progress.layer,
            latency_ms=round((time.perf_counter() - started) * 1000.0, 1),
            detail=detail,
            addresses=addresses,
            layer_ms=progress.layer_ms(),
            **extra,  # type: ignore[arg-type]
        )

    proxied = uses_proxy(endpoint.url, host, context.proxies)
    try:
        async with asyncio.timeout(context.timeout):
            if proxied and endpoint.top_layer is not Layer.HTTP:
                return result(Outcome.SKIPPED, "not tried: connections go through a proxy")
            if endpoint.host_is_ip:
                addresses = (host,)
            elif not proxied:
                progress.enter(Layer.DNS)
                pending = asyncio.ensure_future(dns.resolve(host, endpoint.port))
                # A resolver that stalls may be failing: ask DoH too, while there is time to.
                done, _ = await asyncio.wait({pending}, timeout=context.timeout * SLOW_DNS_SHARE)
                if not done:
                    context.compare_dns(host)
                lookup = await pending
                if lookup.outcome is not Outcome.OK:
                    context.compare_dns(host)
                    return result(lookup.outcome, lookup.detail)
                addresses = lookup.addresses
                progress.done()
                sinkholes = [a for a in addresses if dns.is_sinkhole(a)]
                if sinkholes:
                    context.compare_dns(host)
                    return result(Outcome.SINKHOLED, f"resolves to {sinkholes[0]}, a local or blocked address")
            if endpoint.top_layer is Layer.HTTP:
                answer = await http.probe_http(
                    context.client,
                    endpoint,
                    allows_redirect,
                    progress,
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
            tls = context.tls if endpoint.uses_tls else None
            await stream.connect(host, addresses, endpoint.port, tls, progress)
            return result(Outcome.OK, "TLS handshake verified" if tls else "TCP connect works")
    except TimeoutError:
        return result(Outcome.TIMEOUT, f"no answer within {context.timeout:g} s")
    except (OSError, ssl.SSLError, httpx.HTTPError, ValueError) as exc:
        outcome, detail = classify_exception(exc)
        return result(outcome, detail)
