"""One cycle: every service endpoint and control at once (DoH where DNS fails), bounded by one timeout."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable

from traywatch import USER_AGENT
from traywatch.catalog import Catalog, Control
from traywatch.model import Observations, ProbeResult, ProbeSettings
from traywatch.probes.client import Client
from traywatch.probes.doh import DohComparison
from traywatch.probes.endpoint import ProbeContext, probe_endpoint
from traywatch.probes.fetch import Fetcher
from traywatch.probes.proxies import system_proxies
from traywatch.probes.tls import verifying_context
from traywatch.probes.transport import DirectClient
from traywatch.statuspage import StatusPageWatch
from traywatch.thirdparty import Answer
from traywatch.vantage import VantageWatch


def _never_redirect(host: str) -> bool:
    return False


def _control_probe(control: Control, context: ProbeContext) -> asyncio.Future[ProbeResult]:
    return asyncio.ensure_future(probe_endpoint(control.id, control.endpoint, context, _never_redirect))


_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}


def _proxies(settings: ProbeSettings) -> dict[str, str]:
    """The proxies in use, by scheme (for deciding what DNS to compare)."""
    if settings.proxy == "manual" and settings.proxy_url:
        return {"http": settings.proxy_url, "https": settings.proxy_url}
    if settings.proxy == "system":
        return system_proxies()
    return {}


def _client(settings: ProbeSettings, tls: ssl.SSLContext, proxies: dict[str, str]) -> Client:
    """Straight to the servers, the lean client; through a proxy, the one on httpx."""
    if not proxies:
        return DirectClient(tls, settings.timeout, _HEADERS)
    from traywatch.probes.proxied import ProxyClient

    manual = settings.proxy == "manual"
    return ProxyClient(
        tls,
        settings.timeout,
        _HEADERS,
        proxy_url=settings.proxy_url if manual else None,
        proxy_auth=settings.proxy_auth if manual else None,
    )


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
    new_client: Callable[[], Client],
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
        watch.start(_OwnClient(new_client, proxies), host)


class _OwnClient:
    """A fetch with a client of its own, opened per call: a question outlives its cycle's client."""

    def __init__(self, new_client: Callable[[], Client], proxies: dict[str, str]) -> None:
        self.new_client = new_client
        self.proxies = proxies

    async def __call__(
        self, method: str, url: str, *, cap: int, json: object = None, headers: dict[str, str] | None = None
    ) -> Answer:
        client = self.new_client()
        try:
            return await Fetcher(client, self.proxies)(method, url, cap=cap, json=json, headers=headers)
        finally:
            await client.aclose()


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
    proxies = _proxies(settings)
    client = _client(settings, tls, proxies)
    try:
        deadline = asyncio.get_running_loop().time() + settings.timeout
        comparison = DohComparison(client, catalog.resolvers, deadline)
        context = ProbeContext(
            client, tls, settings.timeout, settings.max_redirects, settings.body_cap, comparison.request, proxies
        )
        service_tasks = [
            asyncio.ensure_future(probe_endpoint(service.id, endpoint, context, service.allows_redirect_to))
            for service in catalog.services
            for endpoint in service.endpoints
        ]
        control_tasks = [_control_probe(control, context) for control in catalog.controls]
        if status_page is not None:
            await _second_opinion(status_page, Fetcher(client, proxies), looks_wrong, settings.timeout)
        services = await asyncio.gather(*service_tasks)
        controls = await asyncio.gather(*control_tasks)
        answers = await comparison.answers()
        if vantage is not None:
            _ask_elsewhere(vantage, services, controls, lambda: _client(settings, tls, proxies), proxies)
    finally:
        await client.aclose()
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
