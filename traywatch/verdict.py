"""The verdict: a pure function from one cycle's observations to what is wrong, and why.

The rules, in the order they are tried (docs/verdicts.md has them as a table):

1. Controls answer with a login page or a redirect, at least as often as they answer right:
   captive portal.
2. No control answers right: if every named control failed at DNS while a DoH resolver (reached
   by IP) answered, your DNS is broken; otherwise it is your connection.
3. Named controls all fail at DNS while an IP-literal control or DoH works: your DNS is broken.
4. Fewer than 60 % of the controls answer right in good time: your connection is unstable.
5. Your side is fine, but every certificate Meta's probes met, on two services or more, reads as
   expired or not yet valid: this computer's clock is wrong.
6. A Meta host that resolves to a local address, fails only locally at DNS while
   DoH resolves it, presents a certificate from an unknown issuer, answers 451, or is reset during
   the handshake: blocked on this network.
7. A Meta host fails at DNS locally *and* DoH answers SERVFAIL for it (4 October 2021): Meta's DNS.
8. Any service endpoint fails: it's not your wifi, that service is down, with the failing layer
   (a chat connection turned away while the site loads is said as such). A throttled answer
   (429) counts for nothing. Nor do failures the controls' own lost answers explain: when the
   controls lose some (fail, or answer a second late), a service whose failures are timeouts
   (or failures a control had too) no less likely by chance than 1 in 20 is not judged, and
   when that leaves no service down, your connection is unstable: Meta's probes lose packets on
   a lossy link like anything else.
9. Every service answers, but Meta's status page reports more than a low disruption for the
   product that speaks for one: Meta reports problems (its side; the one signal for outages no
   anonymous probe can see).
10. Any service endpoint is slower than the slow threshold: degraded.
11. All clear.

Whenever a service is judged down, the status page's word is added: "Meta's status page
confirms: …", or "Meta hasn't acknowledged it yet".
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from traywatch.catalog import is_ip_literal
from traywatch.model import DnsStatus, DohAnswer, Layer, Observations, Outcome, ProbeResult
from traywatch.statuspage import Level, ProductStatus


class Side(enum.Enum):
    NONE = "none"
    THEM = "them"
    YOU = "you"


class VerdictKind(enum.Enum):
    ALL_CLEAR = "all_clear"
    SERVICE_DOWN = "service_down"
    DEGRADED = "degraded"
    META_DNS = "meta_dns"
    LOCAL_DNS = "local_dns"
    CAPTIVE_PORTAL = "captive_portal"
    OFFLINE = "offline"
    UNSTABLE = "unstable"
    BLOCKED = "blocked"
    META_REPORTS = "meta_reports"  # everything answers here, but Meta says one of them has trouble
    CLOCK = "clock"  # this computer's clock is so far off that no certificate verifies

    @property
    def side(self) -> Side:
        if self is VerdictKind.ALL_CLEAR:
            return Side.NONE
        if self in (VerdictKind.SERVICE_DOWN, VerdictKind.DEGRADED, VerdictKind.META_DNS, VerdictKind.META_REPORTS):
            return Side.THEM
        return Side.YOU


class ServiceState(enum.Enum):
    UP = "up"
    SLOW = "slow"
    DOWN = "down"
    BLOCKED = "blocked"
    REPORTED = "reported"  # answers from here, but Meta's status page reports trouble
    UNKNOWN = "unknown"  # not judged: your own connection is not working


@dataclass(frozen=True)
class ServiceStatus:
    id: str
    name: str
    state: ServiceState
    probes: tuple[ProbeResult, ...]
    reason: str = ""
    slow: frozenset[str] = frozenset()  # the endpoints that answered slowly, when its state is SLOW

    @property
    def failing(self) -> tuple[ProbeResult, ...]:
        return tuple(p for p in self.probes if p.counted and not p.ok)

    @property
    def failing_layer(self) -> Layer | None:
        failing = self.failing
        return failing[0].layer if failing else None

    @property
    def latency_ms(self) -> float | None:
        done = [p.latency_ms for p in self.probes if p.ok]
        return max(done) if done else None


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    headline: str
    explanation: str
    evidence: tuple[str, ...]
    services: tuple[ServiceStatus, ...]
    controls_ok: int
    controls_total: int
    meta_says: str = ""  # Meta's status page on the services this verdict is about, in plain words
    portal_url: str | None = None  # where a sign-in page sent a control (http or https only)

    @property
    def affected(self) -> tuple[str, ...]:
        """Ids of the services this verdict is about (down, blocked, slow, or reported by Meta)."""
        bad = (ServiceState.DOWN, ServiceState.BLOCKED, ServiceState.SLOW, ServiceState.REPORTED)
        return tuple(s.id for s in self.services if s.state in bad)

    @property
    def connection_works(self) -> bool:
        return connection_works(self.controls_ok, self.controls_total)


def connection_works(answering: int, asked: int) -> bool:
    """Your connection works when all the controls but at most one answer right: only then is
    "It's not your wifi" said, and only then does the monitor count a service's failure."""
    return answering >= asked - 1


