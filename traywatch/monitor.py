"""The monitor: a pure state machine fed by cycle verdicts and a clock, deciding what to show,
when to check next, and which notifications to send.

It never cries wolf: a service is *down* only after ``confirm_failures`` failing cycles in a row
(re-checked quickly, every ``recheck`` seconds, while in doubt) and *back* after
``confirm_recoveries`` good ones; when your own side is the problem, services are not judged at
all. A cycle that started before the machine slept or the network changed is discarded.

Every function takes the state and returns a new one; times are wall-clock seconds passed in.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from traywatch.verdict import ServiceState, Side, Verdict, VerdictKind, down_headline, join_names


class Display(enum.Enum):
    """What the tray shows; the value names the icon file in resources/icons."""

    ALL_CLEAR = "all-clear"
    DEGRADED = "degraded"
    DOWN = "down"
    YOUR_SIDE = "your-connection"
    CAPTIVE = "captive-portal"
    CHECKING = "checking"
    PAUSED = "paused"


class NoteKind(enum.Enum):
    OUTAGE = "outage"
    RECOVERY = "recovery"
    LOCAL = "local"  # your connection, portal, DNS
    APP = "app"  # about traywatch itself (its settings file, say)


class Urgency(enum.Enum):
    LOW = 0
    NORMAL = 1
    CRITICAL = 2


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    urgency: Urgency = Urgency.NORMAL
    kind: NoteKind = NoteKind.OUTAGE

    @property
    def key(self) -> str:
        """Notifications with the same key update one another instead of stacking: a recovery
        replaces the outage notice it ends."""
        return "outage" if self.kind in (NoteKind.OUTAGE, NoteKind.RECOVERY) else self.kind.value


@dataclass(frozen=True)
class MonitorSettings:
    interval: float = 60.0
    recheck: float = 10.0
    confirm_failures: int = 2
    confirm_recoveries: int = 2
    tick: float = 5.0
    # A wall-clock gap this much longer than a tick means the machine slept.
    wake_gap: float = 30.0


@dataclass(frozen=True)
class Track:
    """One service's confirmed state and the run of cycles that may change it."""

    name: str
    down: bool = False
    fails: int = 0
    oks: int = 0
    down_since: float | None = None
    first_failure: float | None = None


@dataclass(frozen=True)
class MonitorState:
    settings: MonitorSettings
    tracks: tuple[tuple[str, Track], ...] = ()
    local: VerdictKind | None = None  # a confirmed problem on your side
    local_fails: int = 0
    local_oks: int = 0
    local_notified: frozenset[VerdictKind] = frozenset()
    epoch: int = 0
    running: int | None = None  # epoch of the cycle in flight
    next_check: float = 0.0
    last_tick: float | None = None
    verdict: Verdict | None = None
    checked_at: float | None = None
    paused_until: float | None = None

    def track(self, service_id: str) -> Track | None:
        return dict(self.tracks).get(service_id)

    @property
    def down(self) -> tuple[str, ...]:
        return tuple(sid for sid, t in self.tracks if t.down)

    @property
    def in_doubt(self) -> bool:
        """A failure or recovery seen but not yet confirmed: worth a quick re-check."""
        if self.local is None and self.local_fails > 0:
            return True
        if self.local is not None and self.local_oks > 0:
            return True
        return any((t.fails > 0 and not t.down) or (t.down and t.oks > 0) for _, t in self.tracks)


def initial(settings: MonitorSettings, now: float) -> MonitorState:
    return MonitorState(settings=settings, next_check=now, last_tick=now)


def due(state: MonitorState, now: float) -> bool:
    return state.running is None and now >= state.next_check


def start_cycle(state: MonitorState) -> tuple[MonitorState, int]:
    """Mark a cycle as running; the token comes back with its verdict."""
    return replace(state, running=state.epoch), state.epoch


def tick(state: MonitorState, now: float) -> MonitorState:
    """Called every ``settings.tick`` seconds; notices sleep and the end of a pause."""
    if state.paused_until is not None and now >= state.paused_until:
        state = replace(state, paused_until=None)
    last = state.last_tick
    state = replace(state, last_tick=now)
    if last is not None and now - last > state.settings.tick + state.settings.wake_gap:
        return _invalidate(state, now)
    return state


def network_changed(state: MonitorState, now: float) -> MonitorState:
    return _invalidate(state, now)


def _invalidate(state: MonitorState, now: float) -> MonitorState:
    # Whatever is in flight saw the old network (or a sleeping machine): check afresh at once.
    return replace(state, epoch=state.epoch + 1, running=None, next_check=now)


def check_now(state: MonitorState, now: float) -> MonitorState:
    return replace(state, next_check=now)


def pause(state: MonitorState, until: float | None) -> MonitorState:
    return replace(state, paused_until=until)


def cycle_done(
    state: MonitorState, token: int, verdict: Verdict, now: float
) -> tuple[MonitorState, list[Notification]]:
    if token != state.epoch:
        return state, []  # stale: it began before a sleep or a network change
    s = state.settings
    state = replace(state, running=None, verdict=verdict, checked_at=now)
    notes: list[Notification] = []

    if verdict.kind.side is Side.YOU:
        fails = state.local_fails + 1
        local = state.local
        if local is not None or fails >= s.confirm_failures:
            local = verdict.kind
        state = replace(state, local=local, local_fails=fails, local_oks=0)
        if local is not None and local not in state.local_notified:
            notes.append(_local_note(verdict))
            state = replace(state, local_notified=state.local_notified | {local})
    else:
        state = replace(state, local_fails=0)
        if state.local is not None:
            oks = state.local_oks + 1
            if oks >= s.confirm_recoveries:
                state = replace(state, local=None, local_oks=0, local_notified=frozenset())
            else:
                state = replace(state, local_oks=oks)
        state, notes = _judge_services(state, verdict, now)

    delay = s.recheck if state.in_doubt else s.interval
    state = replace(state, next_check=now + delay)
    if state.paused_until is not None and now < state.paused_until:
        notes = []
    return state, notes


