"""The monitor: a pure state machine fed by cycle verdicts and a clock. It decides when to check
next and which confirmed changes happened; ``notices`` words them and ``view`` renders them.

It never cries wolf:

- A cycle is a *clean sample* of the services only when your side is fine: the verdict is not
  about your side and the controls all answer but at most one. Only clean samples count.
- A service is confirmed *down* (or blocked) after ``confirm_failures`` failing clean samples in
  a row spanning at least ``(confirm_failures - 1) × recheck`` seconds, re-checked every
  ``recheck`` seconds while in doubt, **with one of its endpoints failing in every one of them**:
  a broken service fails the same way each time, while a lossy network fails a different
  endpoint each time. One lost packet is one failed sample at most (the probes already try each
  endpoint twice), and one failed sample never alarms.
- Its *episode* lasts until it has stayed up ``hold_down`` seconds: dropping again inside it
  updates the same notice (only when the count of drops has doubled since the notice said it,
  and ``flap_update_every`` seconds after the last at the soonest), and the recovery is said
  once, when the episode ends.
- Your own side has one episode, whatever kinds it passes through (sign-in page, DNS, unstable,
  offline), ending ``local_hold_down`` seconds after your side works again (``hold_down`` for an
  unstable connection, whose trouble comes and goes).
- A your-side sample, a sleep and a network change wipe the evidence gathered so far: failures
  seen before them are not counted with failures seen after.
- While the last full picture is all clear and nothing is open or in doubt, a *light* cycle
  will do (``tiers``): its all-clear is a sample like any other, while any failure in it is no
  sample at all but the full matrix asked at once, which then counts as usual.

Every function takes the state and returns a new one; times are wall-clock seconds passed in.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace

from traywatch.verdict import ServiceState, Verdict, VerdictKind

# Verdicts that say your own side fails (the controls do not answer right). A block is your
# network's doing too, but the controls answer: it is judged per service, like an outage.
YOUR_SIDE = frozenset(
    {VerdictKind.OFFLINE, VerdictKind.CAPTIVE_PORTAL, VerdictKind.LOCAL_DNS, VerdictKind.UNSTABLE, VerdictKind.CLOCK}
)


@dataclass(frozen=True)
class MonitorSettings:
    interval: float = 60.0
    metered_interval: float = 300.0  # between healthy checks while the connection is metered
    metered: bool = False  # the OS says the connection is metered
    recheck: float = 5.0
    confirm_failures: int = 3
    confirm_recoveries: int = 2
    hold_down: float = 600.0
    local_hold_down: float = 120.0
    slow_after: float = 600.0
    tick: float = 5.0
    # A wall-clock gap this much longer than a tick means the machine slept.
    wake_gap: float = 30.0
    # While everything is healthy, check with a light cycle (``tiers``); the full matrix at the
    # first sign of trouble, and whenever anything is in doubt, down or in an episode.
    tiered: bool = True

    @property
    def healthy_interval(self) -> float:
        """Between checks while nothing is in doubt: slower on a metered connection. Re-checks
        of a suspected failure keep their pace, so an outage is confirmed as fast."""
        return max(self.interval, self.metered_interval) if self.metered else self.interval

    @property
    def flap_update_every(self) -> float:
        """How often a notice may be updated while its service keeps dropping: twice per hold-down."""
        return self.hold_down / 2

    @property
    def confirm_span(self) -> float:
        """The least time from the first to the last of the samples that confirm a failure."""
        return (self.confirm_failures - 1) * self.recheck


class ChangeKind(enum.Enum):
    DOWN = "down"  # a service's episode begins: confirmed down
    BLOCKED = "blocked"  # ...or confirmed blocked on this network
    DROPPED_AGAIN = "dropped_again"  # down again inside an open episode
    BACK = "back"  # the episode ended: up for the whole hold-down
    SLOW = "slow"  # slow for ``slow_after`` seconds
    REPORTED = "reported"  # Meta's status page reports trouble with a service that answers here
    LOCAL = "local"  # your side's episode begins
    ONLINE = "online"  # your side's episode ended


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    service_id: str = ""  # empty for your side's changes
    name: str = ""
    at: float = 0.0
    since: float = 0.0  # when the episode began
    downtime: float = 0.0  # BACK and ONLINE: from the first failure to the first good sample
    drops: int = 1  # times confirmed down in this episode
    local_kind: VerdictKind | None = None  # LOCAL and ONLINE: what your side's problem was


@dataclass(frozen=True)
class Track:
    """One service: the evidence gathered, and its episode if one is open."""

    name: str
    fails: int = 0  # failing clean samples in a row
    first_fail: float | None = None
    suspects: frozenset[str] = frozenset()  # endpoints that failed in every one of those samples
    oks: int = 0  # good samples in a row
    first_ok: float | None = None
    down: bool = False  # confirmed down (or blocked) now
    blocked: bool = False
    episode_since: float | None = None  # an open episode began then
    last_fail: float | None = None
    drops: int = 0
    noticed_at: float | None = None  # when this episode was last announced or updated
    noticed_drops: int = 0  # how many drops the notice said then
    slow_since: float | None = None
    slow_samples: int = 0  # slow clean samples in a row
    slow_suspects: frozenset[str] = frozenset()  # endpoints slow in every one of those samples
    slow_noticed: bool = False
    # Meta's own word: an episode begins when its status page reports the service, and ends once
    # the page has said nothing for a whole hold-down (so a report that comes and goes is one).
    reported_since: float | None = None
    reported_last: float | None = None

    @property
    def in_episode(self) -> bool:
        return self.episode_since is not None

    def forget_evidence(self) -> Track:
        return replace(
            self,
            fails=0,
            first_fail=None,
            suspects=frozenset(),
            oks=0,
            first_ok=None,
            slow_since=None,
            slow_samples=0,
            slow_suspects=frozenset(),
        )


@dataclass(frozen=True)
class LocalTrack:
    """Your own side, as one track with one episode."""

    fails: int = 0
    first_fail: float | None = None
    oks: int = 0
    first_ok: float | None = None
    problem: VerdictKind | None = None  # confirmed now
    episode_since: float | None = None
    last_fail: float | None = None
    unsteady: bool = False  # the episode has seen an unstable connection: trouble that comes and goes

    def forget_evidence(self) -> LocalTrack:
        return replace(self, fails=0, first_fail=None, oks=0, first_ok=None)


@dataclass(frozen=True)
class MonitorState:
    settings: MonitorSettings
    tracks: tuple[tuple[str, Track], ...] = ()
    you: LocalTrack = LocalTrack()
    epoch: int = 0
    running: int | None = None  # epoch of the cycle in flight
    running_since: float | None = None
    next_check: float = 0.0
    last_tick: float | None = None
    verdict: Verdict | None = None
    checked_at: float | None = None
    running_light: bool = False  # the cycle in flight is a light one
    full_due: bool = True  # the next cycle asks the full matrix whatever the state
    turn: int = 0  # light cycles started so far: which endpoint takes its turn in the next

    def track(self, service_id: str) -> Track | None:
        return dict(self.tracks).get(service_id)

    @property
    def local(self) -> VerdictKind | None:
        """A confirmed problem on your side, now."""
        return self.you.problem

    @property
    def down(self) -> tuple[str, ...]:
        return tuple(sid for sid, t in self.tracks if t.down)

    @property
    def in_doubt(self) -> bool:
        """A failure or recovery seen but not yet confirmed: worth a quick re-check."""
        you = self.you
        if (you.problem is None and you.fails > 0) or (you.problem is not None and you.oks > 0):
            return True
        return any((t.fails > 0 and not t.down) or (t.down and t.oks > 0) for _, t in self.tracks)


def initial(settings: MonitorSettings, now: float) -> MonitorState:
    return MonitorState(settings=settings, next_check=now, last_tick=now)


def due(state: MonitorState, now: float) -> bool:
    return state.running is None and now >= state.next_check


def start_cycle(state: MonitorState, now: float) -> tuple[MonitorState, int]:
    """Mark a cycle as running; the token comes back with its verdict. The sample is dated
    when the cycle starts, so a slow cycle does not stretch or shrink the span of evidence.
    ``running_light`` then says which kind it is to be, and ``turn`` which light cycle."""
    light = _light_will_do(state)
    state = replace(state, running=state.epoch, running_since=now, running_light=light)
    if light:
        return replace(state, turn=state.turn + 1), state.epoch
    return replace(state, full_due=False), state.epoch


def _light_will_do(state: MonitorState) -> bool:
    """A light cycle only while the last full picture was all clear and nothing is open."""
    verdict = state.verdict
    return (
        state.settings.tiered
        and not state.full_due
        and verdict is not None
        and verdict.kind is VerdictKind.ALL_CLEAR
        and not state.in_doubt
        and state.you.episode_since is None
        and not any(t.down or t.in_episode for _, t in state.tracks)
    )


def tick(state: MonitorState, now: float) -> MonitorState:
    """Called every ``settings.tick`` seconds; notices sleep by the gap between ticks."""
    last = state.last_tick
    state = replace(state, last_tick=now)
    if last is not None and now - last > state.settings.tick + state.settings.wake_gap:
        return _invalidate(state, now)
    return state


def network_changed(state: MonitorState, now: float) -> MonitorState:
    return _invalidate(state, now)


def _invalidate(state: MonitorState, now: float) -> MonitorState:
    # Whatever is in flight saw the old network (or a sleeping machine), and evidence from before
    # it says nothing about after it: check afresh at once, counting from zero.
    tracks = tuple((sid, t.forget_evidence()) for sid, t in state.tracks)
    return replace(
        state,
        epoch=state.epoch + 1,
        running=None,
        running_since=None,
        next_check=now,
        tracks=tracks,
        you=state.you.forget_evidence(),
        full_due=True,
    )


def check_now(state: MonitorState, now: float) -> MonitorState:
    """Asked for by the user: the full picture, now."""
    return replace(state, next_check=now, full_due=True)


def reconfigure(state: MonitorState, settings: MonitorSettings, now: float) -> MonitorState:
    """New settings. A healthy wait already begun takes the new pace from when it began: the word
    that the connection is metered often comes just after the first check, and the way back
    should not leave five minutes to wait. A check due now or a re-check in doubt keeps its time."""
    old = state.settings.healthy_interval
    state = replace(state, settings=settings)
    waiting = state.next_check > now and not state.in_doubt  # a running cycle sets its own next
    if not waiting or settings.healthy_interval == old:
        return state
    return replace(state, next_check=max(now, state.next_check + settings.healthy_interval - old))


def is_clean(verdict: Verdict) -> bool:
    """Your side is fine enough for a service's failure to count: all controls but one answer."""
    if verdict.kind in YOUR_SIDE:
        return False
    return verdict.connection_works


