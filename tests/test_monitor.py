"""The monitor, its notices, the policy and the pipeline, driven by a fake clock and hand-made
verdicts: each rule of docs/notifications.md, at its boundary."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.test_verdict import (
    CONTROLS_OK,
    INSTAGRAM_OK,
    MESSENGER_OK,
    META_DNS_ANSWERS,
    META_DNS_FAILING,
    NAMES,
    ctl,
    obs_of,
    p,
)
from traywatch import monitor
from traywatch.model import Layer, Observations, Outcome, ProbeResult, Role
from traywatch.monitor import ChangeKind, MonitorSettings
from traywatch.notices import Mark, NoteKind, Notification, Urgency
from traywatch.pipeline import Pipeline
from traywatch.policy import UNTIL_BACK, Quiet, held_back, in_quiet_hours
from traywatch.settings import defaults
from traywatch.verdict import ServiceState, Verdict, VerdictKind, decide
from traywatch.view import Display, view


def verdict_of(services: tuple[ProbeResult, ...], controls: tuple[ProbeResult, ...] = CONTROLS_OK) -> Verdict:
    return decide(obs_of(services, controls))


MESSENGER_FAILS = p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503")
INSTAGRAM_FAILS = p("instagram", "www.instagram.com", Outcome.REFUSED, Layer.TCP, detail="connection refused")
HEALTHY = verdict_of(MESSENGER_OK + INSTAGRAM_OK)
MESSENGER_503 = verdict_of((MESSENGER_FAILS, MESSENGER_OK[1], *INSTAGRAM_OK))
INSTAGRAM_DOWN = verdict_of((*MESSENGER_OK, INSTAGRAM_FAILS, INSTAGRAM_OK[1]))
BOTH_DOWN = verdict_of((MESSENGER_FAILS, MESSENGER_OK[1], INSTAGRAM_FAILS, INSTAGRAM_OK[1]))
# Two of five controls fail too: not "your connection", but not clean enough to blame Messenger.
SHAKY_503_CONTROLS = (*CONTROLS_OK[:3], *(ctl(c.host, Outcome.TIMEOUT) for c in CONTROLS_OK[3:]))
SHAKY_503 = verdict_of((MESSENGER_FAILS, MESSENGER_OK[1], *INSTAGRAM_OK), SHAKY_503_CONTROLS)
OFFLINE = verdict_of(
    (p("messenger", "www.messenger.com", Outcome.UNREACHABLE, Layer.TCP), *INSTAGRAM_OK),
    tuple(ctl(c.host, Outcome.UNREACHABLE, Layer.TCP) for c in CONTROLS_OK),
)
UNSTABLE = verdict_of(
    MESSENGER_OK + INSTAGRAM_OK, (*CONTROLS_OK[:2], *(ctl(c.host, Outcome.TIMEOUT) for c in CONTROLS_OK[2:]))
)
PORTAL = verdict_of(
    MESSENGER_OK + INSTAGRAM_OK, tuple(ctl(c.host, Outcome.REDIRECT_OFFSITE, status=302) for c in CONTROLS_OK)
)
BLOCKED = verdict_of(
    (p("messenger", "www.messenger.com", Outcome.SINKHOLED, Layer.DNS, addresses=("0.0.0.0",)), *INSTAGRAM_OK)
)
CLOCK = verdict_of(
    tuple(
        p(service, f"www.{service}.com", Outcome.CERT_EXPIRED, Layer.TLS, detail="certificate has expired")
        for service in ("messenger", "instagram")
    )
)
SLOW_WWW = p("messenger", "www.messenger.com", ms=4000)
SLOW_EDGE = p("messenger", "edge-chat.messenger.com", role=Role.EDGE, ms=4000)
SLOW = verdict_of((SLOW_WWW, MESSENGER_OK[1], *INSTAGRAM_OK))
SLOW_CHAT = verdict_of((MESSENGER_OK[0], SLOW_EDGE, *INSTAGRAM_OK))
SLOW_BOTH = verdict_of((SLOW_WWW, SLOW_EDGE, *INSTAGRAM_OK))


class Recorder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.notes: list[Notification] = []

    def deliver(self, note: Notification) -> None:
        self.notes.append(note)


class Broken:
    name = "broken"

    def deliver(self, note: Notification) -> None:
        raise RuntimeError("the server went away")


@dataclass
class Driver:
    """Runs monitor, notices and pipeline as the app does, with a clock that moves only when told."""

    settings: MonitorSettings = field(default_factory=MonitorSettings)
    now: float = 1_000_000.0
    values: dict[str, Any] = field(default_factory=defaults)

    def __post_init__(self) -> None:
        self.state = monitor.initial(self.settings, self.now)
        self.history = Recorder("history")
        self.shown = Recorder("desktop")
        self.pipeline = Pipeline(
            settings=lambda: self.values, recorders=[self.history], sinks=[self.shown], clock=lambda: self.now
        )
        self.changes: list[monitor.Change] = []
        self.light_cycles = 0

    @property
    def notes(self) -> list[Notification]:
        return self.shown.notes

    def titles(self) -> list[str]:
        return [n.title for n in self.shown.notes]

    def cycle(self, verdict: Verdict) -> list[Notification]:
        """Wait until the next check is due (ticking as the app does), then run one cycle."""
        while not monitor.due(self.state, self.now):
            self.advance(min(self.settings.tick, self.state.next_check - self.now))
        return self.sample(verdict)

    def sample(self, verdict: Verdict) -> list[Notification]:
        """One cycle now, due or not, that sees what ``verdict`` says. A light cycle that sees a
        failure hands over to the full matrix at once, as the app's does."""
        self.state, token = monitor.start_cycle(self.state, self.now)
        if self.state.running_light:
            self.light_cycles += 1
            if not every_site_answers(verdict):
                self.state, _ = monitor.cycle_done(self.state, token, None, self.now)
                self.state, token = monitor.start_cycle(self.state, self.now)
        self.state, changes = monitor.cycle_done(self.state, token, verdict, self.now)
        self.changes += changes
        return self.pipeline.changes(changes, self.state)

    def advance(self, seconds: float) -> None:
        """Let time pass awake: ticking every ``tick`` seconds, as the app's timer does."""
        end = self.now + seconds
        while self.now < end:
            self.now = min(end, self.now + self.settings.tick)
            self._tick()

    def sleep(self, seconds: float) -> None:
        """The lid closes: no ticks until it opens."""
        self.now += seconds
        self._tick()

    def _tick(self) -> None:
        self.state = monitor.tick(self.state, self.now)
        if self.pipeline.expire():
            self.pipeline.still_wrong(self.state)

    def resume(self) -> None:
        self.pipeline.pause(None)
        self.pipeline.still_wrong(self.state)

    def view(self) -> Any:
        return view(self.state, self.pipeline.quiet, self.now)


