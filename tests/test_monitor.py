"""The monitor state machine, driven by a fake clock and hand-made verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.test_verdict import CONTROLS_OK, INSTAGRAM_OK, MESSENGER_OK, ctl, p
from traywatch import monitor
from traywatch.model import Layer, Observations, Outcome, ProbeResult
from traywatch.monitor import Display, MonitorSettings, NoteKind, Notification, Urgency
from traywatch.verdict import Verdict, decide

NAMES = (("messenger", "Messenger"), ("instagram", "Instagram"))


def verdict_of(services: tuple[ProbeResult, ...], controls: tuple[ProbeResult, ...] = CONTROLS_OK) -> Verdict:
    return decide(Observations(services, controls, (), 2500, service_names=NAMES))


HEALTHY = verdict_of(MESSENGER_OK + INSTAGRAM_OK)
MESSENGER_503 = verdict_of(
    (
        p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503, detail="answers HTTP 503"),
        MESSENGER_OK[1],
        *INSTAGRAM_OK,
    )
)
BOTH_DOWN = verdict_of(
    (
        p("messenger", "www.messenger.com", Outcome.REFUSED, Layer.TCP),
        MESSENGER_OK[1],
        p("instagram", "www.instagram.com", Outcome.TIMEOUT, Layer.HTTP),
        INSTAGRAM_OK[1],
    )
)
OFFLINE = verdict_of(
    tuple(
        p(s, h, Outcome.UNREACHABLE, Layer.TCP)
        for s, h in (("messenger", "www.messenger.com"), ("instagram", "www.instagram.com"))
    ),
    tuple(ctl(c.host, Outcome.UNREACHABLE, Layer.TCP) for c in CONTROLS_OK),
)
PORTAL = verdict_of(
    MESSENGER_OK + INSTAGRAM_OK, tuple(ctl(c.host, Outcome.REDIRECT_OFFSITE, status=302) for c in CONTROLS_OK)
)


@dataclass
class Driver:
    """Runs the monitor as the app does, with a clock that moves only when told."""

    settings: MonitorSettings = field(default_factory=MonitorSettings)
    now: float = 1_000_000.0
    notes: list[Notification] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = monitor.initial(self.settings, self.now)

    def cycle(self, verdict: Verdict) -> list[Notification]:
        """Wait until the next check is due (ticking as the app does), then run one cycle."""
        while not monitor.due(self.state, self.now):
            self.advance(self.settings.tick)
        self.state, token = monitor.start_cycle(self.state)
        self.state, notes = monitor.cycle_done(self.state, token, verdict, self.now)
        self.notes += notes
        return notes

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.state = monitor.tick(self.state, self.now)


def test_one_failing_cycle_is_not_enough_and_rechecks_quickly() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    assert d.state.next_check == d.now + 60
    assert d.cycle(MESSENGER_503) == []
    assert d.state.next_check == d.now + 10  # in doubt: re-check soon
    assert monitor.view(d.state).display is Display.CHECKING


def test_confirmed_outage_notifies_once_with_evidence() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(MESSENGER_503)
    notes = d.cycle(MESSENGER_503)
    assert notes == [
        Notification(
            "It's not your wifi — Messenger is down",
            "www.messenger.com answers HTTP 503; your connection works: 5/5 checks.",
            Urgency.CRITICAL,
            NoteKind.OUTAGE,
        )
    ]
    assert d.cycle(MESSENGER_503) == []  # still down: no repeat
    assert monitor.view(d.state).display is Display.DOWN
    assert d.state.next_check == d.now + 60


def test_recovery_after_confirmations_says_how_long() -> None:
    d = Driver()
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    for _ in range(3):
        d.cycle(MESSENGER_503)
    assert d.cycle(HEALTHY) == []  # one good cycle is not a recovery yet
    notes = d.cycle(HEALTHY)
    assert len(notes) == 1
    assert notes[0].title == "Messenger is back (down 4 min)"  # 0 s to 260 s
    assert notes[0].key == "outage"  # replaces the outage notice
    assert monitor.view(d.state).display is Display.ALL_CLEAR


def test_flapping_never_notifies() -> None:
    d = Driver()
    for _ in range(20):
        d.cycle(MESSENGER_503)
        d.cycle(HEALTHY)
    assert d.notes == []


def test_flapping_while_down_never_announces_recovery() -> None:
    d = Driver()
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    d.notes.clear()
    for _ in range(10):
        d.cycle(HEALTHY)
        d.cycle(MESSENGER_503)
    assert d.notes == []
    assert d.state.down == ("messenger",)


def test_several_services_failing_together_make_one_notification() -> None:
    d = Driver()
    d.cycle(BOTH_DOWN)
    notes = d.cycle(BOTH_DOWN)
    assert [n.title for n in notes] == ["It's not your wifi — Messenger and Instagram are down"]


def test_offline_suppresses_service_alarms_and_says_its_you_once() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    for _ in range(6):
        d.cycle(OFFLINE)
    assert [n.title for n in d.notes] == ["It's your connection"]
    assert d.notes[0].key == "local"
    assert d.state.down == ()
    assert monitor.view(d.state).display is Display.YOUR_SIDE


def test_captive_portal_has_its_own_state_and_notice() -> None:
    d = Driver()
    d.cycle(PORTAL)
    d.cycle(PORTAL)
    assert [n.title for n in d.notes] == ["This network wants you to sign in"]
    assert monitor.view(d.state).display is Display.CAPTIVE


def test_new_local_episode_notifies_again() -> None:
    d = Driver()
    for v in (OFFLINE, OFFLINE, HEALTHY, HEALTHY, OFFLINE, OFFLINE):
        d.cycle(v)
    assert [n.title for n in d.notes] == ["It's your connection", "It's your connection"]


def test_offline_cycles_do_not_count_towards_recovery_or_failure() -> None:
    d = Driver()
    d.cycle(MESSENGER_503)
    d.cycle(OFFLINE)
    d.cycle(OFFLINE)
    d.cycle(MESSENGER_503)  # the second failing Messenger cycle, with offline ones between
    assert [n.title for n in d.notes] == ["It's your connection", "It's not your wifi — Messenger is down"]


def test_resume_after_sleep_discards_the_stale_cycle_and_checks_at_once() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.advance(60)
    d.state, token = monitor.start_cycle(d.state)
    d.now += 3600  # the lid closes with a cycle in flight; ticks stop
    d.state = monitor.tick(d.state, d.now)
    assert monitor.due(d.state, d.now)
    d.state, notes = monitor.cycle_done(d.state, token, OFFLINE, d.now)
    assert notes == [] and d.state.local_fails == 0  # the stale verdict was dropped
    d.cycle(HEALTHY)
    assert d.notes == []


def test_network_change_rechecks_at_once_and_drops_cycle_in_flight() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.advance(5)
    d.state, token = monitor.start_cycle(d.state)
    d.state = monitor.network_changed(d.state, d.now)
    assert monitor.due(d.state, d.now)
    d.state, _ = monitor.cycle_done(d.state, token, MESSENGER_503, d.now)
    track = d.state.track("messenger")
    assert track is not None and track.fails == 0  # the stale failure did not count
    assert not d.state.in_doubt


def test_regular_ticks_are_not_sleep() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    epoch = d.state.epoch
    for _ in range(30):
        d.advance(d.settings.tick)
    assert d.state.epoch == epoch
    d.advance(d.settings.tick + d.settings.wake_gap + 1)
    assert d.state.epoch == epoch + 1


def test_paused_is_quiet_but_keeps_state_and_resumes() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.state = monitor.pause(d.state, d.now + 3600)
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    assert d.notes == []
    assert d.state.down == ("messenger",)
    assert monitor.view(d.state).display is Display.PAUSED
    d.advance(3600)
    assert d.state.paused_until is None
    assert monitor.view(d.state).display is Display.DOWN


def test_check_now_makes_a_check_due() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    assert not monitor.due(d.state, d.now)
    d.state = monitor.check_now(d.state, d.now)
    assert monitor.due(d.state, d.now)


def test_view_rows_and_headline() -> None:
    d = Driver()
    d.cycle(MESSENGER_503)
    d.cycle(MESSENGER_503)
    v = monitor.view(d.state)
    assert v.headline == "It's not your wifi — Messenger is down"
    assert [(r.name, r.state, r.layer) for r in v.rows] == [("Messenger", "down", "http"), ("Instagram", "up", "")]
    assert v.rows[1].latency == "50 ms"


def test_first_view_is_checking() -> None:
    assert monitor.view(monitor.initial(MonitorSettings(), 0)).display is Display.CHECKING


def test_format_duration() -> None:
    assert monitor.format_duration(30) == "under a minute"
    assert monitor.format_duration(23 * 60 + 5) == "23 min"
    assert monitor.format_duration(3600) == "1 h"
    assert monitor.format_duration(3600 + 120) == "1 h 2 min"


def test_tomorrow_morning_is_tomorrow_at_eight() -> None:
    import datetime as dt

    now = dt.datetime(2026, 11, 25, 22, 30).astimezone().timestamp()
    until = dt.datetime.fromtimestamp(monitor.tomorrow_morning(now)).astimezone()
    assert (until.day, until.hour, until.minute) == (26, 8, 0)