def cycle_failed(state: MonitorState, token: int, now: float) -> MonitorState:
    """A cycle that could not run at all (an internal error): try again soon, change nothing else."""
    if token != state.epoch:
        return state
    return replace(state, running=None, next_check=now + state.settings.recheck)


def _judge_services(state: MonitorState, verdict: Verdict, now: float) -> tuple[MonitorState, list[Notification]]:
    s = state.settings
    old = dict(state.tracks)
    tracks: dict[str, Track] = {}
    went_down: list[str] = []
    came_back: list[tuple[str, float]] = []
    for status in verdict.services:
        track = old.get(status.id, Track(status.name))
        if status.state is ServiceState.DOWN:
            fails = track.fails + 1
            first = track.first_failure if track.fails else now
            track = replace(track, fails=fails, oks=0, first_failure=first)
            if not track.down and fails >= s.confirm_failures:
                track = replace(track, down=True, down_since=first)
                went_down.append(status.id)
        elif status.state in (ServiceState.UP, ServiceState.SLOW):
            oks = track.oks + 1
            track = replace(track, oks=oks, fails=0, first_failure=None)
            if track.down and oks >= s.confirm_recoveries:
                came_back.append((status.id, now - (track.down_since or now)))
                track = replace(track, down=False, down_since=None, oks=0)
        tracks[status.id] = track
    state = replace(state, tracks=tuple(tracks.items()))

    notes = []
    if went_down:
        still = [tracks[sid].name for sid in state.down]
        title = verdict.headline if verdict.kind is VerdictKind.META_DNS else down_headline(still)
        notes.append(Notification(title, verdict.explanation, Urgency.CRITICAL))
    elif came_back:
        names = [tracks[sid].name for sid, _ in came_back]
        if len(came_back) == 1:
            title = f"{names[0]} is back (down {format_duration(came_back[0][1])})"
        else:
            title = f"{join_names(names)} are back"
        still = [tracks[sid].name for sid in state.down]
        body = f"{join_names(still)} still down." if still else "Everything answers again."
        notes.append(Notification(title, body, Urgency.LOW, NoteKind.RECOVERY))
    return state, notes


_LOCAL_TITLES = {
    VerdictKind.OFFLINE: "It's your connection",
    VerdictKind.CAPTIVE_PORTAL: "This network wants you to sign in",
    VerdictKind.LOCAL_DNS: "Your DNS is broken",
    VerdictKind.UNSTABLE: "Your connection is unstable",
}


def _local_note(verdict: Verdict) -> Notification:
    title = _LOCAL_TITLES.get(verdict.kind, verdict.headline)
    return Notification(title, verdict.explanation, Urgency.NORMAL, NoteKind.LOCAL)


def format_duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def tomorrow_morning(now: float, hour: int = 8) -> float:
    """The next ``hour`` o'clock local time after tomorrow begins: "pause until tomorrow"."""
    today = dt.datetime.fromtimestamp(now).astimezone()
    tomorrow = (today + dt.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return tomorrow.timestamp()


# What the tray renders.


@dataclass(frozen=True)
class Row:
    name: str
    state: str
    layer: str
    latency: str


@dataclass(frozen=True)
class View:
    display: Display
    headline: str
    explanation: str
    rows: tuple[Row, ...]
    checked_at: float | None
    paused_until: float | None


def view(state: MonitorState) -> View:
    verdict = state.verdict
    rows = _rows(state, verdict)
    if verdict is None:
        return View(Display.CHECKING, "Checking…", "The first check is running.", rows, None, state.paused_until)
    headline, explanation = verdict.headline, verdict.explanation
    if state.local is not None:
        display = Display.CAPTIVE if state.local is VerdictKind.CAPTIVE_PORTAL else Display.YOUR_SIDE
    elif state.down:
        display = Display.DOWN
        names = [t.name for _, t in state.tracks if t.down]
        if verdict.kind not in (VerdictKind.SERVICE_DOWN, VerdictKind.META_DNS):
            headline = down_headline(names)
            explanation = f"Checking whether it is back: {verdict.headline.lower()}."
    elif state.in_doubt:
        display = Display.CHECKING
        headline = f"Checking again: {verdict.headline}"
    elif verdict.kind is VerdictKind.DEGRADED:
        display = Display.DEGRADED
    else:
        display = Display.ALL_CLEAR
    if state.paused_until is not None:
        display = Display.PAUSED
    return View(display, headline, explanation, rows, state.checked_at, state.paused_until)


def _rows(state: MonitorState, verdict: Verdict | None) -> tuple[Row, ...]:
    if verdict is None:
        return ()
    rows = []
    for status in verdict.services:
        track = state.track(status.id)
        label = status.state.value
        if track is not None and track.down and status.state is not ServiceState.DOWN:
            label = "down"
        layer = status.failing_layer.value if status.failing_layer else ""
        if status.state is ServiceState.UNKNOWN:
            label, layer = "not judged (your side)", ""
        latency = f"{status.latency_ms:.0f} ms" if status.latency_ms is not None else "–"
        rows.append(Row(status.name, label, layer, latency))
    return tuple(rows)