def every_site_answers(verdict: Verdict) -> bool:
    return all(p.ok for s in verdict.services for p in s.probes if p.counted)


def confirm(d: Driver, verdict: Verdict) -> None:
    for _ in range(d.settings.confirm_failures):
        d.cycle(verdict)


# Confirmation: several clean samples over a minimum time.


def test_one_failing_cycle_is_not_enough_and_rechecks_quickly() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    assert d.state.next_check == d.now + 60
    assert d.cycle(MESSENGER_503) == []
    assert d.state.next_check == d.now + d.settings.recheck  # in doubt: re-check soon
    assert d.view().display is Display.CHECKING


def test_outage_is_confirmed_by_the_third_clean_sample_with_its_evidence() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    first = d.now + d.settings.interval  # the first failing sample is taken then
    assert d.cycle(MESSENGER_503) == []
    assert d.cycle(MESSENGER_503) == []
    notes = d.cycle(MESSENGER_503)
    assert notes == [
        Notification(
            "It's not your wifi — Messenger is down",
            "Messenger's servers are answering with an error. Your internet is working.",
            Urgency.CRITICAL,
            NoteKind.OUTAGE,
            ("messenger",),
            (Mark("messenger", "down", "start", first),),  # the episode began at the first failure
            "www.messenger.com answers HTTP 503; your connection works: 5/5 checks.",  # for Details and history
        )
    ]
    assert d.cycle(MESSENGER_503) == []  # still down: no repeat
    assert d.view().display is Display.DOWN
    assert d.state.next_check == d.now + 60


def test_hard_outage_is_announced_within_interval_plus_two_rechecks() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    healthy_at = d.now
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    assert d.titles() == ["It's not your wifi — Messenger is down"]
    assert d.now - healthy_at == d.settings.interval + 2 * d.settings.recheck


def test_samples_must_span_the_confirmation_time() -> None:
    d = Driver()
    span = d.settings.confirm_span
    d.sample(MESSENGER_503)
    d.advance(1)
    d.sample(MESSENGER_503)
    d.advance(span - 1.5)
    d.sample(MESSENGER_503)  # three samples, but only span - 0.5 s apart
    assert d.notes == []
    d.advance(0.5)
    d.sample(MESSENGER_503)  # the same run now spans exactly the confirmation time
    assert d.titles() == ["It's not your wifi — Messenger is down"]


def test_a_good_sample_between_failures_starts_the_count_again() -> None:
    d = Driver()
    for verdict in (MESSENGER_503, MESSENGER_503, HEALTHY, MESSENGER_503, MESSENGER_503):
        d.cycle(verdict)
    assert d.notes == []
    d.cycle(MESSENGER_503)
    assert d.titles() == ["It's not your wifi — Messenger is down"]


def test_failures_seen_while_the_controls_are_shaky_do_not_count() -> None:
    d = Driver()
    for _ in range(6):
        d.cycle(SHAKY_503)
    assert d.notes == []
    assert d.state.track("messenger") is None or d.state.track("messenger").fails == 0  # type: ignore[union-attr]
    # ...nor do they break a run of clean ones.
    for verdict in (MESSENGER_503, SHAKY_503, MESSENGER_503):
        d.cycle(verdict)
    assert d.notes == []
    d.cycle(MESSENGER_503)
    assert d.titles() == ["It's not your wifi — Messenger is down"]


def test_a_failure_that_does_not_count_shows_neither_green_nor_meta_to_blame() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(SHAKY_503)
    shown = d.view()
    assert not d.state.in_doubt
    assert shown.display is Display.CHECKING
    assert not shown.headline.startswith("It's not your wifi")
    d.cycle(HEALTHY)
    assert d.view().display is Display.ALL_CLEAR


def test_every_site_answering_is_all_clear_even_while_two_checks_fail() -> None:
    # Two of five controls failing is not "your connection" (three in five answer), and every
    # Meta site answered: green. Only a failure that cannot count waits under the ring.
    answered = verdict_of(MESSENGER_OK + INSTAGRAM_OK, SHAKY_503_CONTROLS)
    assert answered.kind is VerdictKind.ALL_CLEAR and not answered.connection_works
    d = Driver()
    d.cycle(answered)
    assert not d.state.in_doubt
    assert d.view().display is Display.ALL_CLEAR


def test_a_your_side_sample_wipes_the_evidence() -> None:
    d = Driver()
    for verdict in (MESSENGER_503, MESSENGER_503, OFFLINE, MESSENGER_503, MESSENGER_503):
        d.cycle(verdict)
    assert [n.kind for n in d.notes if n.kind is NoteKind.OUTAGE] == []
    d.cycle(MESSENGER_503)
    assert "It's not your wifi — Messenger is down" in d.titles()


def test_sleep_wipes_the_evidence() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    d.sleep(8 * 3600)
    d.cycle(MESSENGER_503)
    assert d.notes == []
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    assert d.titles() == ["It's not your wifi — Messenger is down"]


def test_a_network_change_wipes_the_evidence_and_drops_the_cycle_in_flight() -> None:
    d = Driver()
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    d.state, token = monitor.start_cycle(d.state, d.now)
    d.state = monitor.network_changed(d.state, d.now)
    assert monitor.due(d.state, d.now)
    d.state, changes = monitor.cycle_done(d.state, token, MESSENGER_503, d.now)
    assert changes == []
    track = d.state.track("messenger")
    assert track is not None and track.fails == 0
    assert not d.state.in_doubt


def test_regular_ticks_are_not_sleep() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    epoch = d.state.epoch
    for _ in range(30):
        d.advance(d.settings.tick)
    assert d.state.epoch == epoch
    d.sleep(d.settings.tick + d.settings.wake_gap)
    assert d.state.epoch == epoch  # a late tick at the bound is not sleep
    d.sleep(d.settings.tick + d.settings.wake_gap + 0.5)
    assert d.state.epoch == epoch + 1


# Episodes: one notice when it starts, one when it ends, updates in place between.


def down_then_up(d: Driver) -> None:
    confirm(d, MESSENGER_503)
    for _ in range(2):
        d.cycle(HEALTHY)


