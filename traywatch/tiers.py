"""Light cycles: what is asked while everything is healthy, chosen by what it costs and what it
sees (docs/performance.md, "On the wire").

Each service's web front answers a HEAD for the least bytes of all its probes (about 2.4 KB with
a resumed TLS session), and every outage pattern the alarm benchmark plays (a front answering
503, names gone from DNS, a service unreachable) fails it on the first cycle, so it is asked
every time. The rest of the matrix — chat connections, app APIs, connect-only hosts — takes
turns, one endpoint a cycle, so each is still asked every few minutes; the controls are left
out, since Meta's sites all answering prove your side works. Any failure or slow answer in a light
cycle sends the monitor to the full matrix at once, where the usual confirmation rules apply.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import zip_longest

from traywatch.catalog import Catalog, Endpoint, Service
from traywatch.model import Observations, Role
from traywatch.monitor import MonitorState
from traywatch.verdict import Verdict, decide, decide_light


def sentinel(service: Service) -> Endpoint:
    """The endpoint a light cycle always asks of a service: its web front, else its first."""
    return next((e for e in service.endpoints if e.role is Role.WEB), service.endpoints[0])


def rotation(catalog: Catalog) -> tuple[tuple[str, Endpoint], ...]:
    """Every other service endpoint, once each (two services sharing one API share its turn),
    interleaved across services so that a service's endpoints are spread over the round."""
    rests = [[(s.id, e) for e in s.endpoints if e != sentinel(s)] for s in catalog.services if s.endpoints]
    seen: set[Endpoint] = set()
    order: list[tuple[str, Endpoint]] = []
    for layer in zip_longest(*rests):
        for entry in layer:
            if entry is not None and entry[1] not in seen:
                seen.add(entry[1])
                order.append(entry)
    return tuple(order)


def light(catalog: Catalog, turn: int) -> Catalog:
    """What the ``turn``-th light cycle asks: every service's sentinel and one endpoint in turn."""
    order = rotation(catalog)
    extra = order[turn % len(order)] if order else None
    services = []
    for service in catalog.services:
        if not service.endpoints:
            continue
        endpoints = [sentinel(service)]
        if extra is not None and extra[0] == service.id:
            endpoints.append(extra[1])
        services.append(replace(service, endpoints=tuple(endpoints)))
    return Catalog(tuple(services), (), catalog.resolvers)


def round_length(catalog: Catalog) -> int:
    """Light cycles until every endpoint has been asked once."""
    return max(1, len(rotation(catalog)))


def merged(previous: Observations | None, latest: Observations) -> Observations:
    """The newest answer for each endpoint: a light cycle's results over the last full picture,
    for showing (the verdict is always the latest cycle's own)."""
    if previous is None or latest.controls:
        return latest
    fresh = {(p.target_id, p.endpoint_id) for p in latest.services}
    kept = tuple(p for p in previous.services if (p.target_id, p.endpoint_id) not in fresh)
    return replace(latest, services=latest.services + kept, controls=previous.controls, doh=previous.doh)


def asked(state: MonitorState, catalog: Catalog) -> Catalog:
    """What the cycle just started asks: the light selection or the full matrix."""
    return light(catalog, state.turn) if state.running_light else catalog


def judge(observations: Observations, *, light_cycle: bool) -> Verdict | None:
    """The verdict a cycle's observations give; None for a light cycle that saw trouble."""
    return decide_light(observations) if light_cycle else decide(observations)