# Answers that only come from something standing between you and the control: a login page.
_PORTAL_SIGNS = frozenset(
    {Outcome.HTTP_STATUS, Outcome.UNEXPECTED_BODY, Outcome.REDIRECT_OFFSITE, Outcome.REDIRECT_LOOP}
)
_HEALTHY_SHARE = 0.6
LATE_MS = 1000.0  # a check this far behind the fastest lost a packet on the way (see _late)
# A service's failures at least this likely from the controls' own losses say nothing of it.
BY_CHANCE = 0.05


def describe(probe: ProbeResult) -> str:
    """One line of evidence: host, what happened, and at which layer."""
    if probe.ok:
        return f"{probe.host}: {probe.detail or 'ok'} ({probe.latency_ms:.0f} ms)"
    return f"{probe.host}: {probe.detail} ({probe.layer.value})"


def names_are(names: Sequence[str]) -> str:
    """The subject of a headline: "Messenger is", "Messenger and Instagram are"."""
    return f"{join_names(names)} {'is' if len(names) == 1 else 'are'}"


def down_headline(names: Sequence[str]) -> str:
    return f"It's not your wifi — {names_are(names)} down"


def join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) > 3:
        return f"{', '.join(names[:2])} and {len(names) - 2} more"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _doh_for(name: str, answers: Iterable[DohAnswer]) -> list[DohAnswer]:
    return [a for a in answers if a.name == name and a.status.answered]


def _block_sign(probe: ProbeResult, answers: Sequence[DohAnswer]) -> str | None:
    """Evidence that this network, not Meta, stops the probe; None if there is none."""
    if probe.outcome is Outcome.SINKHOLED:
        where = probe.addresses[0] if probe.addresses else "a local address"
        return f"{probe.host} resolves to {where} on this network"
    if probe.outcome is Outcome.CERT_UNKNOWN_ISSUER:
        return f"{probe.host} presents a certificate from an unknown issuer (interception)"
    if probe.outcome is Outcome.HTTP_STATUS and probe.status_code == 451:
        return f"{probe.host} answers 451 Unavailable For Legal Reasons"
    if probe.reset_in_handshake:
        return f"{probe.host} is reset during the {probe.layer.value.upper()} handshake"
    if probe.outcome.is_dns and probe.layer is Layer.DNS:
        resolved = [a for a in _doh_for(probe.host, answers) if a.status is DnsStatus.NOERROR and a.addresses]
        if resolved:
            return f"{probe.host} does not resolve on this network, but {resolved[0].resolver_id} DoH resolves it"
    return None


