"""Meta's status page read from a real local server shaped like metastatus.com, defensively."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests import servers
from tests.servers import LocalServer
from traywatch.catalog import Catalog, Endpoint, Service
from traywatch.model import Observations, ProbeSettings, Role
from traywatch.probes import run_cycle
from traywatch.probes.fetch import Fetcher
from traywatch.probes.tls import verifying_context
from traywatch.probes.transport import DirectClient
from traywatch.statuspage import (
    CALM_EVERY,
    SIZE_CAP,
    WRONG_EVERY,
    Level,
    StatusPageWatch,
    StatusReport,
    due,
    level_of,
    parse_orgs,
)

SHELL = b"<!DOCTYPE html><html><head><title>Meta Status</title></head><body><div id=root></div></body></html>"


def orgs(*products: tuple[str, str, list[str]]) -> bytes:
    return json.dumps(
        [
            {
                "id": pid,
                "name": name,
                "services": [{"id": i, "name": f"Part {i}", "status": t} for i, t in enumerate(ts)],
            }
            for pid, name, ts in products
        ]
    ).encode()


def json_route(body: bytes, status: int = 200) -> servers.Route:
    return servers.ok(body, status, "application/json")


def read(server: LocalServer, prefix: str, wanted: tuple[str, ...] = ("messenger",)) -> StatusReport:
    """One read of the page mounted at ``prefix`` on ``server``, as the app does it."""

    async def go() -> StatusReport:
        async with DirectClient(verifying_context(), 2.0, {}) as client:
            watch = StatusPageWatch(server.url(prefix), wanted)
            await watch.refresh(Fetcher(client, {}), looks_wrong=True)
            assert watch.report is not None
            return watch.report

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("No known issues", Level.NONE),
        ("Low disruptions", Level.LOW),
        ("Medium disruptions", Level.MEDIUM),
        ("High disruptions", Level.HIGH),
        ("Major disruptions", Level.MAJOR),
        ("Scheduled maintenance", Level.UNKNOWN),
    ],
)
def test_each_status_text(https_server: LocalServer, text: str, level: Level) -> None:
    prefix = f"/each{level.value}{abs(hash(text))}"
    https_server.route(f"{prefix}/data/orgs.json", json_route(orgs(("messenger", "Messenger Platform", [text]))))
    report = read(https_server, prefix)
    assert report.available, report.problem
    product = report.product("messenger")
    assert product is not None and (product.level, product.text) == (level, text)


def test_the_worst_service_speaks_for_the_product(https_server: LocalServer) -> None:
    body = orgs(("messenger", "Messenger Platform", ["No known issues", "High disruptions", "Low disruptions"]))
    https_server.route("/worst/data/orgs.json", json_route(body))
    product = read(https_server, "/worst").product("messenger")
    assert product is not None and product.level is Level.HIGH


def test_outage_file_dates_the_problem(https_server: LocalServer) -> None:
    start = 1_800_000_000
    https_server.route(
        "/dated/data/orgs.json", json_route(orgs(("messenger", "Messenger Platform", ["Major disruptions"])))
    )
    outages = [
        {"id": 1, "status": "Resolved", "time": "2026-11-01T10:00:00Z", "service_id": 3, "posts": []},
        {"id": 2, "status": "Major disruptions", "time": start * 1000, "service_id": 3, "posts": [{"text": "x"}]},
        # Begun later but over: not when the open one began. And an entry that is no outage at all.
        {"id": 3, "status": "Resolved", "time": (start + 3600) * 1000, "service_id": 3, "posts": []},
        "junk",
    ]
    https_server.route("/dated/data/outages/messenger.json", json_route(json.dumps(outages).encode()))
    product = read(https_server, "/dated").product("messenger")
    assert product is not None and product.since == start
    assert product.describe().startswith("Messenger Platform — major disruptions since ")


def test_unwanted_products_get_no_outage_request(https_server: LocalServer) -> None:
    body = orgs(
        ("ads-manager", "Ads Manager", ["Major disruptions"]), ("messenger", "Messenger Platform", ["No known issues"])
    )
    https_server.route("/unwanted/data/orgs.json", json_route(body))
    https_server.hits.clear()
    read(https_server, "/unwanted")
    assert https_server.hits == ["/unwanted/data/orgs.json"]  # nothing read for ads-manager, nor for a calm product


@pytest.mark.parametrize(
    ("name", "route", "problem"),
    [
        ("shell", servers.ok(SHELL, 200, "text/html"), "not JSON"),  # the single-page app's answer to any path
        ("malformed", json_route(b'[{"id": "messenger", '), "not JSON"),
        ("object", json_route(b'{"orgs": []}'), "not a list"),
        ("shapeless", json_route(b'[1, "two", {"id": 3}, {"id": "x", "services": "no"}]'), "no product"),
        ("empty", json_route(b"[]"), "no product"),
        ("missing", servers.ok(b"not found", 404), "HTTP 404"),
        ("oversize", json_route(b"[" + b'{"id": "p", "services": []},' * 20000 + b"1]"), "larger than"),
    ],
)
def test_anything_but_the_expected_json_is_unavailable_never_fine(
    https_server: LocalServer, name: str, route: servers.Route, problem: str
) -> None:
    https_server.route(f"/bad-{name}/data/orgs.json", route)
    report = read(https_server, f"/bad-{name}")
    assert not report.available and report.products == ()
    assert problem in report.problem


def test_the_cap_is_the_documented_size(https_server: LocalServer) -> None:
    assert SIZE_CAP == 256 * 1024  # docs/verdicts.md
    filler = json.dumps({"id": "messenger", "name": "Messenger Platform", "services": [{"status": "No known issues"}]})
    body = ("[" + filler + "," + " " * (SIZE_CAP - len(filler) - 4) + "1]").encode()
    assert len(body) == SIZE_CAP
    https_server.route("/atcap/data/orgs.json", json_route(body))
    assert read(https_server, "/atcap").available
    https_server.route("/overcap/data/orgs.json", json_route(body[:-2] + b" 1]"))
    assert not read(https_server, "/overcap").available


def test_hostile_text_is_cleaned(https_server: LocalServer) -> None:
    evil = "\x1b]8;;http://evil/\x07Major\x1b[31m disruptions\u202e\n<b>now</b>" + "!" * 500
    body = orgs(("messenger", "Messenger\x1b[2J Platform\r\n", [evil]))
    https_server.route("/evil/data/orgs.json", json_route(body))
    product = read(https_server, "/evil").product("messenger")
    assert product is not None
    assert "\x1b" not in product.text + product.name and "\u202e" not in product.text and "\n" not in product.text
    assert product.name == "Messenger[2J Platform"
    assert len(product.text) <= 60 and product.level is Level.UNKNOWN  # kept verbatim, not guessed


def test_names_and_status_texts_are_cut_at_60_characters(https_server: LocalServer) -> None:
    body = orgs(("messenger", "N" * 100, ["S" * 100]))
    https_server.route("/long/data/orgs.json", json_route(body))
    product = read(https_server, "/long").product("messenger")
    assert product is not None and (len(product.name), len(product.text)) == (60, 60)
    body = orgs(("messenger", "N" * 60, ["S" * 60]))
    https_server.route("/just/data/orgs.json", json_route(body))
    product = read(https_server, "/just").product("messenger")
    assert product is not None and (product.name, product.text) == ("N" * 60, "S" * 60)  # whole


def test_a_hostile_product_id_never_reaches_a_url(https_server: LocalServer) -> None:
    body = json.dumps([{"id": "../../admin", "name": "x", "services": [{"status": "Major disruptions"}]}]).encode()
    https_server.route("/ids/data/orgs.json", json_route(body))
    report = read(https_server, "/ids", wanted=("../../admin",))
    assert not report.available  # the only product was malformed
    assert not any("admin" in hit for hit in https_server.hits)


def test_a_hanging_page_is_bounded_by_the_cycle(https_server: LocalServer) -> None:
    https_server.route("/hang/data/orgs.json", servers.hang)
    watch = StatusPageWatch(https_server.url("/hang"), ("messenger",))
    service = Service(
        "messenger", "Messenger", (), (Endpoint("web", Role.WEB, https_server.url("/hang-ok")),), True, ("messenger",)
    )
    https_server.route("/hang-ok", servers.ok(b"hello"))
    began, started = time.time(), time.perf_counter()
    obs = asyncio.run(run_cycle(Catalog((service,), (), ()), ProbeSettings(timeout=0.8), watch))
    assert time.perf_counter() - started < 2.0
    assert obs.status_page is not None and not obs.status_page.available
    assert "in time" in obs.status_page.problem
    # Dated when the read began, not when it was given up: the wait counts towards the interval.
    assert began <= obs.status_page.fetched_at < began + 0.75  # given up 0.8 s after it began


def test_read_at_most_every_5_minutes_when_wrong_and_30_when_calm() -> None:
    last = StatusReport(1000.0)
    assert due(None, 0.0, looks_wrong=False)
    assert not due(last, 1000.0 + WRONG_EVERY - 1, looks_wrong=True)
    assert due(last, 1000.0 + WRONG_EVERY, looks_wrong=True)
    assert not due(last, 1000.0 + CALM_EVERY - 1, looks_wrong=False)
    assert due(last, 1000.0 + CALM_EVERY, looks_wrong=False)
    assert (WRONG_EVERY, CALM_EVERY) == (300.0, 1800.0)


def test_cycles_read_the_page_only_when_due(https_server: LocalServer) -> None:
    https_server.route(
        "/sched/data/orgs.json", json_route(orgs(("messenger", "Messenger Platform", ["No known issues"])))
    )
    https_server.route("/sched-ok", servers.ok(b"hello"))
    service = Service(
        "messenger", "Messenger", (), (Endpoint("web", Role.WEB, https_server.url("/sched-ok")),), True, ("messenger",)
    )
    watch = StatusPageWatch(https_server.url("/sched"), ("messenger",))
    https_server.hits.clear()

    async def cycles() -> list[Observations]:
        return [
            await run_cycle(Catalog((service,), (), ()), ProbeSettings(timeout=2.0), watch, looks_wrong=True)
            for _ in range(3)
        ]

    observed = asyncio.run(cycles())
    assert https_server.hits.count("/sched/data/orgs.json") == 1  # then reused until due again
    assert all(o.status_page is not None and o.status_page.available for o in observed)
    assert observed[0].status_products == (("messenger", ("messenger",)),)


def test_a_failed_read_is_not_retried_before_due(https_server: LocalServer) -> None:
    https_server.route("/fail/data/orgs.json", servers.ok(b"oops", 503))
    watch = StatusPageWatch(https_server.url("/fail"), ("messenger",))
    https_server.hits.clear()

    async def twice() -> None:
        async with DirectClient(verifying_context(), 5.0, {}) as client:
            await watch.refresh(Fetcher(client, {}), looks_wrong=True)
            await watch.refresh(Fetcher(client, {}), looks_wrong=True)

    asyncio.run(twice())
    assert https_server.hits.count("/fail/data/orgs.json") == 1


def test_parse_keeps_good_products_and_drops_broken_ones() -> None:
    body = json.dumps(
        [
            {"id": "messenger", "name": "Messenger Platform", "services": [{"status": "Low disruptions"}]},
            {"id": "graph-api", "name": "Graph API", "services": [{"status": 3}]},
            {"id": "whatsapp-business-api", "services": [{"status": "No known issues"}]},
        ]
    ).encode()
    products = parse_orgs(body)
    assert [p.id for p in products] == ["messenger", "whatsapp-business-api"]
    assert products[1].name == "whatsapp-business-api"  # no name: its id stands in
    assert level_of("  MAJOR disruptions ") is Level.MAJOR


# Conditional reads: an unchanged page is answered 304 and not sent again.


def validating_route(body: bytes, etag: str, last_modified: str = "Fri, 27 Nov 2026 04:00:00 GMT") -> servers.Route:
    asked: list[dict[str, str]] = []
    sent: list[int] = []  # body bytes this route sent (the server is shared with other tests)

    def route(h: servers.Handler) -> None:
        asked.append({k.lower(): v for k, v in h.headers.items()})
        if h.headers.get("If-None-Match") == etag:
            sent.append(0)
            h.reply(304, b"", {"ETag": etag})
            return
        sent.append(len(body))
        h.reply(200, body, {"Content-Type": "application/json", "ETag": etag, "Last-Modified": last_modified})

    route.asked = asked  # type: ignore[attr-defined]
    route.sent = sent  # type: ignore[attr-defined]
    return route


def read_twice(server: LocalServer, prefix: str) -> tuple[StatusReport, StatusReport]:
    async def go() -> tuple[StatusReport, StatusReport]:
        async with DirectClient(verifying_context(), 2.0, {}) as client:
            watch = StatusPageWatch(server.url(prefix), ("messenger",))
            await watch.refresh(Fetcher(client, {}), looks_wrong=True, now=1000.0)
            first = watch.report
            await watch.refresh(Fetcher(client, {}), looks_wrong=True, now=1000.0 + WRONG_EVERY)
            assert first is not None and watch.report is not None
            return first, watch.report

    return asyncio.run(go())


def test_an_unchanged_page_is_not_sent_again(https_server: LocalServer) -> None:
    body = orgs(("messenger", "Messenger Platform", ["No known issues"]), ("other", "Other", ["No known issues"]))
    route = validating_route(body, '"v1"')
    https_server.route("/cond/data/orgs.json", route)
    first, second = read_twice(https_server, "/cond")
    assert route.sent == [len(body), 0]  # type: ignore[attr-defined]  # once, not twice
    asked = route.asked  # type: ignore[attr-defined]
    assert len(asked) == 2
    assert "if-none-match" not in asked[0]
    assert asked[1]["if-none-match"] == '"v1"'
    assert asked[1]["if-modified-since"] == "Fri, 27 Nov 2026 04:00:00 GMT"
    assert second.available and second.products == first.products
    assert second.fetched_at == 1000.0 + WRONG_EVERY  # read again, found the same


@pytest.mark.parametrize(
    "etag",
    ['"' + "x" * 300 + '"', '"a\x7fb"', "unquoted", '"a"b"'],
)
def test_a_hostile_validator_is_never_sent_back(https_server: LocalServer, etag: str) -> None:
    body = orgs(("messenger", "Messenger Platform", ["No known issues"]))
    route = validating_route(body, etag, last_modified="x" * 300)
    prefix = f"/hostile-etag-{abs(hash(etag))}"
    https_server.route(f"{prefix}/data/orgs.json", route)
    first, second = read_twice(https_server, prefix)
    asked = route.asked  # type: ignore[attr-defined]
    assert "if-none-match" not in asked[1] and "if-modified-since" not in asked[1]
    assert first.available and second.available


def test_a_304_to_a_plain_read_is_a_problem_not_a_page(https_server: LocalServer) -> None:
    https_server.route("/unasked304/data/orgs.json", json_route(b"", status=304))
    report = read(https_server, "/unasked304")
    assert not report.available
    assert "304" in report.problem


def test_levels_are_ordered_and_distinct() -> None:
    # A status text never seen before ranks above "low" and below "medium": worth showing,
    # never a verdict of its own.
    assert list(Level) == [Level.NONE, Level.LOW, Level.UNKNOWN, Level.MEDIUM, Level.HIGH, Level.MAJOR]
    assert sorted(Level) == list(Level) and len({level.value for level in Level}) == 6
    assert [level.reported for level in Level] == [False, False, False, True, True, True]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1, 1.0),
        (0, None),
        (10**10 - 1, float(10**10 - 1)),
        (10**10, None),  # neither seconds before the year 2286 nor milliseconds
        (10**11, None),
        (10**11 + 1000, 10**8 + 1.0),  # milliseconds, as JavaScript writes them
        (True, None),
        ("2026-11-27T10:00:00", 1795773600.0),  # no zone: UTC
        ("2026-11-27T10:00:00Z", 1795773600.0),
        ("2026-11-27T11:00:00+01:00", 1795773600.0),
        ("yesterday", None),
    ],
)
def test_when_an_outage_began(value: object, seconds: float | None) -> None:
    from traywatch.statuspage import _timestamp

    assert _timestamp(value) == seconds


def test_a_low_disruption_is_dated_too(https_server: LocalServer) -> None:
    https_server.route(
        "/low/data/orgs.json", json_route(orgs(("messenger", "Messenger Platform", ["Low disruptions"])))
    )
    outages = [{"id": 1, "status": "Low disruptions", "time": 1_800_000_000, "service_id": 3, "posts": []}]
    https_server.route("/low/data/outages/messenger.json", json_route(json.dumps(outages).encode()))
    product = read(https_server, "/low").product("messenger")
    assert product is not None and product.since == 1_800_000_000


def test_the_same_source_is_the_same_url_and_products() -> None:
    watch = StatusPageWatch("https://status.example", ("messenger",))
    assert watch.same_source(StatusPageWatch("https://status.example", ("messenger",)))
    assert not watch.same_source(StatusPageWatch("https://status.example", ("instagram",)))
    assert not watch.same_source(StatusPageWatch("https://other.example", ("messenger",)))