def cycle_done(
    state: MonitorState, token: int, verdict: Verdict | None, now: float
) -> tuple[MonitorState, list[Change]]:
    """A finished cycle's verdict. None is a light cycle's "something failed": no sample, as
    it saw only part of the picture; the full matrix is asked at once instead."""
    if token != state.epoch:
        return state, []  # stale: it began before a sleep or a network change
    if verdict is None:
        return replace(state, running=None, running_since=None, full_due=True, next_check=now), []
    s = state.settings
    at = state.running_since if state.running_since is not None else now
    state = replace(state, running=None, running_since=None, verdict=verdict, checked_at=now)
    changes: list[Change] = []
    if verdict.kind in YOUR_SIDE:
        you, change = _local_failed(state.you, verdict.kind, at, s)
        tracks = tuple((sid, t.forget_evidence()) for sid, t in state.tracks)
        state = replace(state, you=you, tracks=tracks)
    else:
        you, change = _local_fine(state.you, at, s)
        state = replace(state, you=you)
        if is_clean(verdict):
            state, changes = _judge_services(state, verdict, at)
    if change is not None:
        changes.insert(0, change)
    delay = s.recheck if state.in_doubt else s.healthy_interval
    state = replace(state, next_check=max(now, at + delay))
    return state, changes


def cycle_failed(state: MonitorState, token: int, now: float) -> MonitorState:
    """A cycle that could not run at all (an internal error): try again soon, change nothing else."""
    if token != state.epoch:
        return state
    return replace(state, running=None, running_since=None, next_check=now + state.settings.recheck)