def _meta_dns_sign(probe: ProbeResult, answers: Sequence[DohAnswer]) -> str | None:
    # A resolver that stalls until the deadline failed as surely as one that says SERVFAIL.
    failed_at_dns = probe.outcome.is_dns or probe.outcome is Outcome.TIMEOUT
    if probe.layer is not Layer.DNS or not failed_at_dns or probe.outcome is Outcome.SINKHOLED:
        return None
    doh = _doh_for(probe.host, answers)
    if doh and all(a.status in (DnsStatus.SERVFAIL, DnsStatus.OTHER_RCODE) for a in doh):
        return f"{probe.host}: SERVFAIL from your resolver and from {', '.join(a.resolver_id for a in doh)} DoH"
    return None


def _statuses(obs: Observations, state_of: dict[str, tuple[ServiceState, str]]) -> tuple[ServiceStatus, ...]:
    grouped: dict[str, list[ProbeResult]] = {}
    for probe in obs.services:
        grouped.setdefault(probe.target_id, []).append(probe)
    statuses = []
    for sid, probes in grouped.items():
        state, reason = state_of.get(sid, (ServiceState.UP, ""))
        slow = frozenset(p.endpoint_id for p in probes if _slow(p, obs)) if state is ServiceState.SLOW else frozenset()
        statuses.append(ServiceStatus(sid, obs.service_name(sid), state, tuple(probes), reason, slow))
    return tuple(statuses)


