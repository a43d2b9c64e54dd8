"""Episodes, told from the history: when each service was down (or blocked, or your own
connection failed), for how long, and what share of the time each service answered.

Pure functions over history events: tested on a fake clock, drawn by the status window, exported
by ``traywatch history``. Time your own connection was broken is left out of a service's uptime
(nothing could be said of the service then) and counted on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from traywatch.history import Event

YOUR_SIDE = ""  # the "service" of your own connection's episodes


@dataclass(frozen=True)
class Episode:
    service: str  # a service id; "" for your own connection
    kind: str  # "down", "blocked" or "your_side"
    start: float
    end: float | None  # None: still going on
    headline: str
    evidence: str

    def duration(self, now: float) -> float:
        return max(0.0, (self.end if self.end is not None else now) - self.start)


def episodes(events: Iterable[Event]) -> list[Episode]:
    """Start and end marks paired per service, oldest first; an episode never ended is open."""
    open_now: dict[str, Episode] = {}
    done: list[Episode] = []
    for event in events:
        for mark in event.marks:
            if mark.edge == "start":
                if mark.service in open_now:
                    continue  # already open: a second start is the same episode
                evidence = event.evidence or event.body
                open_now[mark.service] = Episode(mark.service, mark.kind, mark.at, None, event.title, evidence)
            else:
                began = open_now.pop(mark.service, None)
                if began is not None:
                    done.append(
                        Episode(
                            began.service,
                            began.kind,
                            began.start,
                            max(mark.at, began.start),
                            began.headline,
                            began.evidence,
                        )
                    )
    done.extend(open_now.values())
    return sorted(done, key=lambda e: e.start)


def _overlap(start: float, end: float, lo: float, hi: float) -> float:
    return max(0.0, min(end, hi) - max(start, lo))


def _union(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Uptime:
    window: float  # seconds looked at
    your_side: float  # of them, your own connection was broken
    down: float  # of the rest, the service was down

    @property
    def share(self) -> float | None:
        """The share of the judged time it answered; None when none of it could be judged."""
        judged = self.window - self.your_side
        return None if judged <= 0 else max(0.0, 1.0 - self.down / judged)


def uptime(found: Sequence[Episode], service: str, start: float, end: float) -> Uptime:
    """``service`` between ``start`` and ``end``: its outages counted only while your own side
    worked. Blocked spells are your network's doing: not counted against the service."""
    mine = _union((e.start, e.end if e.end is not None else end) for e in found if e.service == YOUR_SIDE)
    outages = _union(
        (e.start, e.end if e.end is not None else end) for e in found if e.service == service and e.kind == "down"
    )
    your_side = sum(_overlap(a, b, start, end) for a, b in mine)
    down = 0.0
    for first, last in outages:
        a, b = max(first, start), min(last, end)
        if b <= a:
            continue
        down += (b - a) - sum(_overlap(x, y, a, b) for x, y in mine)
    return Uptime(end - start, your_side, max(0.0, down))


_SINCE = re.compile(r"^(\d+)\s*([dhm])$")


def parse_since(text: str) -> float:
    """ "7d", "12h", "30m" as seconds; raises ValueError otherwise."""
    match = _SINCE.match(text.strip().lower())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"expected a span like 7d, 12h or 30m, got {text!r}")
    return int(match.group(1)) * {"d": 86400, "h": 3600, "m": 60}[match.group(2)]