def test_recovery_is_said_once_when_the_service_has_stayed_up_for_the_hold_down() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, MESSENGER_503)
    for _ in range(3):
        d.cycle(MESSENGER_503)
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)
    assert d.view().display is Display.ALL_CLEAR  # it answers: the tray says so at once
    last_fail = d.state.track("messenger").last_fail  # type: ignore[union-attr]
    assert last_fail is not None
    while d.now + d.settings.interval < last_fail + d.settings.hold_down:
        d.cycle(HEALTHY)
    assert len(d.notes) == 1  # not yet: the hold-down has not passed
    d.advance(last_fail + d.settings.hold_down - d.now)
    d.sample(HEALTHY)  # exactly the hold-down after the last failure
    assert len(d.notes) == 2
    assert d.notes[1].title == "Messenger is back (down 4 min)"  # first failure to first good sample
    assert d.notes[1].kind is NoteKind.RECOVERY and d.notes[1].key == d.notes[0].key  # replaces the outage
    assert d.cycle(HEALTHY) == []


def test_dropping_again_inside_an_episode_updates_the_same_notice_at_most_every_few_minutes() -> None:
    d = Driver()
    down_then_up(d)
    confirm(d, MESSENGER_503)  # down again a minute later: too soon for an update
    assert d.titles() == ["It's not your wifi — Messenger is down"]
    for _ in range(3):
        d.cycle(HEALTHY)
        d.cycle(HEALTHY)
        d.advance(120)
        confirm(d, MESSENGER_503)
    # Dropped at 145 s (too soon after the notice at 10 s), 340 s (said: 3 drops, 5 min or more
    # after the last), 535 and 730 s (not said: 4 and 5 drops are not yet twice 3).
    updates = d.notes[1:]
    assert [n.title for n in updates] == ["Messenger keeps dropping: down 3 times in 5 min"]
    assert updates[0].key == d.notes[0].key  # updated in place, not stacked
    assert d.state.track("messenger").drops == 5  # type: ignore[union-attr]
    for _ in range(2):
        d.cycle(HEALTHY)
        d.cycle(HEALTHY)
        d.advance(120)
        confirm(d, MESSENGER_503)
    assert d.titles()[-1] == "Messenger keeps dropping: down 6 times in 15 min"  # twice 3
    said = [c.at for c in d.changes]
    assert all(b - a >= d.settings.flap_update_every for a, b in itertools.pairwise(said))


def test_two_services_dropping_again_together_are_both_named() -> None:
    d = Driver()
    confirm(d, BOTH_DOWN)
    for _ in range(2):
        d.cycle(HEALTHY)
    for _ in range(3):
        d.cycle(HEALTHY)
        d.cycle(HEALTHY)
        d.advance(120)
        confirm(d, BOTH_DOWN)
    assert [n.title for n in d.notes[1:]] == [
        "Messenger and Instagram keep dropping: down 2 times in 5 min",
        "Messenger and Instagram keep dropping: down 4 times in 11 min",
    ]
    assert set(d.notes[1].services) == {"instagram", "messenger"}


def test_services_dropping_again_a_different_number_of_times_are_named_without_a_count() -> None:
    d = Driver()
    down_then_up(d)  # Messenger's first drop, alone
    for _ in range(4):
        d.cycle(HEALTHY)
        d.cycle(HEALTHY)
        d.advance(120)
        confirm(d, BOTH_DOWN)
    assert d.titles() == [
        "It's not your wifi — Messenger is down",
        "It's not your wifi — Messenger and Instagram are down",  # Instagram's first drop
        "Messenger and Instagram keep dropping",  # Messenger has dropped once more than Instagram
    ]


