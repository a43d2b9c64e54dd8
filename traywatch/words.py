"""What a verdict means, said for people: one or two short sentences with what to do, no
layers, hosts or status codes (those stay in Details and in ``traywatch check``)."""

from __future__ import annotations

from collections.abc import Sequence

from traywatch.model import Layer, Outcome, ProbeResult
from traywatch.verdict import ServiceState, ServiceStatus, Verdict, VerdictKind, join_names

_YOUR_SIDE = {
    VerdictKind.OFFLINE: "Your device isn't reaching the internet. Check the wifi or the cable, or restart the router.",
    VerdictKind.UNSTABLE: "Your connection is losing some of what it sends. Meta may well be fine.",
    VerdictKind.CLOCK: (
        "Websites can't prove who they are while this computer's date is wrong. "
        "Set the date and time automatically in your system settings."
    ),
    VerdictKind.LOCAL_DNS: (
        "Your network can't look up web addresses right now. Restarting the router usually helps; "
        "another DNS server would too."
    ),
    VerdictKind.CAPTIVE_PORTAL: "Open the sign-in page to get online: this network wants you to log in first.",
}


def failure(probe: ProbeResult) -> str | None:
    """How one probe fails, as what a service's servers (or address) do: "servers are not
    answering"; None when there are no plain words for it."""
    if probe.outcome is Outcome.HTTP_STATUS or probe.outcome is Outcome.UNEXPECTED_BODY:
        return "servers are answering with an error"
    if probe.outcome is Outcome.TIMEOUT:
        return "servers are not answering"
    if probe.outcome in (Outcome.REFUSED, Outcome.RESET, Outcome.UNREACHABLE):
        return "servers are turning connections away"
    if probe.outcome.is_dns:
        return "address can't be found"
    if probe.outcome.is_certificate or probe.outcome is Outcome.TLS_ERROR:
        return "servers can't prove who they are"
    return None


def what_fails(name: str, probes: Sequence[ProbeResult], others_answer: bool) -> str:
    """One sentence on how a service fails, from its first failing probe."""
    if others_answer and all(p.layer is Layer.CHAT and p.status_code is not None for p in probes):
        return f"{name}'s site opens, but its chats don't connect."
    words = failure(probes[0])
    return f"{name}'s {words}." if words else f"{name} isn't working."


def _your_internet(verdict: Verdict) -> str:
    if verdict.connection_works:
        return "Your internet is working."
    return "Your internet seems patchy too, so part of it may be on your side."


def say_your_side(kind: VerdictKind) -> str:
    return _YOUR_SIDE.get(kind, _YOUR_SIDE[VerdictKind.OFFLINE])


def _how_they_fail(verdict: Verdict) -> list[str]:
    """A sentence for each of the first two services down: what their servers do."""
    down = [s for s in verdict.services if s.state is ServiceState.DOWN and s.failing]
    return [what_fails(s.name, s.failing, any(p.ok for p in s.probes)) for s in down[:2]]


def say_unconfirmed(verdict: Verdict) -> str:
    """The menu's reason while a service's failure waits for the checks that confirm it: what
    was seen, and not yet why ("blocked", "Meta's DNS", "your internet works")."""
    seen = _how_they_fail(verdict) if verdict.kind is VerdictKind.SERVICE_DOWN else []
    return " ".join([*seen, "One failed check can be a lost packet: checking again before saying why."])


def say(verdict: Verdict) -> str:
    """The notice's body and the menu's reason."""
    kind = verdict.kind
    if kind in _YOUR_SIDE:
        return _YOUR_SIDE[kind]
    meta = f" {verdict.meta_says}" if verdict.meta_says else ""
    by_state: dict[ServiceState, list[ServiceStatus]] = {}
    for status in verdict.services:
        by_state.setdefault(status.state, []).append(status)
    if kind is VerdictKind.BLOCKED:
        names = join_names([s.name for s in by_state.get(ServiceState.BLOCKED, [])])
        return f"This network is blocking {names}: a school, office, provider or country filter, not an outage."
    if kind is VerdictKind.META_DNS:
        names = join_names([s.name for s in by_state.get(ServiceState.DOWN, [])])
        return f"{names} can't be found anywhere: Meta's address book (DNS) is failing. {_your_internet(verdict)}{meta}"
    if kind is VerdictKind.SERVICE_DOWN:
        return " ".join([*_how_they_fail(verdict), _your_internet(verdict)]) + meta
    if kind is VerdictKind.META_REPORTS:
        names = join_names([s.name for s in by_state.get(ServiceState.REPORTED, [])])
        verb = "works" if len(by_state.get(ServiceState.REPORTED, [])) == 1 else "work"
        return f"{names} still {verb} from here, but Meta says it has problems.{meta}"
    if kind is VerdictKind.DEGRADED:
        names = join_names([s.name for s in by_state.get(ServiceState.SLOW, [])])
        return f"{names} answers, but slowly. {_your_internet(verdict)}"
    return "Every Meta service answers. Your internet is working."