def decide(obs: Observations) -> Verdict:
    controls = [c for c in obs.controls if c.counted]
    ok = [c for c in controls if c.ok]
    portal = [c for c in controls if c.outcome in _PORTAL_SIGNS]
    failed = [c for c in controls if not c.ok and c.outcome not in _PORTAL_SIGNS]
    total = len(controls)
    score = f"{len(ok)}/{total} checks"

    def verdict(
        kind: VerdictKind,
        headline: str,
        explanation: str,
        evidence: Iterable[str],
        states: dict[str, tuple[ServiceState, str]] | None = None,
        *,
        meta_says: str = "",
        portal_url: str | None = None,
    ) -> Verdict:
        if states is None:
            # Your side is broken: say nothing about the services rather than something wrong.
            states = {p.target_id: (ServiceState.UNKNOWN, "not judged") for p in obs.services}
        return Verdict(
            kind,
            headline,
            explanation,
            tuple(evidence),
            _statuses(obs, states),
            len(ok),
            total,
            meta_says,
            portal_url,
        )

    control_evidence = [f"control {describe(c)}" for c in controls]
    if portal and len(portal) >= len(ok):
        first = portal[0]
        return verdict(
            VerdictKind.CAPTIVE_PORTAL,
            "This network wants you to sign in",
            f"{first.host} should answer plainly but {first.detail}: a captive portal. Open a browser to sign in.",
            control_evidence,
            portal_url=next((_web_url(c.redirect_to) for c in portal if _web_url(c.redirect_to)), None),
        )

    named = [c for c in controls if not is_ip_literal(c.host)]
    # A resolver that answers nothing (the commonest home-router DNS failure) times out at the DNS
    # layer: as much a DNS failure as one that says SERVFAIL.
    named_dns_failed = bool(named) and all(
        (c.outcome.is_dns or c.outcome is Outcome.TIMEOUT) and c.layer is Layer.DNS for c in named
    )
    ip_ok = any(is_ip_literal(c.host) for c in ok)
    doh_answered = any(a.status.answered for a in obs.doh)
    doh_note = [f"DoH {a.resolver_id}: {a.status.value} for {a.name}" for a in obs.doh[:3]]

    if named_dns_failed and (ip_ok or doh_answered):
        works = "an IP-address check" if ip_ok else "DNS-over-HTTPS"
        return verdict(
            VerdictKind.LOCAL_DNS,
            "Your DNS is broken",
            f"Names do not resolve with your network's resolver, while {works} works. "
            "Try another DNS server or restart the router.",
            [*control_evidence, *doh_note],
        )
    # A light cycle asks no controls: Meta's sites all answering prove your side works then.
    if not ok and not (total == 0 and _every_site_answers(obs)):
        return verdict(
            VerdictKind.OFFLINE,
            "It's your connection",
            f"None of the {total} independent checks answer: {_failure_summary(failed)}. Meta is not the problem.",
            control_evidence,
        )
    # Checks that disagree, or that answer a second after the rest (packets lost on the way).
    late = _late(ok)
    if total and (len(ok) - len(late)) / total < _HEALTHY_SHARE:
        return verdict(
            VerdictKind.UNSTABLE,
            "Your connection is unstable",
            _unsteady_words(ok, late, failed, total),
            control_evidence,
        )

    out_of_date = _out_of_date(obs.services)
    if out_of_date:
        return verdict(
            VerdictKind.CLOCK,
            "Your computer's clock is wrong",
            f"Every certificate Meta's sites show reads as expired or not yet valid, while "
            f"{len(ok)}/{total} checks answer.{_clock_says(obs.started_at)} Set the date and time "
            "automatically in your system settings.",
            [*(describe(p) for p in out_of_date), *control_evidence],
        )

    answers = obs.doh
    states: dict[str, tuple[ServiceState, str]] = {}
    blocked: dict[str, list[str]] = {}
    meta_dns: dict[str, list[str]] = {}
    down: dict[str, list[ProbeResult]] = {}
    slow: dict[str, list[ProbeResult]] = {}
    lossy = bool(late or failed)
    for probe in obs.services:
        if not probe.counted:
            continue
        if probe.ok:
            # Where a check lost a packet, a slow answer may have lost one too: not Meta's doing.
            if _slow(probe, obs) and not lossy:
                slow.setdefault(probe.target_id, []).append(probe)
            continue
        sign = _block_sign(probe, answers)
        if sign:
            blocked.setdefault(probe.target_id, []).append(sign)
            continue
        sign = _meta_dns_sign(probe, answers)
        if sign:
            meta_dns.setdefault(probe.target_id, []).append(sign)
        down.setdefault(probe.target_id, []).append(probe)

    asked = [p for p in obs.services if p.counted]
    lost = _lost(down, asked, late, failed, total)
    for sid in lost:
        del down[sid]
        states[sid] = (ServiceState.UNKNOWN, "lost answers as the checks did")
    if lost and not (down or blocked or meta_dns):
        lost_answers = sum(len(probes) for probes in lost.values())
        return verdict(
            VerdictKind.UNSTABLE,
            "Your connection is unstable",
            f"{len(late) + len(failed)}/{total} checks lose their answers ({_lost_words(late, failed)}), and Meta's "
            f"sites as often ({lost_answers} of {len(asked)} asked): packets are lost on the way, not an outage.",
            [*control_evidence, *(describe(p) for probes in lost.values() for p in probes)],
        )

    for sid, probes in slow.items():
        states[sid] = (ServiceState.SLOW, f"slow: {max(_server_ms(p) for p in probes) / 1000:.1f} s")
    for sid, probes in down.items():
        states[sid] = (ServiceState.DOWN, describe(probes[0]))
    for sid, signs in blocked.items():
        states[sid] = (ServiceState.BLOCKED, signs[0])

    def names(ids: Iterable[str]) -> list[str]:
        return [obs.service_name(i) for i in ids]

    said = _status_page_words(obs)
    reported = {
        sid: product
        for sid, product in said.items()
        if product is not None and product.level.reported and sid not in down and sid not in blocked
    }
    for sid, product in reported.items():
        states[sid] = (ServiceState.REPORTED, f"Meta's status page: {product.describe()}")
    page_evidence = _status_page_evidence(obs)

    # "Works" only when it does: the monitor counts a service's failure only then, too.
    works_here = connection_works(len(ok), total)
    if total == 0:
        works = "your connection works: every site asked answers"
    elif works_here:
        works = f"your connection works: {score}"
    else:
        works = f"only {score} answer, so your connection may be part of it"
    if blocked:
        signs = [s for group in blocked.values() for s in group]
        blocked_probes = [p for p in obs.services if p.target_id in blocked and p.counted and not p.ok]
        return verdict(
            VerdictKind.BLOCKED,
            f"{names_are(names(blocked))} blocked on this network",
            f"{signs[0]}; {works}. A school, office, ISP or country filter, not an outage."
            f"{_elsewhere(obs, blocked_probes)}",
            [*signs, *control_evidence, *page_evidence],
            states,
        )
    if meta_dns:
        signs = [s for group in meta_dns.values() for s in group]
        return verdict(
            VerdictKind.META_DNS,
            "It's not your wifi — Meta's DNS is failing",
            f"{join_names(names(meta_dns))}: names do not resolve anywhere, not with your resolver nor with "
            f"public DNS; {works}.{_acknowledged(said, meta_dns)}",
            [*signs, *control_evidence, *page_evidence],
            states,
            meta_says=_acknowledged(said, meta_dns).strip(),
        )
    if down:
        down_names = names(down)
        first_id, failing = next(iter(down.items()))
        headline = (
            down_headline(down_names)
            if works_here
            else f"{names_are(down_names)} not working — but your connection is patchy too"
        )
        first = failing[0]
        what = _short(first)
        if _behind_edge(first_id, failing, obs.services):
            # 3 November 2021: the sites loaded and the servers answered, but chats failed.
            what = f"{obs.service_name(first_id)}'s site loads, but its chat connection fails ({_short(first)})"
        return verdict(
            VerdictKind.SERVICE_DOWN,
            headline,
            f"{what}; {works}.{_acknowledged(said, down)}"
            f"{_elsewhere(obs, [p for group in down.values() for p in group])}",
            [describe(p) for group in down.values() for p in group] + control_evidence + page_evidence,
            states,
            meta_says=_acknowledged(said, down).strip(),
        )
    if reported:
        sid, product = max(reported.items(), key=lambda item: item[1].level)
        name = obs.service_name(sid)
        return verdict(
            VerdictKind.META_REPORTS,
            f"Meta reports problems with {join_names(names(reported))}",
            f"{name} still connects from here. Meta's status page: {product.describe()}; {works}.",
            [*page_evidence, *control_evidence],
            states,
            meta_says=f"Meta's status page: {product.describe()}.",
        )
    if slow:
        slowest = max((p for group in slow.values() for p in group), key=_server_ms)
        return verdict(
            VerdictKind.DEGRADED,
            f"{names_are(names(slow))} slow",
            f"{slowest.host} took {_server_ms(slowest) / 1000:.1f} s to answer once connected "
            f"(slow above {obs.slow_ms / 1000:.1f} s); {works}.",
            [describe(p) for group in slow.values() for p in group] + control_evidence + page_evidence,
            states,
        )
    return verdict(
        VerdictKind.ALL_CLEAR,
        "All clear",
        f"Every Meta service answers; {works}.",
        control_evidence + page_evidence,
        states,
    )