@pytest.mark.parametrize("period", [1, 2])
def test_flapping_faster_than_the_confirmation_never_notifies(period: int) -> None:
    d = Driver()
    for i in range(100):
        d.cycle(MESSENGER_503 if (i // period) % 2 == 0 else HEALTHY)
    assert d.notes == []


def test_flapping_every_three_cycles_is_one_episode() -> None:
    d = Driver()
    for i in range(100):
        d.cycle(MESSENGER_503 if (i // 3) % 2 == 0 else HEALTHY)
    outages = [n for n in d.notes if n.kind is NoteKind.OUTAGE]
    assert outages[0].title == "It's not your wifi — Messenger is down"
    assert all(n.title.startswith("Messenger keeps dropping") for n in outages[1:])
    assert len({n.key for n in d.notes}) == 1
    for _ in range(30):
        d.cycle(HEALTHY)
    assert d.notes[-1].title.startswith("Messenger is back (down ")
    assert len([n for n in d.notes if n.kind is NoteKind.RECOVERY]) == 1


def test_recovery_is_not_lost_when_another_service_goes_down_in_the_same_cycle() -> None:
    # Messenger fails at 0, 5 and 10 s, answers at 70 and 75 s; Instagram fails at 135, 140 and
    # 145 s, when Messenger has also been up for its hold-down.
    d = Driver(settings=MonitorSettings(hold_down=135))
    down_then_up(d)
    d.cycle(INSTAGRAM_DOWN)
    d.cycle(INSTAGRAM_DOWN)
    notes = d.cycle(INSTAGRAM_DOWN)
    assert len(notes) == 1
    assert notes[0].title == "It's not your wifi — Instagram is down"
    assert "Messenger is back" in notes[0].body
    assert set(notes[0].services) == {"instagram", "messenger"}


def test_a_service_switched_off_while_down_leaves_the_tray() -> None:
    d = Driver()
    confirm(d, MESSENGER_503)
    d.cycle(verdict_of(INSTAGRAM_OK))  # Messenger switched off in Settings
    assert d.state.down == ()
    assert d.view().display is Display.ALL_CLEAR


def test_several_services_failing_together_make_one_notification() -> None:
    d = Driver()
    confirm(d, BOTH_DOWN)
    assert d.titles() == ["It's not your wifi — Messenger and Instagram are down"]


META_DNS_FAILS = decide(obs_of(META_DNS_FAILING, answers=META_DNS_ANSWERS))


def test_an_outage_of_metas_dns_is_announced_as_such() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, META_DNS_FAILS)
    assert d.titles() == ["It's not your wifi — Meta's DNS is failing"]


def test_a_block_is_confirmed_like_an_outage() -> None:
    d = Driver()
    d.cycle(BLOCKED)
    d.cycle(BLOCKED)
    assert d.notes == []
    d.cycle(BLOCKED)
    assert d.titles() == ["Messenger is blocked on this network"]
    assert d.view().display is Display.YOUR_SIDE


def test_before_a_failure_is_confirmed_the_tray_says_what_failed_not_whose_fault_it_is() -> None:
    # One failed check may be a lost packet: until the evidence confirms it, the words under the
    # dashed ring say who failed a check, not "It's not your wifi", "down", "blocked" or "DNS".
    for first, names, why in (
        (
            MESSENGER_503,
            "Messenger",
            "Messenger's servers are answering with an error. "
            "One failed check can be a lost packet: checking again before saying why.",
        ),
        (
            BOTH_DOWN,
            "Messenger and Instagram",
            "Messenger's servers are answering with an error. Instagram's servers are turning connections away. "
            "One failed check can be a lost packet: checking again before saying why.",
        ),
        (BLOCKED, "Messenger", "One failed check can be a lost packet: checking again before saying why."),
        (META_DNS_FAILS, "Messenger", "One failed check can be a lost packet: checking again before saying why."),
    ):
        d = Driver()
        d.cycle(HEALTHY)
        d.cycle(first)
        shown = d.view()
        assert d.state.in_doubt
        assert (shown.display, shown.headline) == (Display.CHECKING, f"Checking again: {names} failed a check")
        assert shown.explanation == why
        for _ in range(d.settings.confirm_failures - 1):
            d.cycle(first)
        assert d.view().headline == first.headline  # confirmed: now it is said


def test_a_service_only_slow_beside_a_failure_is_not_named_as_failing_a_check() -> None:
    instagram_slow = p("instagram", "www.instagram.com", ms=4000)
    mixed = verdict_of((MESSENGER_FAILS, MESSENGER_OK[1], instagram_slow, INSTAGRAM_OK[1]))
    assert {s.id for s in mixed.services if s.state is ServiceState.SLOW} == {"instagram"}
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(mixed)
    assert d.view().headline == "Checking again: Messenger failed a check"


def test_a_block_and_an_outage_confirmed_together_lead_with_the_outage() -> None:
    d = Driver()
    sinkholed = p("messenger", "www.messenger.com", Outcome.SINKHOLED, Layer.DNS, addresses=("0.0.0.0",))
    confirm(d, verdict_of((sinkholed, INSTAGRAM_FAILS, INSTAGRAM_OK[1])))
    assert d.titles() == ["It's not your wifi — Instagram is down"]
    assert d.notes[0].services == ("messenger", "instagram")


# Your own side: one episode whatever it passes through.


def test_offline_suppresses_service_alarms_and_says_its_you_once() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    for _ in range(6):
        d.cycle(OFFLINE)
    assert d.titles() == ["It's your connection"]
    assert d.notes[0].key == "local"
    assert d.state.down == ()
    assert d.view().display is Display.YOUR_SIDE


def test_your_side_is_one_episode_through_portal_unstable_and_offline() -> None:
    d = Driver()
    for verdict in (PORTAL, PORTAL, PORTAL, UNSTABLE, OFFLINE, OFFLINE, OFFLINE, PORTAL):
        d.cycle(verdict)
    assert d.titles() == ["This network wants you to sign in"]
    assert d.view().display is Display.CAPTIVE


def test_mixed_your_side_kinds_make_one_run_of_evidence() -> None:
    d = Driver()
    d.cycle(PORTAL)
    d.cycle(UNSTABLE)
    assert d.notes == []
    d.cycle(OFFLINE)
    assert d.titles() == ["It's your connection"]  # said as it is when confirmed


def test_back_online_follows_a_notified_episode_once() -> None:
    d = Driver()
    confirm(d, OFFLINE)
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)
    assert d.view().display is Display.ALL_CLEAR
    assert d.titles() == ["It's your connection"]  # the hold-down runs: wifi may drop again
    d.cycle(OFFLINE)
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)
    since_last = d.now
    while d.now - since_last < d.settings.local_hold_down:
        d.cycle(HEALTHY)
    assert d.titles() == ["It's your connection", "You're back online"]
    assert d.notes[1].key == "local"
    for _ in range(5):
        d.cycle(HEALTHY)
    assert len(d.notes) == 2


def test_a_stray_failing_sample_starts_the_wait_for_back_online_again() -> None:
    d = Driver()
    confirm(d, OFFLINE)
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)  # fixed: the quiet spell runs
    d.cycle(OFFLINE)  # one sample, not confirmed: your side failed again all the same
    stray = d.now
    while d.now - stray < d.settings.local_hold_down:
        assert d.titles() == ["It's your connection"]
        d.cycle(HEALTHY)
    assert d.titles() == ["It's your connection", "You're back online"]


def test_an_unstable_connection_is_back_after_ten_quiet_minutes_not_two() -> None:
    # Trouble that comes and goes: two good minutes in it are not the end of it.
    d = Driver()
    confirm(d, UNSTABLE)
    assert d.titles() == ["Your connection is unstable"]
    last = d.now
    while d.now - last < d.settings.hold_down:
        assert d.titles() == ["Your connection is unstable"]
        d.cycle(HEALTHY)
    assert d.titles() == ["Your connection is unstable", "You're back online"]
    confirm(d, OFFLINE)  # a new episode, offline only: the short wait again
    last = d.now
    while d.now - last < d.settings.local_hold_down:
        d.cycle(HEALTHY)
    assert d.titles()[-2:] == ["It's your connection", "You're back online"]


def test_back_online_is_not_said_for_an_episode_that_was_not_announced() -> None:
    d = Driver()
    d.pipeline.pause(d.now + 3600)
    confirm(d, OFFLINE)
    for _ in range(10):
        d.cycle(HEALTHY)
    assert [n.kind for n in d.history.notes] == [NoteKind.LOCAL, NoteKind.ONLINE]
    d.advance(3600)  # the pause runs out with nothing wrong: nothing to say
    assert d.notes == []


def test_back_online_is_not_said_when_the_trouble_ended_unannounced_under_a_pause() -> None:
    d = Driver()
    d.pipeline.pause(d.now + 600)
    confirm(d, OFFLINE)
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)  # fixed: the episode's hold-down runs
    d.advance(600)  # the pause ends with nothing wrong any more: nothing to say
    assert d.notes == []
    for _ in range(5):
        d.cycle(HEALTHY)
    assert [n.kind for n in d.history.notes] == [NoteKind.LOCAL, NoteKind.ONLINE]
    assert d.notes == []  # "back online" from trouble the user never heard of would puzzle


def test_back_online_can_be_switched_off() -> None:
    d = Driver()
    d.values["general.notify_online"] = False
    confirm(d, OFFLINE)
    for _ in range(10):
        d.cycle(HEALTHY)
    assert d.titles() == ["It's your connection"]


# Slow services.


def stay_slow_until_noticed(d: Driver) -> float:
    """After a sample that found www slow: it stays slow until its ten minutes are up, and nothing
    is said before. Returns the time of that first sample."""
    first = d.now
    while d.now - first < d.settings.slow_after - d.settings.interval:
        d.cycle(SLOW)
    assert d.notes == []
    d.advance(first + d.settings.slow_after - d.now)
    d.sample(SLOW)
    return first


