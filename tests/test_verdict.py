"""The verdict rules, table-driven over hand-made observations (no network)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from traywatch.model import DnsStatus, DohAnswer, Layer, Observations, Outcome, ProbeResult, Role
from traywatch.statuspage import ProductStatus, StatusReport, level_of
from traywatch.vantage import Vantage
from traywatch.verdict import ServiceState, Side, VerdictKind, decide, describe, join_names

OK_LAYER = {Role.WEB: Layer.HTTP, Role.EDGE: Layer.TLS, Role.CONTROL: Layer.HTTP}


def p(
    target: str,
    host: str,
    outcome: Outcome = Outcome.OK,
    layer: Layer | None = None,
    *,
    role: Role = Role.WEB,
    status: int | None = None,
    ms: float = 50.0,
    detail: str = "",
    addresses: tuple[str, ...] = (),
) -> ProbeResult:
    return ProbeResult(
        target_id=target,
        endpoint_id=host.split(".", maxsplit=1)[0],
        role=role,
        url=f"https://{host}/",
        host=host,
        outcome=outcome,
        layer=layer or OK_LAYER[role],
        latency_ms=ms,
        detail=detail or outcome.value,
        status_code=status,
        addresses=addresses,
    )


def ctl(host: str, outcome: Outcome = Outcome.OK, layer: Layer = Layer.HTTP, **kw: object) -> ProbeResult:
    return p(host.split(".", maxsplit=1)[0], host, outcome, layer, role=Role.CONTROL, **kw)  # type: ignore[arg-type]


CONTROLS_OK = (
    ctl("connectivitycheck.gstatic.com"),
    ctl("captive.apple.com"),
    ctl("detectportal.firefox.com"),
    ctl("nmcheck.gnome.org"),
    ctl("1.1.1.1"),
)
NAMED = ("connectivitycheck.gstatic.com", "captive.apple.com", "detectportal.firefox.com", "nmcheck.gnome.org")
MESSENGER_OK = (p("messenger", "www.messenger.com"), p("messenger", "edge-chat.messenger.com", role=Role.EDGE))
INSTAGRAM_OK = (p("instagram", "www.instagram.com"), p("instagram", "edge-chat.instagram.com", role=Role.EDGE))


def doh(name: str, status: DnsStatus, *addresses: str, resolver: str = "cloudflare") -> DohAnswer:
    return DohAnswer(resolver, name, status, 20.0, tuple(addresses))


# Oct 2021: Meta's names fail at every resolver, the system's and DoH alike; others resolve.
META_DNS_FAILING = (
    p("messenger", "www.messenger.com", Outcome.SERVFAIL, Layer.DNS),
    p("messenger", "edge-chat.messenger.com", Outcome.SERVFAIL, Layer.DNS, role=Role.EDGE),
    *INSTAGRAM_OK,
)
META_DNS_ANSWERS = (
    doh("www.messenger.com", DnsStatus.SERVFAIL),
    doh("edge-chat.messenger.com", DnsStatus.SERVFAIL),
    doh("www.instagram.com", DnsStatus.NOERROR, "157.240.1.1"),
)


@dataclass
class Case:
    name: str
    services: tuple[ProbeResult, ...]
    controls: tuple[ProbeResult, ...]
    expect: VerdictKind
    doh: tuple[DohAnswer, ...] = ()
    headline: str = ""
    states: dict[str, ServiceState] = field(default_factory=dict)


CASES = [
    Case(
        "healthy",
        MESSENGER_OK + INSTAGRAM_OK,
        CONTROLS_OK,
        VerdictKind.ALL_CLEAR,
        headline="All clear",
        states={"messenger": ServiceState.UP, "instagram": ServiceState.UP},
    ),
    Case(
        "messenger web 503",
        (
            p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503"),
            MESSENGER_OK[1],
            *INSTAGRAM_OK,
        ),
        CONTROLS_OK,
        VerdictKind.SERVICE_DOWN,
        headline="It's not your wifi — Messenger is down",
        states={"messenger": ServiceState.DOWN, "instagram": ServiceState.UP},
    ),
    Case(
        "messaging edge fails while the site loads (Nov 2021)",
        (
            MESSENGER_OK[0],
            p("messenger", "edge-chat.messenger.com", Outcome.TIMEOUT, Layer.TLS, role=Role.EDGE),
            *INSTAGRAM_OK,
        ),
        CONTROLS_OK,
        VerdictKind.SERVICE_DOWN,
        headline="It's not your wifi — Messenger is down",
    ),
    Case(
        "two services down make one verdict",
        (
            p("messenger", "www.messenger.com", Outcome.REFUSED, Layer.TCP),
            MESSENGER_OK[1],
            p("instagram", "www.instagram.com", Outcome.RESET, Layer.HTTP),
            INSTAGRAM_OK[1],
        ),
        CONTROLS_OK,
        VerdictKind.SERVICE_DOWN,
        headline="It's not your wifi — Messenger and Instagram are down",
    ),
    Case(
        "slow service",
        (p("messenger", "www.messenger.com", ms=4000), MESSENGER_OK[1], *INSTAGRAM_OK),
        CONTROLS_OK,
        VerdictKind.DEGRADED,
        headline="Messenger is slow",
        states={"messenger": ServiceState.SLOW},
    ),
    Case(
        "Meta's DNS fails everywhere (Oct 2021)",
        META_DNS_FAILING,
        CONTROLS_OK,
        VerdictKind.META_DNS,
        doh=META_DNS_ANSWERS,
        headline="It's not your wifi — Meta's DNS is failing",
        states={"messenger": ServiceState.DOWN},
    ),
    Case(
        "system resolver stalls and DoH says SERVFAIL: Meta's DNS",
        (p("messenger", "www.messenger.com", Outcome.TIMEOUT, Layer.DNS), MESSENGER_OK[1]),
        CONTROLS_OK,
        VerdictKind.META_DNS,
        doh=(doh("www.messenger.com", DnsStatus.SERVFAIL),),
    ),
    Case(
        "name gone everywhere is a plain outage, not a DNS failure",
        (p("messenger", "www.messenger.com", Outcome.NXDOMAIN, Layer.DNS), MESSENGER_OK[1]),
        CONTROLS_OK,
        VerdictKind.SERVICE_DOWN,
        doh=(doh("www.messenger.com", DnsStatus.NXDOMAIN),),
    ),
    Case(
        "system resolver fails but DoH is unreachable: down at DNS, no guess",
        (p("messenger", "www.messenger.com", Outcome.SERVFAIL, Layer.DNS), MESSENGER_OK[1]),
        CONTROLS_OK,
        VerdictKind.SERVICE_DOWN,
    ),
    Case(
        "offline: every control fails",
        (p("messenger", "www.messenger.com", Outcome.UNREACHABLE, Layer.TCP),),
        tuple(ctl(h, Outcome.UNREACHABLE, Layer.TCP) for h in (*NAMED, "1.1.1.1")),
        VerdictKind.OFFLINE,
        headline="It's your connection",
        states={"messenger": ServiceState.UNKNOWN},
    ),
    Case(
        "offline with no DNS and no working DoH",
        MESSENGER_OK,
        (*(ctl(h, Outcome.SERVFAIL, Layer.DNS) for h in NAMED), ctl("1.1.1.1", Outcome.TIMEOUT, Layer.TCP)),
        VerdictKind.OFFLINE,
        doh=(doh("www.messenger.com", DnsStatus.UNAVAILABLE),),
    ),
    Case(
        "local DNS broken: names fail, IP-literal control works",
        (p("messenger", "www.messenger.com", Outcome.SERVFAIL, Layer.DNS),),
        (*(ctl(h, Outcome.SERVFAIL, Layer.DNS) for h in NAMED), ctl("1.1.1.1")),
        VerdictKind.LOCAL_DNS,
        headline="Your DNS is broken",
    ),
    Case(
        "local DNS dead: the resolver answers nothing, an IP-literal control works",
        (p("messenger", "www.messenger.com", Outcome.TIMEOUT, Layer.DNS),),
        (*(ctl(h, Outcome.TIMEOUT, Layer.DNS) for h in NAMED), ctl("1.1.1.1")),
        VerdictKind.LOCAL_DNS,
        headline="Your DNS is broken",
    ),
    Case(
        "timeouts past DNS are not a DNS failure",
        MESSENGER_OK,
        (*(ctl(h, Outcome.TIMEOUT, Layer.TCP) for h in NAMED), ctl("1.1.1.1")),
        VerdictKind.UNSTABLE,
    ),
    Case(
        "local DNS broken: only DoH proves the network works",
        (p("messenger", "www.messenger.com", Outcome.NXDOMAIN, Layer.DNS),),
        tuple(ctl(h, Outcome.NXDOMAIN, Layer.DNS) for h in NAMED),
        VerdictKind.LOCAL_DNS,
        doh=(doh("www.messenger.com", DnsStatus.NOERROR, "157.240.1.1"),),
    ),
    Case(
        "captive portal: controls redirect",
        MESSENGER_OK,
        (
            *(ctl(h, Outcome.REDIRECT_OFFSITE, status=302) for h in NAMED),
            ctl("1.1.1.1", Outcome.CERT_WRONG_HOST, Layer.TLS),
        ),
        VerdictKind.CAPTIVE_PORTAL,
        headline="This network wants you to sign in",
    ),
    Case(
        "captive portal: controls answer a login page",
        (p("messenger", "www.messenger.com", Outcome.CERT_WRONG_HOST, Layer.TLS),),
        (*(ctl(h, Outcome.UNEXPECTED_BODY, status=200) for h in NAMED[:3]), ctl("1.1.1.1", Outcome.TIMEOUT)),
        VerdictKind.CAPTIVE_PORTAL,
    ),
    Case(
        "one operator changing its answer is not a portal",
        MESSENGER_OK,
        (ctl(NAMED[0], Outcome.UNEXPECTED_BODY), *CONTROLS_OK[1:]),
        VerdictKind.ALL_CLEAR,
    ),
    Case(
        "one control failing is not instability",
        MESSENGER_OK,
        (ctl(NAMED[0], Outcome.TIMEOUT), *CONTROLS_OK[1:]),
        VerdictKind.ALL_CLEAR,
    ),
    Case(
        "unstable: controls disagree",
        (p("messenger", "www.messenger.com", Outcome.TIMEOUT),),
        (*CONTROLS_OK[:2], *(ctl(h, Outcome.TIMEOUT, Layer.TCP) for h in NAMED[2:]), ctl("x.example", Outcome.RESET)),
        VerdictKind.UNSTABLE,
        headline="Your connection is unstable",
        states={"messenger": ServiceState.UNKNOWN},
    ),
    Case(
        "blocked: Meta names resolve to 0.0.0.0",
        (
            p("messenger", "www.messenger.com", Outcome.SINKHOLED, Layer.DNS, addresses=("0.0.0.0",)),
            MESSENGER_OK[1],
            *INSTAGRAM_OK,
        ),
        CONTROLS_OK,
        VerdictKind.BLOCKED,
        headline="Messenger is blocked on this network",
        states={"messenger": ServiceState.BLOCKED, "instagram": ServiceState.UP},
    ),
    Case(
        "blocked: certificate from an unknown issuer only on Meta hosts",
        (p("messenger", "www.messenger.com", Outcome.CERT_UNKNOWN_ISSUER, Layer.TLS), MESSENGER_OK[1]),
        CONTROLS_OK,
        VerdictKind.BLOCKED,
    ),
    Case(
        "blocked: HTTP 451",
        (p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=451),),
        CONTROLS_OK,
        VerdictKind.BLOCKED,
    ),
    Case(
        "blocked: reset during the TLS handshake",
        (p("messenger", "www.messenger.com", Outcome.RESET, Layer.TLS),),
        CONTROLS_OK,
        VerdictKind.BLOCKED,
    ),
    Case(
        "blocked: DNS filter answers NXDOMAIN while DoH resolves",
        (p("messenger", "www.messenger.com", Outcome.NXDOMAIN, Layer.DNS),),
        CONTROLS_OK,
        VerdictKind.BLOCKED,
        doh=(doh("www.messenger.com", DnsStatus.NOERROR, "157.240.1.1"),),
    ),
    Case(
        "reset mid-response is an outage, not a block",
        (p("messenger", "www.messenger.com", Outcome.RESET, Layer.HTTP),),
        CONTROLS_OK,
        VerdictKind.SERVICE_DOWN,
    ),
    Case(
        "skipped probes do not count",
        (p("messenger", "edge-chat.messenger.com", Outcome.SKIPPED, Layer.DNS, role=Role.EDGE), MESSENGER_OK[0]),
        CONTROLS_OK,
        VerdictKind.ALL_CLEAR,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict_rules(case: Case) -> None:
    obs = Observations(
        services=case.services,
        controls=case.controls,
        doh=case.doh,
        slow_ms=2500,
        service_names=(("messenger", "Messenger"), ("instagram", "Instagram")),
    )
    verdict = decide(obs)
    assert verdict.kind is case.expect, verdict.explanation
    if case.headline:
        assert verdict.headline == case.headline
    states = {s.id: s.state for s in verdict.services}
    for sid, state in case.states.items():
        assert states[sid] is state
    assert verdict.explanation and verdict.evidence


def test_service_down_explanation_names_layer_and_controls() -> None:
    obs = Observations(
        services=(p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503"),),
        controls=CONTROLS_OK,
        doh=(),
        slow_ms=2500,
        service_names=(("messenger", "Messenger"),),
    )
    verdict = decide(obs)
    assert verdict.explanation == "www.messenger.com answers HTTP 503; your connection works: 5/5 checks."
    assert verdict.affected == ("messenger",)
    assert verdict.services[0].failing_layer is Layer.HTTP
    assert "www.messenger.com: answers HTTP 503 (http)" in verdict.evidence


def test_sides() -> None:
    assert VerdictKind.ALL_CLEAR.side is Side.NONE
    assert {k for k in VerdictKind if k.side is Side.THEM} == {
        VerdictKind.SERVICE_DOWN,
        VerdictKind.DEGRADED,
        VerdictKind.META_DNS,
        VerdictKind.META_REPORTS,
    }


@pytest.mark.parametrize(
    ("names", "text"),
    [
        (["A"], "A"),
        (["A", "B"], "A and B"),
        (["A", "B", "C"], "A, B and C"),
        (["A", "B", "C", "D"], "A, B and 2 more"),
    ],
)
def test_join_names(names: list[str], text: str) -> None:
    assert join_names(names) == text


def test_offline_explanation_counts_what_failed() -> None:
    controls = (
        *(ctl(h, Outcome.NXDOMAIN, Layer.DNS) for h in NAMED),
        ctl("1.1.1.1", Outcome.CERT_WRONG_HOST, Layer.TLS),
    )
    verdict = decide(Observations(MESSENGER_OK, controls, (), 2500))
    assert verdict.explanation == (
        "None of the 5 independent checks answer: 4 do not resolve, 1 shows a certificate that is not its own. "
        "Meta is not the problem."
    )


def test_a_service_failure_with_shaky_controls_does_not_say_the_connection_works() -> None:
    shaky = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT), ctl("nmcheck2.gnome.org", Outcome.RESET))
    messenger_503 = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503")
    verdict = decide(Observations((messenger_503, MESSENGER_OK[1]), shaky, (), 2500))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert "works" not in verdict.explanation
    assert "only 4/6 checks answer" in verdict.explanation
    one_off = (*CONTROLS_OK, ctl("nmcheck2.gnome.org", Outcome.RESET))
    verdict = decide(Observations((messenger_503, MESSENGER_OK[1]), one_off, (), 2500))
    assert "your connection works: 5/6 checks" in verdict.explanation


# The chat layer and Meta's status page.

MESSENGER_CHAT_OK = (
    p("messenger", "www.messenger.com"),
    p("messenger", "gateway.messenger.com", role=Role.EDGE, layer=Layer.CHAT, status=101),
)
PRODUCTS = (("messenger", ("messenger",)), ("instagram", ("ig-messenger",)))


def page(*products: tuple[str, str, str], problem: str = "", since: float | None = None) -> StatusReport:
    return StatusReport(
        1_800_000_000.0,
        tuple(ProductStatus(pid, name, level_of(text), text, since) for pid, name, text in products),
        problem,
    )


NAMES = (("messenger", "Messenger"), ("instagram", "Instagram"))


def obs_of(
    services: tuple[ProbeResult, ...],
    controls: tuple[ProbeResult, ...] = CONTROLS_OK,
    *,
    answers: tuple[DohAnswer, ...] = (),
    vantage: tuple[Vantage, ...] = (),
    status_page: StatusReport | None = None,
    status_products: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> Observations:
    """What one cycle saw of Messenger and Instagram, slow above 2.5 s."""
    return Observations(
        services,
        controls,
        answers,
        2500,
        service_names=NAMES,
        vantage=vantage,
        status_page=status_page,
        status_products=status_products,
    )


def meta_obs(services: tuple[ProbeResult, ...], report: StatusReport | None) -> Observations:
    return obs_of(services, status_page=report, status_products=PRODUCTS)


CHAT_502 = (
    p("messenger", "www.messenger.com"),
    p(
        "messenger",
        "gateway.messenger.com",
        Outcome.HTTP_STATUS,
        Layer.CHAT,
        role=Role.EDGE,
        status=502,
        detail="the chat service behind the edge fails: answers 502",
    ),
)


def test_chat_service_down_behind_a_working_edge() -> None:
    verdict = decide(meta_obs(CHAT_502 + INSTAGRAM_OK, None))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert verdict.headline == "It's not your wifi — Messenger is down"
    assert verdict.explanation.startswith("Messenger's site loads, but its chat connection fails")
    assert verdict.services[0].failing_layer is Layer.CHAT


def test_site_down_too_is_not_called_behind_the_edge() -> None:
    both = (
        p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503"),
        CHAT_502[1],
    )
    verdict = decide(meta_obs(both, None))
    assert verdict.kind is VerdictKind.SERVICE_DOWN and "site loads" not in verdict.explanation


def test_throttled_probe_counts_for_nothing() -> None:
    throttled = p("messenger", "gateway.messenger.com", Outcome.THROTTLED, Layer.CHAT, role=Role.EDGE, status=429)
    verdict = decide(meta_obs((MESSENGER_CHAT_OK[0], throttled), None))
    assert verdict.kind is VerdictKind.ALL_CLEAR


def test_meta_reports_a_service_that_works_from_here() -> None:
    report = page(("messenger", "Messenger Platform", "Major disruptions"), since=1_800_000_000.0 - 600)
    verdict = decide(meta_obs(MESSENGER_CHAT_OK + INSTAGRAM_OK, report))
    assert verdict.kind is VerdictKind.META_REPORTS
    assert verdict.kind.side is Side.THEM
    assert verdict.headline == "Meta reports problems with Messenger"
    assert verdict.explanation.startswith("Messenger still connects from here. Meta's status page: Messenger Platform")
    assert "major disruptions since" in verdict.explanation
    states = {s.id: s.state for s in verdict.services}
    assert states == {"messenger": ServiceState.REPORTED, "instagram": ServiceState.UP}
    assert verdict.affected == ("messenger",)


@pytest.mark.parametrize("text", ["Low disruptions", "No known issues", "Resolved", "Scheduled maintenance"])
def test_low_or_no_disruption_is_no_verdict_of_its_own(text: str) -> None:
    verdict = decide(meta_obs(MESSENGER_CHAT_OK + INSTAGRAM_OK, page(("messenger", "Messenger Platform", text))))
    assert verdict.kind is VerdictKind.ALL_CLEAR


@pytest.mark.parametrize("text", ["Medium disruptions", "High disruptions", "Major disruptions"])
def test_medium_and_worse_are_reported(text: str) -> None:
    verdict = decide(meta_obs(MESSENGER_CHAT_OK + INSTAGRAM_OK, page(("messenger", "Messenger Platform", text))))
    assert verdict.kind is VerdictKind.META_REPORTS


def test_a_product_no_service_maps_to_is_ignored() -> None:
    report = page(("ads-manager", "Ads Manager", "Major disruptions"))
    assert decide(meta_obs(MESSENGER_CHAT_OK + INSTAGRAM_OK, report)).kind is VerdictKind.ALL_CLEAR


def test_down_and_meta_confirms() -> None:
    report = page(("messenger", "Messenger Platform", "High disruptions"), since=1_800_000_000.0)
    verdict = decide(meta_obs(CHAT_502 + INSTAGRAM_OK, report))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert "Meta's status page confirms: Messenger Platform — high disruptions since" in verdict.explanation


def test_down_and_meta_has_not_acknowledged_it() -> None:
    report = page(("messenger", "Messenger Platform", "No known issues"))
    verdict = decide(meta_obs(CHAT_502 + INSTAGRAM_OK, report))
    assert verdict.explanation.endswith("Meta hasn't acknowledged it yet.")


def test_down_with_the_page_unavailable_says_neither() -> None:
    verdict = decide(meta_obs(CHAT_502 + INSTAGRAM_OK, page(problem="the answer is not JSON")))
    assert "acknowledged" not in verdict.explanation and "confirms" not in verdict.explanation
    assert "Meta's status page: unavailable (the answer is not JSON)" in verdict.evidence


def test_one_down_and_another_reported_together() -> None:
    report = page(
        ("messenger", "Messenger Platform", "Major disruptions"),
        ("ig-messenger", "Instagram Messaging", "Medium disruptions"),
    )
    verdict = decide(meta_obs(CHAT_502 + INSTAGRAM_OK, report))
    assert verdict.kind is VerdictKind.SERVICE_DOWN  # what the probes see comes first
    assert "Meta's status page confirms: Messenger Platform" in verdict.explanation
    states = {s.id: s.state for s in verdict.services}
    assert states == {"messenger": ServiceState.DOWN, "instagram": ServiceState.REPORTED}
    assert set(verdict.affected) == {"messenger", "instagram"}


# Boundaries: each test fails when its rule's comparison or cut moves by one.


@pytest.mark.parametrize(
    ("outcome", "layer"),
    [(Outcome.REFUSED, Layer.TCP), (Outcome.TIMEOUT, Layer.TLS), (Outcome.RESET, Layer.HTTP)],
)
def test_a_failure_without_a_filters_mark_is_down_not_blocked(outcome: Outcome, layer: Layer) -> None:
    # A reset counts as a filter's mark only during a handshake; a refusal or a stall never does.
    failing = p("messenger", "www.messenger.com", outcome, layer)
    verdict = decide(obs_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK)))
    assert verdict.kind is VerdictKind.SERVICE_DOWN


def test_a_reset_during_the_handshake_is_a_filters_mark() -> None:
    failing = p("messenger", "www.messenger.com", Outcome.RESET, Layer.TLS)
    verdict = decide(obs_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK)))
    assert verdict.kind is VerdictKind.BLOCKED
    assert verdict.evidence[0] == "www.messenger.com is reset during the TLS handshake"


def test_an_error_answer_is_down_even_when_public_dns_fails_for_the_name() -> None:
    # Meta's DNS is blamed only for failures at the DNS layer.
    failing = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503")
    answers = (doh("www.messenger.com", DnsStatus.SERVFAIL),)
    verdict = decide(obs_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK), answers=answers))
    assert verdict.kind is VerdictKind.SERVICE_DOWN


def test_an_unstable_connection_names_only_the_failing_checks() -> None:
    controls = (*CONTROLS_OK[:2], *(ctl(c.host, Outcome.TIMEOUT) for c in CONTROLS_OK[2:]))
    verdict = decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, controls))
    assert verdict.kind is VerdictKind.UNSTABLE
    assert verdict.explanation == "Only 2/5 checks answer right; of the rest, 3 time out."


def test_an_unstable_connection_counts_a_check_showing_a_sign_in_page_among_all_checks() -> None:
    portal = ctl(CONTROLS_OK[0].host, Outcome.REDIRECT_OFFSITE, status=302)
    controls = (portal, *CONTROLS_OK[1:3], *(ctl(c.host, Outcome.TIMEOUT) for c in CONTROLS_OK[3:]))
    verdict = decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, controls))
    assert verdict.kind is VerdictKind.UNSTABLE
    assert verdict.explanation == "Only 2/5 checks answer right; of the rest, 2 time out."


def test_three_of_five_checks_answering_is_the_least_that_is_not_unstable() -> None:
    controls = (*CONTROLS_OK[:3], *(ctl(c.host, Outcome.TIMEOUT) for c in CONTROLS_OK[3:]))
    assert decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, controls)).kind is VerdictKind.ALL_CLEAR


def test_checks_answering_a_second_behind_the_fastest_are_a_lossy_connection_not_meta() -> None:
    # Packets lost on the way: a lost SYN or DNS query costs TCP or the resolver a second or more,
    # so some checks answer at once and others seconds later; Meta's probes time out the same way.
    controls = (
        ctl(NAMED[0], ms=12),
        ctl(NAMED[1], ms=1400),
        ctl(NAMED[2], ms=2100),
        ctl(NAMED[3], ms=30),
        ctl("1.1.1.1", Outcome.TIMEOUT),
    )
    failing = p("messenger", "www.messenger.com", Outcome.TIMEOUT, Layer.TLS)
    verdict = decide(obs_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK), controls))
    assert verdict.kind is VerdictKind.UNSTABLE
    assert verdict.explanation == (
        "Only 2/5 checks answer in good time; of the rest, 2 answer over a second late, 1 times out."
    )
    assert verdict.controls_ok == 4  # answers all the same
    one_late = (
        ctl(NAMED[0], ms=12),
        ctl(NAMED[1], ms=30),
        ctl(NAMED[2], Outcome.TIMEOUT),
        ctl(NAMED[3], ms=1500),
        ctl("1.1.1.1", Outcome.TIMEOUT),
    )
    verdict = decide(obs_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK), one_late))
    assert verdict.explanation == (
        "Only 2/5 checks answer in good time; of the rest, 1 answers over a second late, 2 time out."
    )


@pytest.mark.parametrize(("behind", "kind"), [(1000.0, VerdictKind.ALL_CLEAR), (1001.0, VerdictKind.UNSTABLE)])
def test_late_means_more_than_a_second_behind_the_fastest_check(behind: float, kind: VerdictKind) -> None:
    controls = (*(ctl(c.host, ms=20) for c in CONTROLS_OK[:2]), *(ctl(c.host, ms=20 + behind) for c in CONTROLS_OK[2:]))
    assert decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, controls)).kind is kind


def test_a_link_on_which_every_check_is_as_slow_is_not_unstable() -> None:
    # A satellite link: every answer takes two seconds, none is lost.
    controls = tuple(ctl(c.host, ms=1900 + 100 * i) for i, c in enumerate(CONTROLS_OK))
    assert decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, controls)).kind is VerdictKind.ALL_CLEAR


def test_as_many_portal_signs_as_answers_is_a_portal_and_fewer_is_not() -> None:
    portal = tuple(ctl(c.host, Outcome.REDIRECT_OFFSITE, status=302) for c in CONTROLS_OK[:2])
    timeout = ctl(CONTROLS_OK[4].host, Outcome.TIMEOUT)
    even = (*portal, *CONTROLS_OK[2:4], timeout)  # 2 portal signs, 2 answers
    assert decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, even)).kind is VerdictKind.CAPTIVE_PORTAL
    fewer = (portal[0], *CONTROLS_OK[1:])  # 1 portal sign, 4 answers
    assert decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, fewer)).kind is not VerdictKind.CAPTIVE_PORTAL


def test_slow_means_slower_than_the_threshold() -> None:
    at_bound = p("messenger", "www.messenger.com", ms=2500)
    assert decide(obs_of((at_bound, MESSENGER_OK[1], *INSTAGRAM_OK))).kind is VerdictKind.ALL_CLEAR
    over = p("messenger", "www.messenger.com", ms=2501)
    assert decide(obs_of((over, MESSENGER_OK[1], *INSTAGRAM_OK))).kind is VerdictKind.DEGRADED


def test_slowness_in_a_cycle_that_lost_packets_is_not_put_on_meta() -> None:
    # One check answered a second behind the rest: a packet was lost on the way, and a slow
    # answer from Messenger in the same cycle may be that too. Meta is not called slow on it.
    slow = p("messenger", "www.messenger.com", ms=2600)
    one_late = (*CONTROLS_OK[:4], ctl("1.1.1.1", ms=1051))  # 1001 ms behind the 50 ms of the rest
    verdict = decide(obs_of((slow, MESSENGER_OK[1], *INSTAGRAM_OK), one_late))
    assert verdict.kind is VerdictKind.ALL_CLEAR
    in_time = (*CONTROLS_OK[:4], ctl("1.1.1.1", ms=1050))
    assert decide(obs_of((slow, MESSENGER_OK[1], *INSTAGRAM_OK), in_time)).kind is VerdictKind.DEGRADED


def test_a_probe_that_answered_without_a_detail_reads_ok() -> None:
    assert describe(replace(MESSENGER_OK[0], detail="")) == "www.messenger.com: ok (50 ms)"


def test_local_dns_evidence_quotes_at_most_three_doh_answers() -> None:
    controls = (*(ctl(h, Outcome.NXDOMAIN, Layer.DNS) for h in NAMED), CONTROLS_OK[4])
    answers = tuple(doh(f"host{i}.example", DnsStatus.NOERROR, "192.0.2.1") for i in range(4))
    verdict = decide(obs_of(MESSENGER_OK + INSTAGRAM_OK, controls, answers=answers))
    assert verdict.kind is VerdictKind.LOCAL_DNS
    assert [e for e in verdict.evidence if e.startswith("DoH")] == [
        f"DoH cloudflare: noerror for host{i}.example" for i in range(3)
    ]


def test_a_service_with_nothing_answering_is_not_called_behind_the_edge() -> None:
    # Another service answering says nothing about this one's site.
    verdict = decide(meta_obs((CHAT_502[1], *INSTAGRAM_OK), None))
    assert verdict.kind is VerdictKind.SERVICE_DOWN and "site loads" not in verdict.explanation


def test_a_site_answering_an_error_beside_a_working_edge_is_not_behind_the_edge() -> None:
    site_503 = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503")
    verdict = decide(meta_obs((site_503, MESSENGER_OK[1], *INSTAGRAM_OK), None))
    assert verdict.kind is VerdictKind.SERVICE_DOWN and "site loads" not in verdict.explanation


def test_low_disruptions_on_the_page_confirm_an_outage_seen_here() -> None:
    report = page(("messenger", "Messenger Platform", "Low disruptions"))
    verdict = decide(meta_obs(CHAT_502 + INSTAGRAM_OK, report))
    assert "Meta's status page confirms: Messenger Platform — low disruptions" in verdict.explanation


def test_the_evidence_quotes_only_the_products_the_services_map_to() -> None:
    report = page(
        ("messenger", "Messenger Platform", "No known issues"), ("ads-manager", "Ads Manager", "Major disruptions")
    )
    verdict = decide(meta_obs(MESSENGER_CHAT_OK + INSTAGRAM_OK, report))
    quoted = [e for e in verdict.evidence if e.startswith("Meta's status page")]
    assert len(quoted) == 1 and "Messenger Platform" in quoted[0]


def test_a_block_names_only_the_blocked_hosts_elsewhere() -> None:
    blocked = p("messenger", "www.messenger.com", Outcome.SINKHOLED, Layer.DNS, addresses=("0.0.0.0",))
    elsewhere = (
        Vantage("www.messenger.com", "DE", 0.0, working=3),
        Vantage("edge-chat.messenger.com", "DE", 0.0, failing=3),  # answered here: not part of the block
        Vantage("www.instagram.com", "DE", 0.0, failing=3),
    )
    verdict = decide(obs_of((blocked, MESSENGER_OK[1], *INSTAGRAM_OK), vantage=elsewhere))
    assert verdict.kind is VerdictKind.BLOCKED
    assert verdict.explanation.count("Elsewhere:") == 1
    assert f"Elsewhere: {elsewhere[0].words()}." in verdict.explanation


def test_public_dns_without_an_address_is_no_proof_of_a_block() -> None:
    failing = p("messenger", "www.messenger.com", Outcome.NXDOMAIN, Layer.DNS)
    answers = (doh("www.messenger.com", DnsStatus.NOERROR),)  # an answer with no address in it
    verdict = decide(obs_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK), answers=answers))
    assert verdict.kind is VerdictKind.SERVICE_DOWN


@pytest.mark.parametrize(("ms", "shown"), [(2549, "2.5"), (2551, "2.6")])
def test_a_slow_service_is_told_in_seconds(ms: float, shown: str) -> None:
    slow = p("messenger", "www.messenger.com", ms=ms)
    verdict = decide(obs_of((slow, MESSENGER_OK[1], *INSTAGRAM_OK)))
    assert f"took {shown} s to answer once connected (slow above 2.5 s)" in verdict.explanation
    assert verdict.services[0].reason == f"slow: {shown} s"


# A lossy link: the checks lose answers, and Meta's probes lose theirs as often.

MESSENGER_TIMES_OUT = p("messenger", "www.messenger.com", Outcome.TIMEOUT, Layer.TLS, detail="timed out")
EDGE_TIMES_OUT = p("messenger", "edge-chat.messenger.com", Outcome.TIMEOUT, Layer.TCP, role=Role.EDGE)


def test_a_meta_timeout_no_likelier_than_the_checks_losses_is_the_connection() -> None:
    # One check in five times out, and one of Messenger's two addresses: 36 % of cycles lose at
    # least one of two answers at that rate. Nothing singles Messenger out.
    controls = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT))
    verdict = decide(obs_of((MESSENGER_TIMES_OUT, MESSENGER_OK[1], *INSTAGRAM_OK), controls))
    assert verdict.kind is VerdictKind.UNSTABLE
    assert verdict.headline == "Your connection is unstable"
    assert verdict.explanation == (
        "1/5 checks lose their answers (1 times out), and Meta's sites as often (1 of 4 asked): "
        "packets are lost on the way, not an outage."
    )
    assert {s.state for s in verdict.services} == {ServiceState.UNKNOWN}
    # With every check answering, the same timeout is Messenger's (a suspicion the monitor checks).
    assert decide(obs_of((MESSENGER_TIMES_OUT, MESSENGER_OK[1], *INSTAGRAM_OK))).kind is VerdictKind.SERVICE_DOWN


def test_a_check_answering_late_is_a_lost_answer_too() -> None:
    controls = (*CONTROLS_OK[:4], ctl("1.1.1.1", ms=1200))  # 1150 ms behind the rest: a lost packet
    verdict = decide(obs_of((MESSENGER_TIMES_OUT, MESSENGER_OK[1], *INSTAGRAM_OK), controls))
    assert verdict.kind is VerdictKind.UNSTABLE
    assert verdict.explanation.startswith("1/5 checks lose their answers (1 answers over a second late), and")


@pytest.mark.parametrize(
    ("checks", "kind"),
    [
        # Both of Messenger's addresses time out: at one check lost in five, 4 % of cycles would.
        (5, VerdictKind.SERVICE_DOWN),
        # One lost in four: 6.25 % would, more than one cycle in 20, so it says nothing.
        (4, VerdictKind.UNSTABLE),
    ],
)
def test_a_service_is_down_on_timeouts_only_when_chance_gives_them_under_one_in_twenty(
    checks: int, kind: VerdictKind
) -> None:
    controls = (*CONTROLS_OK[: checks - 1], ctl("1.1.1.1", Outcome.TIMEOUT))
    verdict = decide(obs_of((MESSENGER_TIMES_OUT, EDGE_TIMES_OUT, *INSTAGRAM_OK), controls))
    assert verdict.kind is kind


@pytest.mark.parametrize(
    ("checks", "kind"),
    [
        (10, VerdictKind.SERVICE_DOWN),  # two of three at one check lost in ten: 2.8 % of cycles
        (6, VerdictKind.UNSTABLE),  # ...at one lost in six: 7.4 %
    ],
)
def test_some_of_a_services_addresses_failing_are_weighed_against_those_answering(
    checks: int, kind: VerdictKind
) -> None:
    controls = (*(ctl(f"check{i}.example.org") for i in range(checks - 1)), ctl("1.1.1.1", Outcome.TIMEOUT))
    verdict = decide(obs_of((MESSENGER_TIMES_OUT, EDGE_TIMES_OUT, p("messenger", "api.messenger.com")), controls))
    assert verdict.kind is kind


def test_odds_of_exactly_one_in_twenty_are_chance() -> None:
    # One check in twenty lost, and Messenger asked once: it fails by chance one time in 20.
    controls = (*(ctl(f"check{i}.example.org") for i in range(19)), ctl("1.1.1.1", Outcome.TIMEOUT))
    verdict = decide(obs_of((MESSENGER_TIMES_OUT,), controls))
    assert verdict.kind is VerdictKind.UNSTABLE


def test_failures_the_checks_do_not_share_are_the_services_own() -> None:
    controls = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT))
    messenger_503 = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503")
    reset = p("messenger", "www.messenger.com", Outcome.RESET, Layer.HTTP, detail="connection reset")
    for failing in (messenger_503, reset):
        verdict = decide(obs_of((failing, MESSENGER_OK[1], *INSTAGRAM_OK), controls))
        assert verdict.kind is VerdictKind.SERVICE_DOWN, failing.outcome
    # A reset that a check suffered too is as likely the link's.
    reset_too = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.RESET, Layer.TCP))
    verdict = decide(obs_of((reset, MESSENGER_OK[1], *INSTAGRAM_OK), reset_too))
    assert verdict.kind is VerdictKind.UNSTABLE


def test_a_service_the_losses_explain_is_not_judged_beside_one_that_is_down() -> None:
    controls = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT))
    instagram_503 = p("instagram", "www.instagram.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503")
    verdict = decide(obs_of((MESSENGER_TIMES_OUT, MESSENGER_OK[1], instagram_503, INSTAGRAM_OK[1]), controls))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert verdict.affected == ("instagram",)
    assert {s.id: s.state for s in verdict.services}["messenger"] is ServiceState.UNKNOWN


def test_slowness_beside_a_check_that_failed_is_not_put_on_meta() -> None:
    slow = p("messenger", "www.messenger.com", ms=2600)
    controls = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT))
    assert decide(obs_of((slow, MESSENGER_OK[1], *INSTAGRAM_OK), controls)).kind is VerdictKind.ALL_CLEAR


def test_a_service_failing_while_the_connection_is_patchy_does_not_say_it_is_not_your_wifi() -> None:
    patchy = (*CONTROLS_OK[:3], *(ctl(c.host, Outcome.TIMEOUT) for c in CONTROLS_OK[3:]))  # 3/5 answer
    messenger_503 = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503")
    verdict = decide(obs_of((messenger_503, MESSENGER_OK[1], *INSTAGRAM_OK), patchy))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert verdict.headline == "Messenger is not working — but your connection is patchy too"
    one_off = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT))  # all but one: the connection works
    verdict = decide(obs_of((messenger_503, MESSENGER_OK[1], *INSTAGRAM_OK), one_off))
    assert verdict.headline == "It's not your wifi — Messenger is down"


# A clock far off: every certificate reads as expired, or not yet valid, while plain checks answer.


def _dated(outcome: Outcome) -> tuple[ProbeResult, ...]:
    return (
        p("messenger", "www.messenger.com", outcome, Layer.TLS),
        p("messenger", "edge-chat.messenger.com", outcome, Layer.TLS, role=Role.EDGE),
        p("instagram", "www.instagram.com", outcome, Layer.TLS),
        p("instagram", "edge-chat.instagram.com", outcome, Layer.TLS, role=Role.EDGE),
    )


@pytest.mark.parametrize("outcome", [Outcome.CERT_EXPIRED, Outcome.CERT_NOT_YET_VALID])
def test_every_certificate_out_of_date_is_this_computers_clock(outcome: Outcome) -> None:
    verdict = decide(replace(obs_of(_dated(outcome)), started_at=1_577_880_000.0))  # 2020-01-01, noon UTC
    assert verdict.kind is VerdictKind.CLOCK
    assert verdict.kind.side is Side.YOU
    assert verdict.headline == "Your computer's clock is wrong"
    assert "This computer's clock says 2020-01-01 " in verdict.explanation
    assert {s.state for s in verdict.services} == {ServiceState.UNKNOWN}


def test_one_services_expired_certificate_beside_others_that_verify_is_that_service_down() -> None:
    expired = _dated(Outcome.CERT_EXPIRED)[:2]
    verdict = decide(obs_of((*expired, *INSTAGRAM_OK)))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert verdict.affected == ("messenger",)


def test_a_clock_needs_two_services_out_of_date_and_no_certificate_that_verifies() -> None:
    # One service only: Meta's own mistake looks the same, so it is that service's.
    assert decide(obs_of(_dated(Outcome.CERT_EXPIRED)[:2])).kind is VerdictKind.SERVICE_DOWN
    # A plain TCP host answering proves nothing of dates; a verified certificate does.
    tcp_ok = p("whatsapp", "g.whatsapp.net", role=Role.EDGE, layer=Layer.TCP)
    tcp_ok = replace(tcp_ok, url="tcp://g.whatsapp.net:443")
    assert decide(obs_of((*_dated(Outcome.CERT_EXPIRED), tcp_ok))).kind is VerdictKind.CLOCK
    verified = p("whatsapp", "web.whatsapp.com")
    assert decide(obs_of((*_dated(Outcome.CERT_EXPIRED), verified))).kind is VerdictKind.SERVICE_DOWN


def test_slow_counts_the_time_the_servers_took_not_finding_and_reaching_them() -> None:
    # A lookup asked again (1.5 s) and a connection request sent again (1 s): lost packets on the
    # way, not a slow server, which took 1.6 s; then 3 s of an answer coming, which is the server's.
    lost_on_the_way = replace(
        p("messenger", "www.messenger.com", ms=4100),
        layer_ms=((Layer.DNS, 1504.0), (Layer.TCP, 1016.0), (Layer.TLS, 40.0), (Layer.HTTP, 1540.0)),
    )
    assert decide(obs_of((lost_on_the_way, MESSENGER_OK[1], *INSTAGRAM_OK))).kind is VerdictKind.ALL_CLEAR
    answering_slowly = replace(
        p("messenger", "www.messenger.com", ms=3100),
        layer_ms=((Layer.DNS, 20.0), (Layer.TCP, 20.0), (Layer.TLS, 60.0), (Layer.HTTP, 3000.0)),
    )
    verdict = decide(obs_of((answering_slowly, MESSENGER_OK[1], *INSTAGRAM_OK)))
    assert verdict.kind is VerdictKind.DEGRADED
    assert verdict.explanation.startswith("www.messenger.com took 3.1 s to answer once connected")
    # At the bound: 2.5 s of the servers' own time is not slow yet.
    at_bound = replace(answering_slowly, latency_ms=2540.0, layer_ms=((Layer.TCP, 40.0), (Layer.HTTP, 2500.0)))
    assert decide(obs_of((at_bound, MESSENGER_OK[1], *INSTAGRAM_OK))).kind is VerdictKind.ALL_CLEAR
