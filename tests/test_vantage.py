"""The opt-in second vantage point, against a real local server shaped like Globalping's API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests import servers
from tests.helpers import control
from tests.servers import Handler, LocalServer
from traywatch import USER_AGENT
from traywatch.catalog import Catalog, Endpoint, Service
from traywatch.model import ProbeSettings, Role
from traywatch.probes import run_cycle
from traywatch.probes.fetch import Fetcher
from traywatch.probes.tls import verifying_context
from traywatch.probes.transport import DirectClient
from traywatch.vantage import (
    HOST_EVERY,
    HOURLY_TESTS,
    PROBES,
    RESULT_FRESH,
    Budget,
    Vantage,
    VantageWatch,
    ask,
    country_from_locale,
)
from traywatch.verdict import VerdictKind, decide


class Globalping:
    """POST /v1/measurements answers an id; GET answers in-progress once, then the results."""

    def __init__(self, server: LocalServer, prefix: str, codes: list[int | None], create_status: int = 202) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.polls = 0
        self.base = server.url(prefix)
        server.route(f"{prefix}/v1/measurements", self.create(create_status))
        server.route(f"{prefix}/v1/measurements/m1", self.poll(codes))

    def create(self, status: int) -> servers.Route:
        def route(h: Handler) -> None:
            length = int(h.headers.get("Content-Length", "0"))
            self.requests.append(json.loads(h.rfile.read(length)))
            self.headers.append({k.lower(): v for k, v in h.headers.items()})
            if status == 429:
                h.reply(429, b'{"error": {"type": "rate_limit_exceeded"}}', {"Retry-After": "120"})
                return
            h.reply(status, json.dumps({"id": "m1", "probesCount": PROBES}).encode())

        return route

    def poll(self, codes: list[int | None]) -> servers.Route:
        def route(h: Handler) -> None:
            self.polls += 1
            if self.polls == 1:
                h.reply(200, json.dumps({"id": "m1", "status": "in-progress", "results": []}).encode())
                return
            results = [
                {
                    "probe": {"country": "DE", "city": "Berlin", "network": "Example ISP"},
                    "result": {"status": "finished", "statusCode": code}
                    if code is not None
                    else {"status": "failed", "rawOutput": "connect ETIMEDOUT"},
                }
                for code in codes
            ]
            h.reply(200, json.dumps({"id": "m1", "status": "finished", "results": results}).encode())

        return route


def _ask(
    base: str, host: str = "gateway.messenger.com", country: str = "DE", **options: Any
) -> tuple[Vantage, float | None]:
    """One question, polled every 10 ms; ``options`` go to ``ask`` (a clock, a give-up time)."""

    async def go() -> tuple[Vantage, float | None]:
        async with DirectClient(verifying_context(), 5.0, {"User-Agent": USER_AGENT}) as client:
            return await ask(Fetcher(client, {}), base, host, country, poll_every=0.01, **options)

    return asyncio.run(go())


RUNNING = json.dumps({"id": "m1", "status": "in-progress", "results": []}).encode()


def _measurement(server: LocalServer, prefix: str, poll: servers.Route) -> str:
    """A Globalping-shaped API at ``prefix`` that creates measurement m1 and answers its polls
    with ``poll``; returns its base URL."""

    def create(h: Handler) -> None:
        h.rfile.read(int(h.headers.get("Content-Length", "0")))
        h.reply(202, b'{"id": "m1"}')

    server.route(f"{prefix}/v1/measurements", create)
    server.route(f"{prefix}/v1/measurements/m1", poll)
    return server.url(prefix)


async def _questions_settle(watch: VantageWatch) -> None:
    """Questions run on after their cycle: wait for them to end (10 s at most)."""
    for _ in range(200):
        if not watch.running:
            return
        await asyncio.sleep(0.05)


def test_also_failing_elsewhere(https_server: LocalServer) -> None:
    api = Globalping(https_server, "/gp-fail", [None, None, 503])
    answer, blocked = _ask(api.base)
    assert (answer.working, answer.failing, blocked) == (0, 3, None)
    assert answer.words() == "gateway.messenger.com also fails from 3 of 3 other networks in DE"


def test_works_elsewhere_means_this_network(https_server: LocalServer) -> None:
    api = Globalping(https_server, "/gp-works", [200, 403, 301])
    answer, _ = _ask(api.base)
    assert answer.words() == "gateway.messenger.com works from 3 of 3 other networks in DE: it's this network"


def test_only_the_host_name_and_country_are_sent(https_server: LocalServer) -> None:
    api = Globalping(https_server, "/gp-sent", [200, 200, 200])
    _ask(api.base)
    (request,) = api.requests
    assert request == {
        "type": "http",
        "target": "gateway.messenger.com",
        "locations": [{"country": "DE", "limit": PROBES}],
        "limit": PROBES,
        "measurementOptions": {"protocol": "HTTPS", "request": {"method": "HEAD", "path": "/"}},
    }
    headers = api.headers[0]
    assert headers["user-agent"] == USER_AGENT
    assert "cookie" not in headers and "authorization" not in headers


def test_429_stops_every_question_until_its_reset(https_server: LocalServer) -> None:
    api = Globalping(https_server, "/gp-429", [], create_status=429)
    answer, blocked = _ask(api.base)
    assert answer.problem and not answer.words()
    assert blocked is not None and 100 < blocked - answer.asked_at <= 120
    budget = Budget().throttled(blocked)
    assert not budget.allowed("other.example", blocked - 1)
    assert budget.allowed("other.example", blocked)


@pytest.mark.parametrize(
    ("name", "body"),
    [("html", b"<html>hi</html>"), ("noid", b"{}"), ("badid", json.dumps({"id": "../../admin"}).encode())],
)
def test_a_wrong_answer_is_a_problem_never_evidence(https_server: LocalServer, name: str, body: bytes) -> None:
    https_server.route(f"/gp-{name}/v1/measurements", servers.ok(body, 202, "application/json"))
    answer, _ = _ask(https_server.url(f"/gp-{name}"))
    assert answer.problem and answer.words() == ""
    assert not any("admin" in hit for hit in https_server.hits)


def test_budget_keeps_within_the_hourly_limit_at_its_boundary() -> None:
    budget = Budget()
    asked = 0
    while budget.allowed(f"h{asked}", 0.0):
        budget = budget.spent(f"h{asked}", 0.0)
        asked += 1
    assert asked == HOURLY_TESTS // PROBES == 83  # 83 questions of 3 tests: 249 of 250
    assert not budget.allowed("later", 3599.5)  # still inside the hour
    assert budget.allowed("later", 3600.0)  # an hour on, the first tests no longer count


def test_each_host_at_most_every_10_minutes() -> None:
    budget = Budget().spent("a.example", 100.0)
    assert not budget.allowed("a.example", 100.0 + HOST_EVERY - 1)
    assert budget.allowed("a.example", 100.0 + HOST_EVERY)
    assert budget.allowed("b.example", 101.0)


def test_locale_gives_the_country() -> None:
    assert country_from_locale({"LANG": "de_DE.UTF-8"}) == "DE"
    assert country_from_locale({"LC_ALL": "pt_BR", "LANG": "en_US.UTF-8"}) == "BR"
    assert country_from_locale({"LANG": "C.UTF-8"}) == ""


def test_a_failing_service_is_asked_about_and_the_next_cycles_say_so(
    https_server: LocalServer, http_server: LocalServer
) -> None:
    api = Globalping(https_server, "/gp-cycle", [None, None, None])
    https_server.route("/gp-down", servers.ok(b"down", 503))
    ok = http_server.route("/ok", servers.ok(b"success"))
    service = Service("messenger", "Messenger", (), (Endpoint("web", Role.WEB, https_server.url("/gp-down")),))
    catalog = Catalog((service,), tuple(control(f"c{i}", ok) for i in range(3)), ())
    watch = VantageWatch(api.base, "DE")

    async def cycles() -> list[Any]:
        first = await run_cycle(catalog, ProbeSettings(timeout=2.0), vantage=watch)
        await _questions_settle(watch)
        second = await run_cycle(catalog, ProbeSettings(timeout=2.0), vantage=watch)
        return [first, second]

    first, second = asyncio.run(cycles())
    assert first.vantage == () and len(api.requests) == 1  # asked once, not once per cycle
    verdict = decide(second)
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert "Elsewhere: 127.0.0.1 also fails from 3 of 3 other networks in DE." in verdict.explanation


def test_your_own_failures_are_not_asked_about(http_server: LocalServer, https_server: LocalServer) -> None:
    api = Globalping(https_server, "/gp-local", [200, 200, 200])
    https_server.route("/gp-down2", servers.ok(b"down", 503))
    bad = http_server.route("/bad", servers.ok(b"login page"))
    service = Service("messenger", "Messenger", (), (Endpoint("web", Role.WEB, https_server.url("/gp-down2")),))
    catalog = Catalog((service,), tuple(control(f"c{i}", bad) for i in range(3)), ())
    watch = VantageWatch(api.base, "DE")
    asyncio.run(run_cycle(catalog, ProbeSettings(timeout=2.0), vantage=watch))
    assert api.requests == [] and not watch.running


def test_a_light_cycle_asks_no_one_elsewhere(https_server: LocalServer) -> None:
    # A light cycle asks no controls, so it cannot say your side works: the full matrix that
    # follows its failure decides whether a question is worth the budget.
    api = Globalping(https_server, "/gp-light", [200, 200, 200])
    https_server.route("/gp-down3", servers.ok(b"down", 503))
    service = Service("messenger", "Messenger", (), (Endpoint("web", Role.WEB, https_server.url("/gp-down3")),))
    watch = VantageWatch(api.base, "DE")

    async def light_cycle() -> bool:
        await run_cycle(Catalog((service,), (), ()), ProbeSettings(timeout=2.0), vantage=watch)
        started = watch.running  # a question runs on after its cycle: seen here, or never
        await asyncio.sleep(0.3)
        return bool(started)

    assert not asyncio.run(light_cycle())
    assert api.requests == []


def test_answers_stand_as_evidence_for_10_minutes() -> None:
    watch = VantageWatch("https://gp.invalid", "DE")
    watch.answers["a.example"] = Vantage("a.example", "DE", 1000.0, 0, 3)
    assert watch.fresh(1000.0 + RESULT_FRESH - 1) and not watch.fresh(1000.0 + RESULT_FRESH)


def test_a_measurement_that_never_finishes_is_given_up(https_server: LocalServer) -> None:
    base = _measurement(https_server, "/gp-slow", servers.ok(RUNNING, 200, "application/json"))
    answer, _ = _ask(base, "h.example", give_up_after=0.3)
    assert answer.problem == "the measurement did not finish in time" and answer.words() == ""


def test_the_hourly_limit_is_reached_exactly_not_passed() -> None:
    nearly = Budget(spent_at=(0.0,) * (HOURLY_TESTS - PROBES))  # 247 spent: 3 more make 250
    assert nearly.allowed("h.example", 1.0)
    over = Budget(spent_at=(0.0,) * (HOURLY_TESTS - PROBES + 1))  # 248 spent: 251 would pass it
    assert not over.allowed("h.example", 1.0)


def test_the_documented_limits() -> None:
    # docs/verdicts.md and the settings' help: 3 probes a question, each host at most every
    # 10 minutes, Globalping's 250 tests an hour (the 83 questions that fit: the budget test
    # above), answers standing for 10 minutes, at most 256 KiB read.
    from traywatch.vantage import ANSWER_CAP, POLL_EVERY

    assert (PROBES, HOURLY_TESTS, HOST_EVERY, RESULT_FRESH) == (3, 250, 600.0, 600.0)
    assert ANSWER_CAP == 256 * 1024 and POLL_EVERY >= 0.5  # Globalping asks for polls 0.5 s apart


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "120"}, 120),
        ({"x-ratelimit-reset": "300"}, 300),
        ({"retry-after": "99999"}, 3600),  # never longer than the limit's own hour
        ({"retry-after": "soon"}, 3600),
        ({"retry-after": "\u00b2"}, 3600),  # a digit to str.isdigit, not to int(): raised before
        ({"retry-after": "9" * 5000}, 3600),  # more digits than int() reads: raised before
        ({"retry-after": "\u0661\u0662\u0660", "x-ratelimit-reset": "60"}, 60),  # not ASCII: not ours to read
        ({}, 3600),
    ],
)
def test_how_long_a_429_stops_the_questions(headers: dict[str, str], wait: int) -> None:
    from traywatch.vantage import _retry_at

    assert _retry_at(headers, 1000.0) == 1000.0 + wait


@pytest.mark.parametrize(
    ("result", "counted"),
    [
        ({"status": "finished", "statusCode": 100}, (1, 0)),
        ({"status": "finished", "statusCode": 499}, (1, 0)),
        ({"status": "finished", "statusCode": 500}, (0, 1)),
        ({"status": "finished", "statusCode": 99}, (0, 1)),
        ({"status": "finished", "statusCode": True}, (0, 1)),
        ({"status": "failed"}, (0, 1)),
        ({"status": "in-progress"}, (0, 0)),
        ("not a result", (0, 0)),
    ],
)
def test_what_counts_as_working_elsewhere(result: object, counted: tuple[int, int]) -> None:
    from traywatch.vantage import _count

    assert _count({"results": [{"result": result}]}) == counted


@pytest.mark.parametrize("document", [{"status": "finished"}, {"status": "finished", "results": {}}])
def test_a_finished_measurement_without_results_is_a_problem(https_server: LocalServer, document: object) -> None:
    poll = servers.ok(json.dumps(document).encode(), 200, "application/json")
    answer, _ = _ask(_measurement(https_server, f"/gp-shape-{len(str(document))}", poll))
    assert answer.problem == "the measurement's answer is not in the expected shape" and answer.words() == ""


@pytest.mark.parametrize("status", [200, 201, 202])
def test_a_measurement_is_created_with_any_success(https_server: LocalServer, status: int) -> None:
    api = Globalping(https_server, f"/gp-created-{status}", [200, 200, 200], create_status=status)
    answer, _ = _ask(api.base)
    assert (answer.working, answer.problem) == (3, "")


def test_a_measurement_not_created_is_a_problem(https_server: LocalServer) -> None:
    https_server.route("/gp-204/v1/measurements", servers.ok(b"", 204))
    answer, blocked = _ask(https_server.url("/gp-204"))
    assert (answer.problem, blocked) == ("Globalping answers HTTP 204", None)


def test_a_429_while_polling_stops_the_questions_too(https_server: LocalServer) -> None:
    base = _measurement(https_server, "/gp-poll429", lambda h: h.reply(429, b"{}", {"Retry-After": "60"}))
    answer, blocked = _ask(base)
    assert answer.problem == "Globalping's hourly limit is reached"
    assert blocked is not None and 55 < blocked - answer.asked_at <= 61


def test_a_measurement_is_given_up_at_its_deadline_exactly(https_server: LocalServer) -> None:
    base = _measurement(https_server, "/gp-due", servers.ok(RUNNING, 200, "application/json"))
    clock = iter([100.0, 129.0, 130.0, 131.0])  # asked at 100: the deadline is 130
    answer, _ = _ask(base, "h.example", now=lambda: next(clock))
    assert answer.problem == "the measurement did not finish in time"
    assert next(clock) == 131.0  # gave up at the second look, when the clock read 130


def test_no_counts_say_nothing() -> None:
    assert Vantage("h.example", "DE", 0.0).words() == ""


def test_a_host_asked_about_is_not_asked_again_while_its_question_runs() -> None:
    watch = VantageWatch("https://gp.invalid", "DE")
    assert watch.wanted(["a.example", "a.example"], 0.0) == ["a.example"]
    watch.budget = Budget()  # even with budget to spare
    assert watch.wanted(["a.example"], 1.0) == []


def test_the_same_source_is_the_same_url_and_country() -> None:
    watch = VantageWatch("https://gp.example", "DE")
    assert watch.same_source(VantageWatch("https://gp.example", "DE"))
    assert not watch.same_source(VantageWatch("https://gp.example", "FR"))
    assert not watch.same_source(VantageWatch("https://other.example", "DE"))


@pytest.mark.parametrize(("failing_controls", "asked"), [(0, True), (1, True), (2, False)])
def test_others_are_asked_only_while_all_controls_but_one_answer(
    https_server: LocalServer, http_server: LocalServer, failing_controls: int, asked: bool
) -> None:
    api = Globalping(https_server, f"/gp-ctl{failing_controls}", [None, None, None])
    https_server.route(f"/gp-down-ctl{failing_controls}", servers.ok(b"down", 503))
    ok = http_server.route("/ok", servers.ok(b"success"))
    bad = http_server.route("/bad", servers.ok(b"login page"))
    service = Service(
        "messenger", "Messenger", (), (Endpoint("web", Role.WEB, https_server.url(f"/gp-down-ctl{failing_controls}")),)
    )
    controls = tuple(control(f"c{i}", bad if i < failing_controls else ok) for i in range(4))
    watch = VantageWatch(api.base, "DE")

    async def one_cycle() -> None:
        await run_cycle(Catalog((service,), controls, ()), ProbeSettings(timeout=2.0), vantage=watch)
        await _questions_settle(watch)

    asyncio.run(one_cycle())
    assert [r["target"] for r in api.requests] == (["127.0.0.1"] if asked else [])


def test_only_the_failing_hosts_are_asked_about(https_server: LocalServer, http_server: LocalServer) -> None:
    api = Globalping(https_server, "/gp-which", [None, None, None])
    ok = http_server.route("/ok", servers.ok(b"success"))
    refused = f"tcp://127.0.0.2:{servers.refused_port()}"  # nothing listens on 127.0.0.2
    services = (
        Service("messenger", "Messenger", (), (Endpoint("edge", Role.EDGE, refused),)),
        Service("whatsapp", "WhatsApp", (), (Endpoint("web", Role.WEB, https_server.url("/healthy-web")),)),
    )
    https_server.route("/healthy-web", servers.ok(b"fine"))
    watch = VantageWatch(api.base, "DE")

    async def one_cycle() -> None:
        controls = tuple(control(f"c{i}", ok) for i in range(3))
        await run_cycle(Catalog(services, controls, ()), ProbeSettings(timeout=2.0), vantage=watch)
        await _questions_settle(watch)

    asyncio.run(one_cycle())
    assert [r["target"] for r in api.requests] == ["127.0.0.2"]


def test_the_budget_forgets_what_is_past_and_keeps_one_question_a_host() -> None:
    # What it holds stays bounded for the app's life: the last hour's tests, one entry a host.
    budget = Budget().spent("c", 0.0).spent("b", 1.0).spent("a", 2.0)
    budget = budget.spent("a", 3600.0)
    # The first spend is exactly an hour old, and gone; the second, a second short of it, stays.
    assert budget.spent_at == (1.0,) * PROBES + (2.0,) * PROBES + (3600.0,) * PROBES
    assert budget.asked == (("a", 3600.0),)  # every other question is past its wait
    at = 1.0 + HOST_EVERY  # "b" exactly its wait ago, "a" a second short of it
    budget = Budget().spent("c", -HOST_EVERY).spent("b", 1.0).spent("a", 2.0).spent("d", at)
    assert budget.asked == (("a", 2.0), ("d", at))
    assert budget.spent("a", at + 1).asked == (("d", at), ("a", at + 1))  # asked again: one entry, the last
