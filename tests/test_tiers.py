"""Light cycles: what they ask (tiers), how they are judged (decide_light), and when the monitor
runs them, on the fake clock: light while healthy, the full matrix at the first failure."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from tests.test_monitor import HEALTHY, MESSENGER_503, OFFLINE, Driver, confirm, verdict_of
from tests.test_verdict import CONTROLS_OK, INSTAGRAM_OK, MESSENGER_OK, p
from traywatch import monitor, tiers
from traywatch.catalog import Catalog, Endpoint, Service, shipped_catalog
from traywatch.model import Layer, Observations, Outcome, Role
from traywatch.monitor import ChangeKind, MonitorSettings
from traywatch.verdict import VerdictKind, decide_light

SHIPPED = shipped_catalog().enabled()
NAMES = (("messenger", "Messenger"), ("instagram", "Instagram"))


def asked(cat: Catalog) -> list[tuple[str, str]]:
    return [(s.id, e.id) for s in cat.services for e in s.endpoints]


# What a light cycle asks.


def test_a_light_cycle_asks_every_web_front_and_one_more_endpoint_and_no_control() -> None:
    light = tiers.light(SHIPPED, 0)
    fronts = [(s.id, e.id) for s in SHIPPED.services for e in s.endpoints if e.role is Role.WEB]
    assert len(fronts) == len(SHIPPED.services)
    assert set(fronts) < set(asked(light))
    assert len(asked(light)) == len(fronts) + 1
    assert light.controls == ()
    assert light.resolvers == SHIPPED.resolvers


def test_one_round_of_light_cycles_asks_every_endpoint_once() -> None:
    rounds = tiers.round_length(SHIPPED)
    fronts = {tiers.sentinel(s) for s in SHIPPED.services}
    extras: Counter[Endpoint] = Counter()
    for turn in range(rounds):
        extras.update(e for s in tiers.light(SHIPPED, turn).services for e in s.endpoints if e not in fronts)
    every = {e for s in SHIPPED.services for e in s.endpoints if e not in fronts}
    assert set(extras) == every
    assert all(n == 1 for n in extras.values())
    # Threads shares Instagram's API: the same request, asked once for both.
    pairs = sum(len(s.endpoints) - 1 for s in SHIPPED.services)
    assert rounds == len(every) == pairs - 1
    # The next round starts over.
    assert asked(tiers.light(SHIPPED, rounds)) == asked(tiers.light(SHIPPED, 0))


def test_the_rotation_spreads_a_service_over_the_round() -> None:
    order = [sid for sid, _ in tiers.rotation(SHIPPED)]
    # Every service with more than its front takes a turn before any takes a second one.
    first = order[: len(set(order))]
    assert sorted(first) == sorted(set(order))


def test_a_service_with_no_web_front_is_watched_by_its_first_endpoint() -> None:
    only = Endpoint("chat", Role.EDGE, "wss://chat.example/ws")
    other = Endpoint("api", Role.EDGE, "https://api.example/")
    cat = Catalog((Service("x", "X", ("example",), (only, other)),), (), ())
    assert tiers.sentinel(cat.services[0]) is only
    assert asked(tiers.light(cat, 0)) == [("x", "chat"), ("x", "api")]
    assert asked(tiers.light(cat, 1)) == [("x", "chat"), ("x", "api")]


def test_a_catalog_of_fronts_only_asks_the_fronts() -> None:
    front = Endpoint("web", Role.WEB, "https://x.example/")
    cat = Catalog((Service("x", "X", ("example",), (front,)),), (), ())
    assert tiers.round_length(cat) == 1
    assert asked(tiers.light(cat, 7)) == [("x", "web")]


# How a light cycle is judged.


def light_obs(*services: object) -> Observations:
    return Observations(tuple(services), (), (), 2500, service_names=NAMES)  # type: ignore[arg-type]


def test_a_light_cycle_where_everything_answers_is_all_clear_without_controls() -> None:
    verdict = decide_light(light_obs(*MESSENGER_OK, *INSTAGRAM_OK))
    assert verdict is not None
    assert verdict.kind is VerdictKind.ALL_CLEAR
    assert (verdict.controls_ok, verdict.controls_total) == (0, 0)
    assert monitor.is_clean(verdict)
    assert "every site asked answers" in verdict.explanation


@pytest.mark.parametrize(
    "failing",
    [
        p("messenger", "www.messenger.com", Outcome.HTTP_STATUS, status=503),
        p("messenger", "www.messenger.com", Outcome.TIMEOUT, Layer.TCP),
        p("messenger", "www.messenger.com", Outcome.NXDOMAIN, Layer.DNS),
    ],
)
def test_any_failure_in_a_light_cycle_is_no_verdict(failing: object) -> None:
    assert decide_light(light_obs(failing, *INSTAGRAM_OK)) is None


def test_a_slow_answer_in_a_light_cycle_is_no_verdict_but_at_the_bound_it_is() -> None:
    # Slow or a lost packet? Only the controls of the full matrix can tell.
    slow = replace(MESSENGER_OK[0], latency_ms=2501.0)
    assert decide_light(light_obs(slow, MESSENGER_OK[1], *INSTAGRAM_OK)) is None
    at_bound = replace(MESSENGER_OK[0], latency_ms=2500.0)
    verdict = decide_light(light_obs(at_bound, MESSENGER_OK[1], *INSTAGRAM_OK))
    assert verdict is not None and verdict.kind is VerdictKind.ALL_CLEAR


def test_a_light_cycle_that_asked_nothing_countable_is_no_verdict() -> None:
    assert decide_light(light_obs()) is None
    throttled = replace(MESSENGER_OK[0], outcome=Outcome.THROTTLED)
    assert decide_light(light_obs(throttled)) is None


def test_a_full_cycle_with_every_control_gone_is_still_offline() -> None:
    # The light rule is for cycles without controls; a full one keeps the your-side rules.
    assert OFFLINE.kind is VerdictKind.OFFLINE


def test_merged_shows_the_newest_answer_of_each_endpoint() -> None:
    full = Observations((*MESSENGER_OK, *INSTAGRAM_OK), CONTROLS_OK, (), 2500, service_names=NAMES)
    newer = replace(MESSENGER_OK[0], latency_ms=99.0)
    merged = tiers.merged(full, light_obs(newer))
    assert merged.controls == CONTROLS_OK
    by_endpoint = {(q.target_id, q.endpoint_id): q for q in merged.services}
    assert len(by_endpoint) == len(full.services)
    assert by_endpoint["messenger", "www"].latency_ms == 99.0
    assert tiers.merged(None, light_obs(newer)).services == (newer,)
    assert tiers.merged(full, full) is full


# When the monitor runs them (fake clock).


def test_light_while_healthy_after_one_full_picture() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    assert not d.state.running_light
    assert d.light_cycles == 0
    for _ in range(5):
        d.cycle(HEALTHY)
    assert d.light_cycles == 5
    assert d.state.turn == 5
    assert d.state.next_check - d.now == pytest.approx(d.settings.interval)


def test_the_first_failure_in_a_light_cycle_asks_the_full_matrix_at_once() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)  # light
    at = d.now
    state, token = monitor.start_cycle(d.state, at)
    assert state.running_light
    state, changes = monitor.cycle_done(state, token, None, at + 0.4)
    assert changes == []
    assert state.verdict is HEALTHY  # no sample: the tray keeps the last full picture
    assert state.tracks == d.state.tracks
    assert monitor.due(state, at + 0.4)
    state, _ = monitor.start_cycle(state, at + 0.4)
    assert not state.running_light


def test_a_light_failure_is_no_sample_and_the_full_matrix_confirms_as_before() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)
    onset = d.now + 1
    d.advance(1)
    confirm(d, MESSENGER_503)
    assert [c.kind for c in d.changes] == [ChangeKind.DOWN]
    # First sample at the light cycle's moment, then two re-checks: interval + 2 re-checks at most.
    assert d.now - onset <= d.settings.interval + 2 * d.settings.recheck
    assert d.state.track("messenger").fails == d.settings.confirm_failures  # type: ignore[union-attr]


def test_no_light_cycle_while_anything_is_open_or_in_doubt() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    d.cycle(MESSENGER_503)  # light: fails, so the full matrix runs and starts the evidence
    light = d.light_cycles
    confirm(d, MESSENGER_503)
    for _ in range(3):
        d.cycle(HEALTHY)  # up again, but in its episode until the hold-down has passed
    assert d.light_cycles == light
    d.advance(d.settings.hold_down)
    while not any(c.kind is ChangeKind.BACK for c in d.changes):
        d.cycle(HEALTHY)
    assert d.light_cycles == light
    d.cycle(HEALTHY)
    assert d.light_cycles == light + 1


def test_your_side_trouble_and_its_episode_are_watched_with_the_full_matrix() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, OFFLINE)
    light = d.light_cycles
    d.cycle(HEALTHY)
    d.cycle(HEALTHY)
    assert d.light_cycles == light


def test_check_now_a_network_change_and_a_wake_ask_the_full_matrix() -> None:
    for event in ("check_now", "network_changed", "wake"):
        d = Driver()
        d.cycle(HEALTHY)
        d.cycle(HEALTHY)
        assert d.light_cycles == 1
        if event == "check_now":
            d.state = monitor.check_now(d.state, d.now)
        elif event == "network_changed":
            d.state = monitor.network_changed(d.state, d.now)
        else:
            d.sleep(3600)
        d.sample(HEALTHY)
        assert d.light_cycles == 1, event
        d.cycle(HEALTHY)
        assert d.light_cycles == 2, event


def test_anything_but_all_clear_keeps_the_full_matrix() -> None:
    slow = verdict_of((p("messenger", "www.messenger.com", ms=4000), MESSENGER_OK[1], *INSTAGRAM_OK))
    assert slow.kind is not VerdictKind.ALL_CLEAR
    d = Driver()
    for _ in range(4):
        d.cycle(slow)
    assert d.light_cycles == 0


def test_untiered_monitors_always_ask_the_full_matrix() -> None:
    d = Driver(settings=MonitorSettings(tiered=False))
    for _ in range(5):
        d.cycle(HEALTHY)
    assert d.light_cycles == 0