def test_a_service_slow_for_ten_minutes_notifies_once() -> None:
    d = Driver()
    d.cycle(SLOW)
    first = stay_slow_until_noticed(d)
    assert d.titles() == ["Messenger has been slow for 10 min"]
    assert d.now - first == 600  # the default: ten minutes, to the second
    assert d.notes[0].kind is NoteKind.SLOW
    for _ in range(20):
        d.cycle(SLOW)
    assert len(d.notes) == 1


def test_one_slow_answer_is_checked_again_before_the_tray_turns_amber() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(SLOW)
    assert (d.view().display, d.view().headline) == (Display.CHECKING, "Checking again: Messenger is slow")
    d.cycle(HEALTHY)
    d.cycle(SLOW)  # not two in a row
    assert d.view().display is Display.CHECKING
    d.cycle(SLOW)
    assert (d.view().display, d.view().headline) == (Display.DEGRADED, "Messenger is slow")
    # A failure, or a new network, starts the count again.
    for between in (
        lambda: d.cycle(MESSENGER_503),
        lambda: setattr(d, "state", monitor.network_changed(d.state, d.now)),
    ):
        between()
        d.cycle(SLOW)
        assert d.view().display is Display.CHECKING
        d.cycle(SLOW)
        assert d.view().display is Display.DEGRADED


def test_slowness_moving_from_one_site_to_another_is_checked_again_before_amber() -> None:
    d = Driver()
    d.cycle(SLOW)  # www.messenger.com slow
    d.cycle(SLOW_CHAT)  # then only its chat edge: noise moving around, not one thing slow
    assert (d.view().display, d.view().headline) == (Display.CHECKING, "Checking again: Messenger is slow")
    d.cycle(SLOW_CHAT)
    assert (d.view().display, d.view().headline) == (Display.DEGRADED, "Messenger is slow")
    # Both slow, then one of them: that one was slow both times.
    d.cycle(HEALTHY)
    d.cycle(SLOW_BOTH)
    d.cycle(SLOW)
    assert d.view().display is Display.DEGRADED


def test_slowness_that_never_stays_on_one_site_is_no_slow_notice() -> None:
    d = Driver()
    for turn in range(30):  # half an hour, a different site slow each minute
        d.cycle(SLOW if turn % 2 else SLOW_CHAT)
        assert d.view().display is Display.CHECKING
    assert d.notes == [] and d.history.notes == []
    # The last turn found www slow. It stays slow: its ten minutes run from that sample.
    stay_slow_until_noticed(d)
    assert d.titles() == ["Messenger has been slow for 10 min"]
    # The slowness moves to the chat edge and stays there: the same slow spell, said once.
    for _ in range(15):
        d.cycle(SLOW_CHAT)
    assert len(d.notes) == 1 and d.view().display is Display.DEGRADED


def test_slow_notices_can_be_switched_off() -> None:
    d = Driver()
    d.values["general.notify_slow"] = False
    for _ in range(20):
        d.cycle(SLOW)
    assert d.notes == [] and [n.kind for n in d.history.notes] == [NoteKind.SLOW]


# Pause, mutes and the pipeline.


def test_pause_silences_but_keeps_the_state_the_history_and_says_what_is_still_wrong() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.pipeline.pause(d.now + 3600)
    confirm(d, MESSENGER_503)
    assert d.notes == []
    assert [n.title for n in d.history.notes] == ["It's not your wifi — Messenger is down"]
    shown = d.view()
    assert shown.display is Display.DOWN and shown.paused
    d.resume()
    assert d.titles() == ["Messenger is still down"]
    assert not d.view().paused


def test_resuming_names_every_service_still_down_since_the_first_went() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.pipeline.pause(d.now + 7200)
    confirm(d, MESSENGER_503)
    d.advance(1800)
    confirm(d, BOTH_DOWN)
    (messenger,) = (c for c in d.changes if c.kind is ChangeKind.DOWN and c.service_id == "messenger")
    assert {c.service_id for c in d.changes if c.kind is ChangeKind.DOWN} == {"messenger", "instagram"}
    d.resume()
    (note,) = d.notes
    assert note.title == "Messenger and Instagram are still down"
    assert note.body == f"Since {monitor.clock_time(messenger.since)}; your connection works."


def test_a_pause_that_runs_out_says_what_is_still_wrong() -> None:
    d = Driver()
    d.pipeline.pause(d.now + 600)
    confirm(d, OFFLINE)
    assert d.notes == []
    d.advance(700)
    assert d.titles() == ["It's your connection"]
    assert d.pipeline.quiet.paused_until is None


def test_resuming_when_all_is_well_says_nothing() -> None:
    d = Driver()
    d.pipeline.pause(d.now + 600)
    d.cycle(HEALTHY)
    d.resume()
    assert d.notes == []


def test_a_service_muted_until_it_is_back_is_quiet_while_others_are_not() -> None:
    d = Driver(settings=MonitorSettings(hold_down=60))
    d.pipeline.mute("messenger", UNTIL_BACK)
    confirm(d, MESSENGER_503)
    assert d.notes == [] and len(d.history.notes) == 1
    assert [r.muted for r in d.view().rows] == [True, False]
    confirm(d, BOTH_DOWN)
    assert d.titles() == ["It's not your wifi — Messenger and Instagram are down"]  # Instagram is news
    for _ in range(6):
        d.cycle(HEALTHY)
    assert d.pipeline.quiet.mutes == ()  # the episode ended: so did the mute
    confirm(d, MESSENGER_503)
    assert d.titles()[-1] == "It's not your wifi — Messenger is down"


def test_a_notice_about_a_muted_and_an_unmuted_service_is_shown() -> None:
    d = Driver()
    d.pipeline.mute("messenger", d.now + 3600)
    confirm(d, BOTH_DOWN)
    assert d.titles() == ["It's not your wifi — Messenger and Instagram are down"]


def test_a_mute_for_an_hour_runs_out() -> None:
    d = Driver()
    d.pipeline.mute("messenger", d.now + 3600)
    assert d.view().rows == ()
    d.cycle(HEALTHY)
    assert d.view().rows[0].muted
    d.advance(3600)
    assert not d.view().rows[0].muted and d.pipeline.quiet.mutes == ()


