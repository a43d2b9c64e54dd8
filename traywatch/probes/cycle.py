"""One cycle: every service endpoint and control at once (DoH where DNS fails), bounded by one timeout."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from typing import Any

import httpx

from traywatch import USER_AGENT
from traywatch.catalog import Catalog, Control
from traywatch.model import Observations, ProbeResult, ProbeSettings
from traywatch.probes.doh import DohComparison
from traywatch.probes.endpoint import ProbeContext, probe_endpoint
from traywatch.probes.fetch import Fetcher
from traywatch.probes.tls import verifying_context
from traywatch.probes.transport import StreamTransport
from traywatch.statuspage import StatusPageWatch
from traywatch.thirdparty import Answer
from traywatch.vantage import VantageWatch


def _never_redirect(host: str) -> bool:
    return False


def _control_probe(control: Control, context: ProbeContext) -> asyncio.Future[ProbeResult]:
    return asyncio.ensure_future(probe_endpoint(control.id, control.endpoint, context, _never_redirect))


def _proxy(settings: ProbeSettings) -> tuple[httpx.Proxy | None, dict[str, str]]:
    """The proxy for httpx, and which schemes it covers (for deciding what DNS to compare)."""
    if settings.proxy == "manual" and settings.proxy_url:
        proxy = httpx.Proxy(settings.proxy_url, auth=settings.proxy_auth)
        return proxy, {"http": settings.proxy_url, "https": settings.proxy_url}
    if settings.proxy == "system":
        return None, urllib.request.getproxies()
    return None, {}


async def _second_opinion(watch: StatusPageWatch, fetcher: Fetcher, looks_wrong: bool, timeout: float) -> None:
    # Within the cycle's own bound: a status page that drips its answer does not hold the cycle.
    try:
        async with asyncio.timeout(timeout):
            await watch.refresh(fetcher, looks_wrong)
    except TimeoutError:
        watch.gave_up("the page did not answer in time")


def _ask_elsewhere(
    watch: VantageWatch,
    services: list[ProbeResult],
    controls: list[ProbeResult],
    common: dict[str, Any],
    proxies: dict[str, str],
) -> None:
    """Start questions to other networks about hosts failing here, when your side works: its own
    failures are not worth anyone's budget. They run on past this cycle; later cycles see them.
    A light cycle asks no controls, so it cannot say: the full matrix after it decides."""
    counted = [c for c in controls if c.counted]
    if not counted or sum(c.ok for c in counted) < len(counted) - 1:
        return
    failing = [p.host for p in services if p.counted and not p.ok]
    for host in watch.wanted(failing, time.time()):
        watch.start(_OwnClient(common, proxies), host)


class _OwnClient:
    """A fetch with a client of its own, opened per call: a question outlives its cycle's clients."""

    def __init__(self, common: dict[str, Any], proxies: dict[str, str]) -> None:
        self.common = common
        self.proxies = proxies

    async def __call__(
        self, method: str, url: str, *, cap: int, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        async with httpx.AsyncClient(**self.common) as client:
            return await Fetcher(client, self.proxies)(method, url, cap=cap, json=json, headers=headers)


async def run_cycle(
    catalog: Catalog,
    settings: ProbeSettings,
    status_page: StatusPageWatch | None = None,
    *,
    looks_wrong: bool = False,
    vantage: VantageWatch | None = None,
) -> Observations:
    """Probe everything concurrently; returns after at most about ``settings.timeout`` seconds.

    With ``status_page``, Meta's status page is read alongside when it is due (sooner while
    ``looks_wrong``), and its latest report goes into the observations."""
    started_wall = time.time()
    started = time.perf_counter()
    tls = verifying_context(settings.extra_ca)
    timeout = httpx.Timeout(settings.timeout)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    proxy, proxies = _proxy(settings)
    common: dict[str, Any] = {
        "verify": tls,
        "trust_env": settings.proxy == "system",
        "proxy": proxy,
        "timeout": timeout,
        "headers": headers,
    }
    # No keep-alive for probes: every request must show its own DNS, TCP and TLS layers.
    # Straight to the servers, the lean transport; through a proxy, httpx's own (which a given
    # transport would replace, environment proxies and all).
    lean: dict[str, Any] = {} if proxies else {"transport": StreamTransport(tls)}
    probe_client = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0), **lean, **common)
    doh_client = httpx.AsyncClient(**common)
    async with probe_client, doh_client:
        deadline = asyncio.get_running_loop().time() + settings.timeout
        comparison = DohComparison(doh_client, catalog.resolvers, deadline)
        context = ProbeContext(
            probe_client, tls, settings.timeout, settings.max_redirects, settings.body_cap, comparison.request, proxies
        )
        service_tasks = [
            asyncio.ensure_future(probe_endpoint(service.id, endpoint, context, service.allows_redirect_to))
            for service in catalog.services
            for endpoint in service.endpoints
        ]
        control_tasks = [_control_probe(control, context) for control in catalog.controls]
        if status_page is not None:
            await _second_opinion(status_page, Fetcher(doh_client, proxies), looks_wrong, settings.timeout)
        services = await asyncio.gather(*service_tasks)
        controls = await asyncio.gather(*control_tasks)
        answers = await comparison.answers()
        if vantage is not None:
            _ask_elsewhere(vantage, services, controls, common, proxies)
    return Observations(
        services=tuple(services),
        controls=tuple(controls),
        doh=answers,
        slow_ms=settings.slow_ms,
        started_at=started_wall,
        duration_ms=round((time.perf_counter() - started) * 1000.0, 1),
        service_names=tuple((s.id, s.name) for s in catalog.services),
        status_page=status_page.report if status_page is not None else None,
        vantage=vantage.fresh(time.time()) if vantage is not None else (),
        status_products=tuple((s.id, s.status_page) for s in catalog.services if s.status_page),
    )
