"""The words of notifications: the monitor's confirmed changes of one cycle become notices.

One cycle gives at most one notice per key: an outage and a recovery seen together are said
in one notice (the outage first), never one replacing the other unseen.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

from traywatch.monitor import Change, ChangeKind, MonitorState, clock_time, format_duration
from traywatch.verdict import VerdictKind, down_headline, join_names, names_are
from traywatch.words import say, say_your_side


class NoteKind(enum.Enum):
    OUTAGE = "outage"  # a service down, blocked or dropping again
    RECOVERY = "recovery"
    LOCAL = "local"  # your connection, DNS
    PORTAL = "portal"  # a sign-in page is in the way: the notice offers to open it
    ONLINE = "online"  # your side works again
    SLOW = "slow"
    META = "meta"  # Meta's status page reports trouble with a service that answers here
    APP = "app"  # about traywatch itself (its settings file, say)


class Urgency(enum.Enum):
    LOW = 0
    NORMAL = 1
    CRITICAL = 2


_KEYS = {
    NoteKind.OUTAGE: "outage",
    NoteKind.RECOVERY: "outage",
    NoteKind.LOCAL: "local",
    NoteKind.PORTAL: "local",
    NoteKind.ONLINE: "local",
    NoteKind.SLOW: "slow",
    NoteKind.META: "meta",
    NoteKind.APP: "app",
}


@dataclass(frozen=True)
class Mark:
    """Where an episode begins or ends, kept in the history so episodes can be told later."""

    service: str  # a service id; "" for your own connection
    kind: str  # "down", "blocked" or "your_side" (an "end" names what it ends as "")
    edge: str  # "start" or "end"
    at: float  # when it began, or when it worked again


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    urgency: Urgency = Urgency.NORMAL
    kind: NoteKind = NoteKind.OUTAGE
    services: tuple[str, ...] = ()  # ids of the services it is about, for per-service mutes
    marks: tuple[Mark, ...] = ()  # episodes this notice begins or ends
    evidence: str = ""  # the technical account behind the words, kept in the history

    @property
    def key(self) -> str:
        """Notifications with the same key update one another instead of stacking: a recovery
        replaces the outage notice it ends, "back online" the notice of your connection."""
        return _KEYS[self.kind]


LOCAL_TITLES = {
    VerdictKind.OFFLINE: "It's your connection",
    VerdictKind.CAPTIVE_PORTAL: "This network wants you to sign in",
    VerdictKind.LOCAL_DNS: "Your DNS is broken",
    VerdictKind.UNSTABLE: "Your connection is unstable",
    VerdictKind.CLOCK: "Your computer's clock is wrong",
}

_OUTAGE_KINDS = (ChangeKind.DOWN, ChangeKind.BLOCKED, ChangeKind.DROPPED_AGAIN)


def _local_title(kind: VerdictKind) -> str:
    return LOCAL_TITLES.get(kind, "It's your connection")


def _back_title(change: Change) -> str:
    if change.drops > 1:
        return f"{change.name} is back (down {change.drops} times in {format_duration(change.at - change.since)})"
    return f"{change.name} is back (down {format_duration(change.downtime)})"


def _dropping_title(changes: Sequence[Change]) -> str:
    """Every service that dropped again; the count and span only where they are the same for all
    (two services with the same cause usually are)."""
    lead = changes[0]
    count = f": down {lead.drops} times in {format_duration(lead.at - lead.since)}"
    if len(changes) == 1:
        return f"{lead.name} keeps dropping{count}"
    names = join_names([c.name for c in changes])
    same = all((c.drops, c.since) == (lead.drops, lead.since) for c in changes)
    return f"{names} keep dropping{count if same else ''}"


def _marks(started: Sequence[Change], ended: Sequence[Change]) -> tuple[Mark, ...]:
    begin = [Mark(c.service_id, c.kind.value, "start", c.since) for c in started]
    # "Back" is said after the hold-down; the episode ended when the service first answered.
    end = [Mark(c.service_id, "", "end", c.since + c.downtime) for c in ended]
    return (*begin, *end)


def build(changes: Sequence[Change], state: MonitorState) -> list[Notification]:
    """The notices for one cycle's changes, in the order they should be shown."""
    notes: list[Notification] = []
    verdict = state.verdict
    # Words for people; the technical evidence is one click away, in Details.
    explanation = say(verdict) if verdict is not None else ""
    for change in changes:
        if change.kind is ChangeKind.LOCAL and change.local_kind is not None:
            mark = Mark("", "your_side", "start", change.since)
            title = _local_title(change.local_kind)
            portal = change.local_kind is VerdictKind.CAPTIVE_PORTAL
            body = (
                say_your_side(change.local_kind)
                if verdict is None or verdict.kind is not change.local_kind
                else explanation
            )
            kind = NoteKind.PORTAL if portal else NoteKind.LOCAL
            notes.append(Notification(title, body, Urgency.NORMAL, kind, marks=(mark,)))
        elif change.kind is ChangeKind.ONLINE:
            body = f"Your connection had trouble for {format_duration(change.downtime)}; it works again."
            mark = Mark("", "", "end", change.since + change.downtime)
            notes.append(Notification("You're back online", body, Urgency.LOW, NoteKind.ONLINE, marks=(mark,)))

    outages = [c for c in changes if c.kind in _OUTAGE_KINDS]
    backs = [c for c in changes if c.kind is ChangeKind.BACK]
    still = [t.name for _, t in state.tracks if t.down and not t.blocked]
    if outages:
        new = [c for c in outages if c.kind is not ChangeKind.DROPPED_AGAIN]
        down = [c.name for c in new if c.kind is ChangeKind.DOWN]
        if not new:
            title = _dropping_title(outages)
        elif verdict is not None and verdict.kind is VerdictKind.META_DNS:
            title = verdict.headline
        elif down:
            title = down_headline(still or down)
        else:
            title = f"{names_are([c.name for c in new])} blocked on this network"
        body = explanation
        if backs:
            body += " Also: " + "; ".join(_back_title(c) for c in backs) + "."
        services = tuple(c.service_id for c in (*outages, *backs))
        marks = _marks(new, backs)
        notes.append(Notification(title, body.strip(), Urgency.CRITICAL, NoteKind.OUTAGE, services, marks))
    elif backs:
        title = _back_title(backs[0]) if len(backs) == 1 else f"{join_names([c.name for c in backs])} are back"
        body = f"{join_names(still)} still down." if still else "Everything answers again."
        ids = tuple(c.service_id for c in backs)
        notes.append(Notification(title, body, Urgency.LOW, NoteKind.RECOVERY, ids, _marks((), backs)))

    reported = [c for c in changes if c.kind is ChangeKind.REPORTED]
    if reported:
        ids = tuple(c.service_id for c in reported)
        names = join_names([c.name for c in reported])
        reasons = [s.reason for s in verdict.services if s.id in ids and s.reason] if verdict is not None else []
        verb = "still works" if len(reported) == 1 else "still work"
        body = " ".join([f"{names} {verb} from here, but Meta says it has problems.", *(f"{r}." for r in reasons)])
        notes.append(Notification(f"Meta reports problems with {names}", body, Urgency.NORMAL, NoteKind.META, ids))

    for change in changes:
        if change.kind is ChangeKind.SLOW:
            title = f"{change.name} has been slow for {format_duration(change.at - change.since)}"
            notes.append(Notification(title, explanation, Urgency.LOW, NoteKind.SLOW, (change.service_id,)))
    evidence = verdict.explanation if verdict is not None else ""
    return [replace(n, evidence=evidence) for n in notes]


def ongoing(state: MonitorState) -> Notification | None:
    """What is still wrong, said when notifications resume after a pause; None if nothing is."""
    if state.you.problem is not None:
        since = state.you.episode_since
        body = f"Still the case, since {clock_time(since)}." if since is not None else "Still the case."
        kind = NoteKind.PORTAL if state.you.problem is VerdictKind.CAPTIVE_PORTAL else NoteKind.LOCAL
        return Notification(_local_title(state.you.problem), body, Urgency.NORMAL, kind)
    down = [(sid, t) for sid, t in state.tracks if t.down]
    if not down:
        return None
    names = [t.name for _, t in down]
    first = min(t.episode_since or 0.0 for _, t in down)
    title = f"{names_are(names)} still down"
    body = f"Since {clock_time(first)}; your connection works."
    return Notification(title, body, Urgency.CRITICAL, NoteKind.OUTAGE, tuple(sid for sid, _ in down))