def test_a_failing_sink_neither_raises_nor_stops_the_others() -> None:
    shown = Recorder("desktop")
    pipeline = Pipeline(settings=defaults, sinks=[Broken(), shown], clock=lambda: 0.0)
    note = Notification("It's your connection", "", kind=NoteKind.LOCAL)
    assert pipeline.publish([note]) == [note]
    assert shown.notes == [note]


def test_policy_choices_and_quiet_hours() -> None:
    values = {
        **defaults(),
        "general.notify_recovery": False,
        "general.quiet_from": "23:00",
        "general.quiet_until": "07:30",
    }
    quiet = Quiet()
    outage = Notification("x", "", kind=NoteKind.OUTAGE)

    def why(note: Notification, hour: int, minute: int = 0, vals: dict[str, Any] = values) -> str | None:
        return held_back(vals, quiet, note, 0.0, hour=hour, minute=minute)

    assert why(outage, 12) is None
    assert why(Notification("x", "", kind=NoteKind.RECOVERY), 12) == "general.notify_recovery is off"
    assert why(outage, 23, 15) == "quiet hours"  # across midnight
    assert why(outage, 7, 29) == "quiet hours"
    assert why(outage, 7, 30) is None
    assert why(Notification("x", "", kind=NoteKind.APP), 23, 15) is None  # about traywatch itself
    assert why(Notification("x", "", kind=NoteKind.LOCAL), 12, vals={**values, "general.notifications": False})
    assert not in_quiet_hours({"general.quiet_from": "", "general.quiet_until": ""}, 3, 0)


# What the tray shows.


def test_view_rows_and_headline() -> None:
    d = Driver()
    confirm(d, MESSENGER_503)
    v = d.view()
    assert v.headline == "It's not your wifi — Messenger is down"
    assert [(r.name, r.state, r.layer) for r in v.rows] == [("Messenger", "down", "http"), ("Instagram", "up", "")]
    assert v.rows[1].latency == "50 ms"


def test_first_view_is_checking() -> None:
    assert view(monitor.initial(MonitorSettings(), 0)).display is Display.CHECKING


def test_format_duration() -> None:
    assert monitor.format_duration(30) == "under a minute"
    assert monitor.format_duration(23 * 60 + 5) == "23 min"
    assert monitor.format_duration(3600) == "1 h"
    assert monitor.format_duration(3600 + 120) == "1 h 2 min"


def test_tomorrow_morning_is_tomorrow_at_eight() -> None:
    now = dt.datetime(2026, 11, 25, 22, 30).astimezone().timestamp()
    until = dt.datetime.fromtimestamp(monitor.tomorrow_morning(now)).astimezone()
    assert (until.day, until.hour, until.minute) == (26, 8, 0)


def test_edge_probe_roles_are_judged_like_web_ones() -> None:
    edge_down = p("messenger", "edge-chat.messenger.com", Outcome.TIMEOUT, Layer.TLS, role=Role.EDGE)
    d = Driver()
    confirm(d, verdict_of((MESSENGER_OK[0], edge_down, *INSTAGRAM_OK)))
    assert d.titles() == ["It's not your wifi — Messenger is down"]


# Whatever the sequence, the rules hold.

_SAMPLES = {"up": HEALTHY, "down": MESSENGER_503, "shaky": SHAKY_503, "offline": OFFLINE}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(_SAMPLES)), st.floats(0, 400)), max_size=60))
# Four failing samples over exactly the span, the last three closer together: the run counts.
@example([("down", 0.0), ("down", 1.0), ("down", 0.0), ("down", 9.0)])
def test_no_alarm_without_its_evidence_and_episodes_alternate(steps: list[tuple[str, float]]) -> None:
    d = Driver()
    span = d.settings.confirm_span
    run: list[float] = []  # start times of the clean failing samples in a row, as the rules count them
    for name, gap in steps:
        d.advance(gap)
        before = len(d.changes)
        d.sample(_SAMPLES[name])
        if name == "down":
            run.append(d.now)
        elif name in ("up", "offline"):
            run = []
        for change in d.changes[before:]:
            if change.kind is ChangeKind.DOWN:
                # The rule as docs/notifications.md states it: enough samples in a row, and the
                # run spanning the least time from its first sample to its last.
                assert len(run) >= d.settings.confirm_failures
                assert run[-1] - run[0] >= span
    kinds = [c.kind for c in d.changes if c.service_id == "messenger" and c.kind is not ChangeKind.DROPPED_AGAIN]
    assert all(a is not b for a, b in itertools.pairwise(kinds))  # down, back, down...: never twice
    assert not kinds or kinds[0] is ChangeKind.DOWN
    assert (
        len([n for n in d.notes if n.kind is NoteKind.LOCAL])
        <= len([c for c in d.changes if c.kind is ChangeKind.ONLINE]) + 1
    )


# Meta's own word: one calm notice per episode, amber in the tray.


def _with_page(services: tuple[ProbeResult, ...], text: str, instagram: str = "No known issues") -> Verdict:
    from traywatch.statuspage import ProductStatus, StatusReport, level_of

    products = (
        ProductStatus("messenger", "Messenger Platform", level_of(text), text),
        ProductStatus("instagram", "Instagram Platform", level_of(instagram), instagram),
    )
    obs = Observations(
        services,
        CONTROLS_OK,
        (),
        2500,
        service_names=NAMES,
        status_page=StatusReport(1.0, products),
        status_products=(("messenger", ("messenger",)), ("instagram", ("instagram",))),
    )
    return decide(obs)


META_SAYS = _with_page(MESSENGER_OK + INSTAGRAM_OK, "Major disruptions")
META_CALM = _with_page(MESSENGER_OK + INSTAGRAM_OK, "No known issues")


def test_meta_reports_one_notice_per_episode_amber_in_the_tray() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    notes = d.cycle(META_SAYS)
    assert [(n.kind, n.title) for n in notes] == [(NoteKind.META, "Meta reports problems with Messenger")]
    assert notes[0].body.startswith(
        "Messenger still works from here, but Meta says it has problems. Meta's status page: Messenger Platform"
    )
    assert notes[0].urgency is Urgency.NORMAL and notes[0].services == ("messenger",)
    assert d.view().display is Display.DEGRADED
    assert "Meta reports problems" in d.view().rows[0].words
    for _ in range(30):
        assert d.cycle(META_SAYS) == []
    # Cleared, and back within the hold-down: the same episode, not a second notice.
    d.cycle(META_CALM)
    d.advance(d.settings.hold_down - 60)
    assert d.cycle(META_SAYS) == []
    # Cleared for a whole hold-down: the next report is a new episode.
    d.cycle(META_CALM)
    d.advance(d.settings.hold_down + 5)
    d.cycle(META_CALM)
    assert [n.kind for n in d.cycle(META_SAYS)] == [NoteKind.META]