def _since(first: float | None, count: int, at: float) -> float:
    """When a run of samples began: ``at`` if this sample starts it."""
    return first if count and first is not None else at


def _confirmed(fails: int, first: float, at: float, s: MonitorSettings) -> bool:
    """The one rule for both sides: enough failing samples in a row, over the least span."""
    return fails >= s.confirm_failures and at - first >= s.confirm_span


def _local_failed(
    you: LocalTrack, kind: VerdictKind, at: float, s: MonitorSettings
) -> tuple[LocalTrack, Change | None]:
    first = _since(you.first_fail, you.fails, at)
    you = replace(you, fails=you.fails + 1, first_fail=first, oks=0, first_ok=None)
    unsteady = you.unsteady or kind is VerdictKind.UNSTABLE
    if you.episode_since is not None:
        # An episode ends after a quiet spell: every failing sample in it starts the spell again.
        you = replace(you, last_fail=at, unsteady=unsteady)
    if you.problem is not None:
        return replace(you, problem=kind), None
    if not _confirmed(you.fails, first, at, s):
        return you, None
    you = replace(you, problem=kind, last_fail=at, unsteady=unsteady)
    if you.episode_since is not None:
        return you, None  # the same episode, come back before it ended: said once already
    you = replace(you, episode_since=first)
    return you, Change(ChangeKind.LOCAL, at=at, since=first, local_kind=kind)