def decide_light(obs: Observations) -> Verdict | None:
    """A light cycle's verdict when everything it asked answered in good time; None at the first
    failure or slow answer, which no part of the picture may judge (slow, or a packet lost on the
    way? only the controls can tell): the full matrix is asked instead."""
    answered_in_time = _every_site_answers(obs) and all(_server_ms(p) <= obs.slow_ms for p in obs.services if p.counted)
    return decide(obs) if answered_in_time else None


def _server_ms(probe: ProbeResult) -> float:
    """How long the servers took to answer: the probe's time less finding the address and opening
    the connection, which a lost packet stretches by a second or more (a lookup asked again, a
    connection request sent again) while a slow server does not. A connect-only probe has none."""
    return probe.latency_ms - sum(ms for layer, ms in probe.layer_ms if layer in (Layer.DNS, Layer.TCP))


def _slow(probe: ProbeResult, obs: Observations) -> bool:
    return probe.counted and probe.ok and _server_ms(probe) > obs.slow_ms


def _every_site_answers(obs: Observations) -> bool:
    counted = [p for p in obs.services if p.counted]
    return bool(counted) and all(p.ok for p in counted)


def _elsewhere(obs: Observations, failing: Sequence[ProbeResult]) -> str:
    """What other networks saw of the hosts failing here, as sentences to append."""
    hosts = {p.host for p in failing}
    words = [v.words() for v in obs.vantage if v.host in hosts]
    return "".join(f" Elsewhere: {w}." for w in words if w)


