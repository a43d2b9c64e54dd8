"""Build catalogs and run probes against the local servers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from traywatch.catalog import BodyMatch, Catalog, Control, Endpoint, Resolver, Service
from traywatch.model import Observations, ProbeResult, Role
from traywatch.probes import ProbeSettings, run_cycle


def service(
    sid: str, *urls: str, domains: Sequence[str] = (), name: str | None = None, read_body: bool = False
) -> Service:
    """``read_body``: web fronts ask GET and read the body (as an expected body makes them),
    instead of the HEAD that is enough to see them answer."""
    endpoints = tuple(
        Endpoint(
            id=f"e{i}",
            role=Role.WEB if url.startswith("http") else Role.EDGE,
            url=url,
            expect_body="" if read_body and url.startswith("http") else None,
        )
        for i, url in enumerate(urls)
    )
    return Service(sid, name or sid.capitalize(), tuple(domains), endpoints)


def control(
    cid: str,
    url: str,
    *,
    status: Sequence[int] = (200,),
    body: str | None = "success",
    match: BodyMatch = BodyMatch.PREFIX,
) -> Control:
    return Control(cid, cid, "test", Endpoint("check", Role.CONTROL, url, tuple(status), body, match))


def resolver(rid: str, url: str) -> Resolver:
    return Resolver(rid, rid, url)


def cycle(
    services: Sequence[Service],
    controls: Sequence[Control],
    resolvers: Sequence[Resolver] = (),
    *,
    timeout: float = 2.0,
    slow_ms: float = 2500.0,
) -> Observations:
    catalog = Catalog(tuple(services), tuple(controls), tuple(resolvers))
    return asyncio.run(run_cycle(catalog, ProbeSettings(timeout=timeout, slow_ms=slow_ms)))


def probe(url: str, *, timeout: float = 2.0, domains: Sequence[str] = (), read_body: bool = False) -> ProbeResult:
    """Probe one service endpoint (no controls, no DoH)."""
    return cycle([service("svc", url, domains=domains, read_body=read_body)], [], timeout=timeout).services[0]


def probe_control(ctl: Control, *, timeout: float = 2.0) -> ProbeResult:
    return cycle([], [ctl], timeout=timeout).controls[0]


def config_text(settings: str, services: dict[str, Sequence[str]], controls: Sequence[str]) -> str:
    """A config.toml watching only local endpoints: ``settings`` (TOML tables) first, then each
    service (id -> URLs; tls:// and tcp:// ones are messaging edges) and each control, which must
    answer "success"."""
    text = f"{settings.strip()}\n\n[catalog]\ninclude_defaults = false\n"
    for sid, urls in services.items():
        text += f'\n[[service]]\nid = "{sid}"\nname = "{sid.capitalize()}"\n'
        for index, url in enumerate(urls):
            role = "web" if url.startswith("http") else "edge"
            text += f'  [[service.endpoint]]\n  id = "e{index}"\n  role = "{role}"\n  url = "{url}"\n'
    for index, url in enumerate(controls):
        text += f'\n[[control]]\nid = "c{index}"\nurl = "{url}"\nexpect_body = "success"\n'
    return text