def _local_fine(you: LocalTrack, at: float, s: MonitorSettings) -> tuple[LocalTrack, Change | None]:
    you = replace(you, fails=0, first_fail=None)
    since = you.episode_since
    if since is None:
        return you, None
    first_ok = _since(you.first_ok, you.oks, at)
    you = replace(you, oks=you.oks + 1, first_ok=first_ok)
    if you.problem is not None and you.oks >= s.confirm_recoveries:
        you = replace(you, problem=None)
    last = you.last_fail if you.last_fail is not None else since
    # An unstable connection's trouble comes and goes: it is over after a service's hold-down.
    quiet = s.hold_down if you.unsteady else s.local_hold_down
    if you.problem is None and at - last >= quiet:
        return LocalTrack(), Change(ChangeKind.ONLINE, at=at, since=since, downtime=max(0.0, first_ok - since))
    return you, None


def _judge_services(state: MonitorState, verdict: Verdict, at: float) -> tuple[MonitorState, list[Change]]:
    s = state.settings
    old: Mapping[str, Track] = dict(state.tracks)
    tracks: dict[str, Track] = {}
    changes: list[Change] = []
    for status in verdict.services:
        track = old.get(status.id, Track(status.name))
        if status.state in (ServiceState.DOWN, ServiceState.BLOCKED):
            failing = frozenset(p.endpoint_id for p in status.failing)
            blocked = status.state is ServiceState.BLOCKED
            track, change = _failed(track, status.id, blocked=blocked, failing=failing, at=at, s=s)
        elif status.state in (ServiceState.UP, ServiceState.SLOW, ServiceState.REPORTED):
            track, change = _answered(track, status.id, status.slow, at, s)
        else:
            change = None
        if change is not None:
            changes.append(change)
        track, change = _meta_word(track, status.id, status.state is ServiceState.REPORTED, at, s)
        if change is not None:
            changes.append(change)
        tracks[status.id] = track
    # A service no longer in the verdict was switched off: its episode goes with it.
    return replace(state, tracks=tuple(tracks.items())), changes


def _narrowed(suspects: frozenset[str], run: int, seen: frozenset[str]) -> frozenset[str] | None:
    """The endpoints seen in every sample of a run of ``run`` so far and in this one, or None when
    no endpoint was: noise moving around, not one thing broken, and the run starts over."""
    if not run:
        return seen
    return (suspects & seen) or None


