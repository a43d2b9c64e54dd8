"""What the tray renders: the monitor's state (and what the user silenced) as typed values."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from traywatch.monitor import MonitorState, is_clean
from traywatch.notices import LOCAL_TITLES
from traywatch.policy import Quiet
from traywatch.verdict import ServiceState, Verdict, VerdictKind, down_headline, join_names, names_are
from traywatch.words import say, say_unconfirmed


class Display(enum.Enum):
    """The state the icon shows; the value names the icon file in resources/icons. A pause does
    not replace it: it adds a badge (``View.paused``), so a paused tray still tells the truth."""

    ALL_CLEAR = "all-clear"
    DEGRADED = "degraded"
    DOWN = "down"
    YOUR_SIDE = "your-connection"
    CAPTIVE = "captive-portal"
    CHECKING = "checking"


# Verdicts about services that the monitor counts only while your side is clean.
_JUDGED_PER_SERVICE = frozenset({VerdictKind.SERVICE_DOWN, VerdictKind.META_DNS, VerdictKind.BLOCKED})

PAUSE_BADGE = "paused"  # the icon file drawn over the state's icon while paused

# A service's line: its state (a ServiceState value) in words, and the small icon beside it.
_ROW_WORDS = {
    "up": "working",
    "slow": "slow",
    "down": "down",
    "blocked": "blocked on this network",
    "reported": "working, but Meta reports problems",
    "unknown": "can't tell while your connection fails",
}
_ROW_DISPLAY = {
    "up": Display.ALL_CLEAR,
    "slow": Display.DEGRADED,
    "down": Display.DOWN,
    "blocked": Display.YOUR_SIDE,
    "reported": Display.DEGRADED,
    "unknown": Display.CHECKING,
}


@dataclass(frozen=True)
class Row:
    service_id: str
    name: str
    state: str
    layer: str
    latency: str
    muted: bool = False
    display: Display = Display.CHECKING  # the small icon on its line

    @property
    def words(self) -> str:
        """Its state as the menu and the status window say it."""
        return _ROW_WORDS.get(self.state, self.state)


@dataclass(frozen=True)
class View:
    display: Display
    headline: str
    explanation: str
    rows: tuple[Row, ...]
    checked_at: float | None
    paused_until: float | None
    checking: bool = False  # a check is running now

    @property
    def paused(self) -> bool:
        return self.paused_until is not None


def view(state: MonitorState, quiet: Quiet | None = None, now: float | None = None) -> View:
    quiet = quiet or Quiet()
    paused_until = quiet.paused_until if now is None or quiet.paused(now) else None
    verdict = state.verdict
    rows = _rows(state, quiet, now)
    if verdict is None:
        return View(Display.CHECKING, "Checking…", "The first check is running.", rows, None, paused_until, True)
    # The reason in words for people; hosts, layers and codes are in Details.
    headline, explanation = verdict.headline, say(verdict)
    down = [t for _, t in state.tracks if t.down]
    if state.local is not None:
        display = Display.CAPTIVE if state.local is VerdictKind.CAPTIVE_PORTAL else Display.YOUR_SIDE
        if verdict.kind is not state.local:
            headline = LOCAL_TITLES.get(state.local, headline)
            explanation = f"Checking whether it is fixed: {verdict.headline.lower()}."
    elif down:
        outage = [t.name for t in down if not t.blocked]
        display = Display.DOWN if outage else Display.YOUR_SIDE
        if verdict.kind not in (VerdictKind.SERVICE_DOWN, VerdictKind.META_DNS, VerdictKind.BLOCKED):
            headline = down_headline(outage) if outage else f"{names_are([t.name for t in down])} blocked"
            explanation = f"Checking whether it is back: {verdict.headline.lower()}."
    elif state.in_doubt:
        display = Display.CHECKING
        headline, explanation = _unconfirmed(verdict, headline, explanation)
    elif verdict.kind in _JUDGED_PER_SERVICE and not is_clean(verdict):
        # The controls fail too: the monitor does not count it against the service, nor may the icon.
        display = Display.CHECKING
    elif verdict.kind is VerdictKind.DEGRADED and not _slow_again(state, verdict.affected):
        # One slow answer may be one lost packet: amber once the next sample finds the same endpoint slow.
        display = Display.CHECKING
        headline = f"Checking again: {verdict.headline}"
    elif verdict.kind in (VerdictKind.DEGRADED, VerdictKind.META_REPORTS):
        # Meta's side, amber: it still works from here, and Meta says it has trouble.
        display = Display.DEGRADED
    else:
        display = Display.ALL_CLEAR
    return View(display, headline, explanation, rows, state.checked_at, paused_until, state.running is not None)


def _unconfirmed(verdict: Verdict, headline: str, explanation: str) -> tuple[str, str]:
    """The words while a failure waits for its confirming checks. One failed check can be a lost
    packet, so they say which services failed it and not yet whose fault it is: "down", "blocked"
    and "not your wifi" wait for the evidence that the notice waits for too."""
    if verdict.kind not in _JUDGED_PER_SERVICE:
        return f"Checking again: {headline}", explanation
    names = [s.name for s in verdict.services if s.state in (ServiceState.DOWN, ServiceState.BLOCKED)]
    return f"Checking again: {join_names(names) or 'a service'} failed a check", say_unconfirmed(verdict)


def _slow_again(state: MonitorState, service_ids: tuple[str, ...]) -> bool:
    """Whether one of these services has had an endpoint slow in the last two samples or more, in a row."""
    tracks = (state.track(sid) for sid in service_ids)
    return any(track is not None and track.slow_samples >= 2 for track in tracks)


def _rows(state: MonitorState, quiet: Quiet, now: float | None) -> tuple[Row, ...]:
    verdict = state.verdict
    if verdict is None:
        return ()
    rows = []
    for status in verdict.services:
        track = state.track(status.id)
        shown = status.state.value
        if track is not None and track.down and status.state in (ServiceState.UP, ServiceState.SLOW):
            shown = "blocked" if track.blocked else "down"  # answering again, but its episode goes on
        layer = status.failing_layer.value if status.failing_layer and status.state is not ServiceState.UNKNOWN else ""
        latency = f"{status.latency_ms:.0f} ms" if status.latency_ms is not None else "–"
        muted = now is not None and quiet.muted(status.id, now)
        rows.append(Row(status.id, status.name, shown, layer, latency, muted, _ROW_DISPLAY[shown]))
    return tuple(rows)