def _web_url(url: str | None) -> str | None:
    """A sign-in page's address, if it is a plain web address worth opening."""
    parts = urlsplit(url) if url else None
    return url if parts is not None and parts.scheme in ("http", "https") and parts.hostname else None


def _status_page_words(obs: Observations) -> dict[str, ProductStatus | None]:
    """For each service with products on Meta's status page: the worst-off of them, or None
    when the page was read but does not name them. Empty when the page was not read."""
    report = obs.status_page
    if report is None or not report.available:
        return {}
    return {sid: report.worst(products) for sid, products in obs.status_products}


def _acknowledged(said: dict[str, ProductStatus | None], ids: Iterable[str]) -> str:
    """The status page's word on services the probes see down, as a sentence to append."""
    ids = [i for i in ids if i in said]
    if not ids:
        return ""
    confirmed = [p for p in (said[i] for i in ids) if p is not None and p.level >= Level.LOW]
    if confirmed:
        return f" Meta's status page confirms: {'; '.join(p.describe() for p in confirmed)}."
    return " Meta hasn't acknowledged it yet."


def _status_page_evidence(obs: Observations) -> list[str]:
    report = obs.status_page
    if report is None:
        return []
    if not report.available:
        return [f"Meta's status page: unavailable ({report.problem})"]
    wanted = {p for _, products in obs.status_products for p in products}
    return [f"Meta's status page: {p.describe()}" for p in report.products if p.id in wanted]


def _behind_edge(service_id: str, failing: Sequence[ProbeResult], probes: Sequence[ProbeResult]) -> bool:
    """Every failure is a chat connection turned away at the door, while the rest answers."""
    answered = any(p.ok for p in probes if p.target_id == service_id)
    return answered and all(p.layer is Layer.CHAT and p.status_code is not None for p in failing)


def _short(probe: ProbeResult) -> str:
    return f"{probe.host} {probe.detail}" if probe.detail.startswith("answers") else f"{probe.host}: {probe.detail}"


def _unsteady_words(
    ok: Sequence[ProbeResult], late: Sequence[ProbeResult], failed: Sequence[ProbeResult], total: int
) -> str:
    if not late:
        return f"Only {len(ok)}/{total} checks answer right; of the rest, {_failure_summary(failed)}."
    return f"Only {len(ok) - len(late)}/{total} checks answer in good time; of the rest, {_lost_words(late, failed)}."


def _lost_words(late: Sequence[ProbeResult], failed: Sequence[ProbeResult]) -> str:
    """How the controls lost their answers: "1 answers over a second late, 2 time out"."""
    words = [f"{len(late)} answer{'s' if len(late) == 1 else ''} over a second late"] if late else []
    if failed:
        words.append(_failure_summary(failed))
    return ", ".join(words)


def _lost(
    down: dict[str, list[ProbeResult]],
    asked: Sequence[ProbeResult],
    late: Sequence[ProbeResult],
    failed: Sequence[ProbeResult],
    total: int,
) -> dict[str, list[ProbeResult]]:
    """The services in ``down`` whose failures the controls' own lost answers explain."""
    share = (len(late) + len(failed)) / total if total else 0.0
    shared = frozenset(c.outcome for c in failed)
    return {
        sid: probes
        for sid, probes in down.items()
        if _lost_on_the_way(probes, sum(p.target_id == sid for p in asked), share, shared)
    }