def test_a_second_report_gives_only_its_own_services_reasons() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    (first,) = d.cycle(_with_page(MESSENGER_OK + INSTAGRAM_OK, "No known issues", instagram="Major disruptions"))
    assert first.title == "Meta reports problems with Instagram" and "Instagram Platform" in first.body
    (second,) = d.cycle(_with_page(MESSENGER_OK + INSTAGRAM_OK, "Major disruptions", instagram="Major disruptions"))
    assert second.title == "Meta reports problems with Messenger"
    assert "Messenger Platform" in second.body and "Instagram" not in second.body


def test_meta_reports_can_be_switched_off() -> None:
    d = Driver()
    d.values["general.notify_meta_reports"] = False
    d.cycle(HEALTHY)
    d.cycle(META_SAYS)
    assert d.shown.notes == [] and [n.kind for n in d.history.notes] == [NoteKind.META]


def test_meta_still_reporting_after_back_is_no_new_notice() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    down_and_reported = _with_page((MESSENGER_FAILS, MESSENGER_OK[1], *INSTAGRAM_OK), "Major disruptions")
    confirm(d, down_and_reported)
    assert [n.kind for n in d.shown.notes] == [NoteKind.OUTAGE]
    assert "Meta's status page confirms" in d.shown.notes[0].body
    d.shown.notes.clear()
    # The page lags: it still reports after the service answers again, through "back" and on.
    d.cycle(META_SAYS)
    while d.state.track("messenger").in_episode:  # type: ignore[union-attr]
        d.cycle(META_SAYS)
    for _ in range(10):
        d.cycle(META_SAYS)
    assert [n.kind for n in d.shown.notes] == [NoteKind.RECOVERY]


# Noise moves around; a broken service fails the same way each time.

EDGE_TIMES_OUT = p("messenger", "edge-chat.messenger.com", Outcome.TIMEOUT, Layer.TLS, role=Role.EDGE)
MESSENGER_EDGE_DOWN = verdict_of((MESSENGER_OK[0], EDGE_TIMES_OUT, *INSTAGRAM_OK))


def test_failures_that_move_between_endpoints_are_not_an_outage() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    for _ in range(4):  # web, edge, web, edge...: each sample fails, never the same endpoint twice
        assert d.cycle(MESSENGER_503) == []
        assert d.cycle(MESSENGER_EDGE_DOWN) == []
    assert d.shown.notes == []


def test_the_same_endpoint_failing_each_time_is_confirmed() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_EDGE_DOWN)  # a different endpoint: the count starts again from here
    d.cycle(MESSENGER_EDGE_DOWN)
    assert d.shown.notes == []
    d.cycle(MESSENGER_EDGE_DOWN)
    assert [n.kind for n in d.shown.notes] == [NoteKind.OUTAGE]


# Boundaries of the rules above, each failing when its comparison or count moves by one.


@pytest.mark.parametrize("verdict", [MESSENGER_503, OFFLINE], ids=["service", "your side"])
def test_two_failing_samples_far_apart_are_not_enough(verdict: Verdict) -> None:
    d = Driver()
    d.sample(verdict)  # the first sample of all: counted from nothing
    d.advance(600)
    d.sample(verdict)
    assert d.notes == [] and d.changes == []
    d.advance(5)
    d.sample(verdict)
    assert len(d.changes) == 1


def test_the_first_confirmation_is_the_episodes_first_drop() -> None:
    d = Driver()
    confirm(d, MESSENGER_503)
    assert [(c.kind, c.drops) for c in d.changes] == [(ChangeKind.DOWN, 1)]


def test_one_your_side_sample_shows_nothing_confirmed_yet() -> None:
    d = Driver()
    d.cycle(OFFLINE)
    assert d.state.you.problem is None
    assert d.view().display is Display.CHECKING


def test_back_online_comes_two_minutes_after_the_last_failure_by_default() -> None:
    d = Driver()
    confirm(d, OFFLINE)
    last_fail = d.now
    d.advance(60)
    d.sample(HEALTHY)
    d.advance(59.5)
    d.sample(HEALTHY)  # fixed, 119.5 s after the last failure: the hold-down still runs
    assert ChangeKind.ONLINE not in [c.kind for c in d.changes]
    d.advance(0.5)
    d.sample(HEALTHY)
    assert d.now - last_fail == 120
    assert d.changes[-1].kind is ChangeKind.ONLINE


def test_a_gap_of_35_seconds_between_ticks_is_not_sleep_and_more_is() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    epoch = d.state.epoch
    d.sleep(35)
    assert d.state.epoch == epoch
    d.sleep(35.5)
    assert d.state.epoch == epoch + 1


def test_a_service_down_before_a_long_spell_of_your_side_is_back_only_after_two_good_samples() -> None:
    d = Driver()
    confirm(d, MESSENGER_503)
    for _ in range(20):  # 20 minutes offline: the service's last failure is long past
        d.cycle(OFFLINE)
    d.cycle(HEALTHY)
    assert ChangeKind.BACK not in [c.kind for c in d.changes]
    d.cycle(HEALTHY)
    assert ChangeKind.BACK in [c.kind for c in d.changes]


def test_one_control_down_is_clean_and_two_are_not() -> None:
    reset = ctl("nmcheck2.gnome.org", Outcome.RESET)
    assert monitor.is_clean(verdict_of((MESSENGER_FAILS, MESSENGER_OK[1]), (*CONTROLS_OK, reset)))
    two_off = (*CONTROLS_OK[:4], ctl("1.1.1.1", Outcome.TIMEOUT), reset)
    assert not monitor.is_clean(verdict_of((MESSENGER_FAILS, MESSENGER_OK[1]), two_off))


def test_a_failed_cycle_from_before_a_network_change_changes_nothing() -> None:
    d = Driver()
    d.state, token = monitor.start_cycle(d.state, d.now)
    d.state = monitor.network_changed(d.state, d.now)
    before = d.state
    assert monitor.cycle_failed(d.state, token, d.now + 1) == before
    assert monitor.cycle_failed(d.state, d.state.epoch, d.now).next_check == d.now + d.settings.recheck


def test_durations_round_down_to_whole_minutes() -> None:
    assert monitor.format_duration(59.9) == "under a minute"
    assert monitor.format_duration(60) == "1 min"
    assert monitor.format_duration(3599) == "59 min"


def test_a_pause_ends_at_its_moment() -> None:
    quiet = Quiet(paused_until=100.0)
    assert quiet.paused(99.9) and not quiet.paused(100.0)