def _failed(
    track: Track, sid: str, *, blocked: bool, failing: frozenset[str], at: float, s: MonitorSettings
) -> tuple[Track, Change | None]:
    suspects = _narrowed(track.suspects, track.fails, failing)
    if suspects is None:
        track = replace(track, fails=0, first_fail=None)
        suspects = failing
    first = _since(track.first_fail, track.fails, at)
    track = replace(
        track,
        fails=track.fails + 1,
        first_fail=first,
        suspects=suspects,
        oks=0,
        first_ok=None,
        slow_since=None,
        slow_samples=0,
        slow_suspects=frozenset(),
    )
    if track.down:
        return replace(track, last_fail=at, blocked=blocked), None
    if not _confirmed(track.fails, first, at, s):
        return track, None
    track = replace(track, down=True, blocked=blocked, last_fail=at)
    if not track.in_episode:
        track = replace(track, episode_since=first, drops=1, noticed_at=at, noticed_drops=1)
        kind = ChangeKind.BLOCKED if blocked else ChangeKind.DOWN
        return track, Change(kind, sid, track.name, at, since=first)
    track = replace(track, drops=track.drops + 1)
    # Calm updates: only when the count has doubled since the notice last said it, and not
    # within a few minutes of the last one. A service flapping for hours says so a few times.
    if track.drops < 2 * track.noticed_drops:
        return track, None
    if track.noticed_at is not None and at - track.noticed_at < s.flap_update_every:
        return track, None
    track = replace(track, noticed_at=at, noticed_drops=track.drops)
    since = track.episode_since or first
    return track, Change(ChangeKind.DROPPED_AGAIN, sid, track.name, at, since=since, drops=track.drops)


def _answered(
    track: Track, sid: str, slow: frozenset[str], at: float, s: MonitorSettings
) -> tuple[Track, Change | None]:
    """A sample in which the service answered; ``slow`` holds the endpoints that took too long."""
    first_ok = _since(track.first_ok, track.oks, at)
    track = replace(track, fails=0, first_fail=None, suspects=frozenset(), oks=track.oks + 1, first_ok=first_ok)
    if track.down and track.oks >= s.confirm_recoveries:
        track = replace(track, down=False, blocked=False)
    change = None
    if track.in_episode and not track.down:
        last = track.last_fail if track.last_fail is not None else at
        if at - last >= s.hold_down:
            since = track.episode_since or at
            change = Change(
                ChangeKind.BACK,
                sid,
                track.name,
                at,
                since=since,
                downtime=max(0.0, first_ok - since),
                drops=track.drops,
            )
            # Meta's word outlives the outage (its page lags by 15-20 minutes): a report still
            # standing after "back" belongs to the episode just ended, not a new one.
            track = Track(
                track.name,
                oks=track.oks,
                first_ok=track.first_ok,
                reported_since=track.reported_since,
                reported_last=track.reported_last,
            )
    if not slow:
        return replace(track, slow_since=None, slow_samples=0, slow_suspects=frozenset(), slow_noticed=False), change
    suspects = _narrowed(track.slow_suspects, track.slow_samples, slow)
    if suspects is None:
        # Still noticed if it was: the service has not answered in time in between.
        track = replace(track, slow_since=None, slow_samples=0)
        suspects = slow
    slow_since = track.slow_since if track.slow_since is not None else at
    track = replace(track, slow_since=slow_since, slow_samples=track.slow_samples + 1, slow_suspects=suspects)
    if change is None and not track.slow_noticed and not track.in_episode and at - slow_since >= s.slow_after:
        track = replace(track, slow_noticed=True)
        change = Change(ChangeKind.SLOW, sid, track.name, at, since=slow_since)
    return track, change


def _meta_word(track: Track, sid: str, reported: bool, at: float, s: MonitorSettings) -> tuple[Track, Change | None]:
    """Meta's status page on a service that answers here: one change per episode."""
    if not reported:
        last = track.reported_last
        if track.reported_since is not None and last is not None and at - last >= s.hold_down:
            return replace(track, reported_since=None, reported_last=None), None
        return track, None
    if track.reported_since is not None:
        return replace(track, reported_last=at), None
    track = replace(track, reported_since=at, reported_last=at)
    if track.in_episode:
        return track, None  # an outage notice is open for it already
    return track, Change(ChangeKind.REPORTED, sid, track.name, at, since=at)


def clock_time(timestamp: float) -> str:
    """A moment as people read it on this machine's clock: "14:02"."""
    return dt.datetime.fromtimestamp(timestamp).astimezone().strftime("%H:%M")


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