def _lost_on_the_way(failing: Sequence[ProbeResult], asked: int, share: float, shared: frozenset[Outcome]) -> bool:
    """A service's failures that the controls' losses explain: each a timeout or a failure a
    control had too, and as many or more would fail by chance (``BY_CHANCE`` or likelier) if
    each of the ``asked`` probes lost its answer as often as the controls lost theirs."""
    if not share or any(p.outcome is not Outcome.TIMEOUT and p.outcome not in shared for p in failing):
        return False
    return _at_least(len(failing), asked, share) >= BY_CHANCE


def _at_least(k: int, n: int, share: float) -> float:
    """The odds that ``k`` or more of ``n`` tries fail, each failing with odds ``share``."""
    return sum(math.comb(n, i) * share**i * (1 - share) ** (n - i) for i in range(k, n + 1))


_OUT_OF_DATE = frozenset({Outcome.CERT_EXPIRED, Outcome.CERT_NOT_YET_VALID})
_VERIFIED_SCHEMES = frozenset({"https", "wss", "tls"})  # the probes that verify a certificate


def _out_of_date(probes: Sequence[ProbeResult]) -> list[ProbeResult]:
    """The probes whose certificates read as expired or not yet valid, when they are every probe
    that met a certificate and span two services or more: a clock that far off fails every site
    on the web alike, while Meta letting one certificate lapse fails one service. Empty otherwise."""
    verified = [p for p in probes if p.counted and urlsplit(p.url).scheme in _VERIFIED_SCHEMES]
    dated = [p for p in verified if p.outcome in _OUT_OF_DATE]
    if len({p.target_id for p in dated}) < 2 or len(dated) < len(verified):
        return []
    return dated


def _clock_says(started_at: float) -> str:
    """What this computer's clock said when the cycle began, as a sentence to insert."""
    if not started_at:
        return ""
    now = dt.datetime.fromtimestamp(started_at).astimezone()
    return f" This computer's clock says {now:%Y-%m-%d %H:%M}."


def _late(answered: Sequence[ProbeResult]) -> list[ProbeResult]:
    """The checks that answered more than ``LATE_MS`` after the fastest one. TCP resends a lost
    connection request after a second, and the probes ask a lost lookup again after 1.5 s, so a
    check that lost a packet answers a second or more behind those that lost none; on a link that
    is only slow (a satellite), every answer is as slow and none is late."""
    if not answered:
        return []
    fastest = min(c.latency_ms for c in answered)
    return [c for c in answered if c.latency_ms - fastest > LATE_MS]


def _failure_summary(failed: Sequence[ProbeResult]) -> str:
    """What went wrong with the controls, counted by kind: "5 do not resolve, 1 times out"."""
    if not failed:
        return "no answer"
    kinds: dict[tuple[str, str], int] = {}
    for probe in failed:
        if probe.outcome.is_dns:
            kind = ("does not resolve", "do not resolve")
        elif probe.outcome.is_certificate:
            kind = ("shows a certificate that is not its own", "show certificates that are not their own")
        else:
            words = probe.outcome.value.replace("_", " ")
            kind = _FAILURE_WORDS.get(probe.outcome, (f"fails ({words})", f"fail ({words})"))
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{count} {kind[0] if count == 1 else kind[1]}" for kind, count in kinds.items())


_FAILURE_WORDS = {
    Outcome.TIMEOUT: ("times out", "time out"),
    Outcome.UNREACHABLE: ("is unreachable", "are unreachable"),
    Outcome.REFUSED: ("refuses connections", "refuse connections"),
    Outcome.RESET: ("is cut off", "are cut off"),
    Outcome.TLS_ERROR: ("fails the TLS handshake", "fail the TLS handshake"),
}