def test_muting_a_service_again_replaces_its_mute() -> None:
    from traywatch.policy import mute

    quiet = mute(mute(Quiet(), "messenger", 100.0), "messenger", 200.0)
    assert quiet.mutes == (("messenger", 200.0),)
    assert mute(quiet, "instagram", None).mutes == (("messenger", 200.0), ("instagram", None))


def test_expiring_with_nothing_paused_resumes_nothing() -> None:
    from traywatch.policy import expire

    assert expire(Quiet(mutes=(("messenger", None),)), 50.0) == (Quiet(mutes=(("messenger", None),)), False)
    assert expire(Quiet(paused_until=50.0), 50.0) == (Quiet(), True)


@pytest.mark.parametrize(("start", "end"), [("23:00", ""), ("", "07:00")])
def test_quiet_hours_need_both_ends(start: str, end: str) -> None:
    assert not in_quiet_hours({"general.quiet_from": start, "general.quiet_until": end}, 23, 30)


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(13, 29, False), (13, 30, True), (14, 44, True), (14, 45, False)],
)
def test_quiet_hours_within_a_day_begin_and_end_on_the_minute(hour: int, minute: int, quiet: bool) -> None:
    values = {"general.quiet_from": "13:30", "general.quiet_until": "14:45"}
    assert in_quiet_hours(values, hour, minute) is quiet


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(22, 44, False), (22, 45, True), (0, 0, True), (6, 14, True), (6, 15, False)],
)
def test_quiet_hours_across_midnight_begin_and_end_on_the_minute(hour: int, minute: int, quiet: bool) -> None:
    values = {"general.quiet_from": "22:45", "general.quiet_until": "06:15"}
    assert in_quiet_hours(values, hour, minute) is quiet


def test_quiet_hours_that_begin_as_they_end_are_never_quiet() -> None:
    values = {"general.quiet_from": "08:00", "general.quiet_until": "08:00"}
    assert not any(in_quiet_hours(values, h, m) for h in range(24) for m in (0, 30))


def test_a_mute_ends_at_its_moment_and_unmuting_one_service_keeps_the_others() -> None:
    from traywatch.policy import unmute

    quiet = Quiet(mutes=(("messenger", 100.0), ("instagram", None)))
    assert quiet.muted("messenger", 99.9) and not quiet.muted("messenger", 100.0)
    assert unmute(quiet, "messenger").mutes == (("instagram", None),)


def test_the_monitors_own_defaults_are_the_settings_defaults() -> None:
    # The pure tests run on MonitorSettings(); the app on what the settings say. Both the same.
    from traywatch.config import default_config

    assert default_config().monitor == MonitorSettings()


def test_a_sample_is_dated_when_its_cycle_started() -> None:
    # A slow cycle neither stretches nor shrinks the span of evidence, nor delays the re-check.
    d = Driver()
    started = d.now
    d.state, token = monitor.start_cycle(d.state, started)
    d.state, _ = monitor.cycle_done(d.state, token, MESSENGER_503, started + 1.9)
    track = d.state.track("messenger")
    assert track is not None and track.first_fail == started
    assert d.state.next_check == started + d.settings.recheck


def test_back_after_two_drops_says_how_many() -> None:
    d = Driver()
    down_then_up(d)
    confirm(d, MESSENGER_503)  # the second drop of the same episode
    while not any(c.kind is ChangeKind.BACK for c in d.changes):
        d.cycle(HEALTHY)
    assert d.titles()[-1].startswith("Messenger is back (down 2 times in ")


def test_urgencies_are_the_notification_specs_levels() -> None:
    # Sent as the "urgency" byte of org.freedesktop.Notifications: low 0, normal 1, critical 2.
    assert [(u.name, u.value) for u in Urgency] == [("LOW", 0), ("NORMAL", 1), ("CRITICAL", 2)]


def test_back_online_is_shown_after_notices_of_other_kinds_between() -> None:
    d = Driver()
    local = Notification("It's your connection", "", kind=NoteKind.LOCAL)
    online = Notification("You're back online", "", kind=NoteKind.ONLINE)
    outage = Notification("It's not your wifi — Messenger is down", "", kind=NoteKind.OUTAGE)
    shown = d.pipeline.publish([local, outage, online])
    assert shown == [local, outage, online]
    assert d.pipeline.publish([online]) == []  # said once: nothing announced since


@pytest.mark.parametrize(
    ("verdict", "kind", "title"),
    [
        (OFFLINE, NoteKind.LOCAL, "It's your connection"),
        (PORTAL, NoteKind.PORTAL, "This network wants you to sign in"),
        (CLOCK, NoteKind.LOCAL, "Your computer's clock is wrong"),
    ],
)
def test_what_is_still_wrong_on_your_side_says_since_when(verdict: Verdict, kind: NoteKind, title: str) -> None:
    d = Driver()
    d.pipeline.pause(d.now + 3600)
    began = d.now
    confirm(d, verdict)
    d.resume()
    assert [(n.kind, n.title, n.body) for n in d.notes] == [
        (kind, title, f"Still the case, since {monitor.clock_time(began)}.")
    ]


def test_a_pause_that_ran_out_is_not_shown_before_it_is_swept() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    quiet = Quiet(paused_until=d.now + 100)
    assert view(d.state, quiet, d.now + 99).paused
    assert not view(d.state, quiet, d.now + 100).paused


@pytest.mark.parametrize(
    ("trouble", "display", "headline", "explanation"),
    [
        (OFFLINE, Display.YOUR_SIDE, "It's your connection", "Checking whether it is fixed: all clear."),
        (
            MESSENGER_503,
            Display.DOWN,
            "It's not your wifi — Messenger is down",
            "Checking whether it is back: all clear.",
        ),
    ],
    ids=["your side", "a service"],
)
def test_while_trouble_ends_the_tray_keeps_its_title_and_says_it_is_checking(
    trouble: Verdict, display: Display, headline: str, explanation: str
) -> None:
    d = Driver()
    confirm(d, trouble)
    d.cycle(HEALTHY)  # one good sample: not yet fixed, not yet back
    v = d.view()
    assert (v.display, v.headline, v.explanation) == (display, headline, explanation)
    if trouble is MESSENGER_503:  # its row stays down through the episode
        assert [(r.name, r.state) for r in v.rows] == [("Messenger", "down"), ("Instagram", "up")]


def test_the_view_says_when_a_check_is_running() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    assert not d.view().checking
    d.state, token = monitor.start_cycle(d.state, d.now)
    assert d.view().checking
    d.state, _ = monitor.cycle_done(d.state, token, HEALTHY, d.now)
    assert not d.view().checking
