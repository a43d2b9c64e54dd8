"""Episodes and uptime from the history, on a fake clock: the arithmetic of "how often and how
long", with your own side's time left out."""

from __future__ import annotations

import pytest

from tests.test_monitor import HEALTHY, MESSENGER_503, Driver, confirm
from traywatch.episodes import Episode, episodes, parse_since, uptime
from traywatch.history import Event, History
from traywatch.notices import Mark, NoteKind

H = 3600.0


def ev(at: float, *marks: Mark, title: str = "t", body: str = "b") -> Event:
    return Event(at, "outage", title, body, marks)


def test_marks_pair_into_episodes_per_service() -> None:
    found = episodes(
        [
            ev(100, Mark("messenger", "down", "start", 40), title="Messenger is down", body="503"),
            ev(200, Mark("", "your_side", "start", 190)),
            ev(300, Mark("", "", "end", 250)),
            ev(900, Mark("messenger", "", "end", 500)),
            ev(950, Mark("instagram", "blocked", "start", 930)),
        ]
    )
    assert [(e.service, e.kind, e.start, e.end) for e in found] == [
        ("messenger", "down", 40, 500),
        ("", "your_side", 190, 250),
        ("instagram", "blocked", 930, None),
    ]
    assert found[0].headline == "Messenger is down" and found[0].evidence == "503"
    assert found[2].duration(1000) == 70


def test_an_end_without_a_start_and_a_second_start_are_ignored() -> None:
    found = episodes(
        [
            ev(10, Mark("messenger", "", "end", 5)),
            ev(20, Mark("messenger", "down", "start", 15)),
            ev(30, Mark("messenger", "down", "start", 25)),
            ev(40, Mark("messenger", "", "end", 35)),
        ]
    )
    assert [(e.start, e.end) for e in found] == [(15, 35)]


def test_uptime_leaves_your_own_side_out() -> None:
    found = [
        Episode("messenger", "down", 1 * H, 3 * H, "", ""),  # 2 h down...
        Episode("", "your_side", 2 * H, 4 * H, "", ""),  # ...of which 1 h while your side was broken
        Episode("messenger", "blocked", 10 * H, 11 * H, "", ""),  # your network's doing: not counted
    ]
    day = uptime(found, "messenger", 0, 24 * H)
    assert (day.window, day.your_side, day.down) == (24 * H, 2 * H, 1 * H)
    assert day.share == pytest.approx(1 - 1 / 22)


def test_uptime_clips_to_the_window_and_counts_open_episodes_to_its_end() -> None:
    found = [Episode("messenger", "down", -5 * H, 1 * H, "", ""), Episode("messenger", "down", 23 * H, None, "", "")]
    day = uptime(found, "messenger", 0, 24 * H)
    assert day.down == 2 * H and day.share == pytest.approx(22 / 24)


def test_uptime_with_nothing_judged_is_unknown() -> None:
    found = [Episode("", "your_side", 0, 24 * H, "", "")]
    assert uptime(found, "messenger", 0, 24 * H).share is None


def test_overlapping_episodes_of_your_side_count_once() -> None:
    found = [Episode("", "your_side", 0, 2 * H, "", ""), Episode("", "your_side", 1 * H, 3 * H, "", "")]
    assert uptime(found, "messenger", 0, 10 * H).your_side == 3 * H


@pytest.mark.parametrize(("text", "seconds"), [("7d", 7 * 86400), ("12h", 12 * H), ("30m", 1800), (" 1D ", 86400)])
def test_spans(text: str, seconds: float) -> None:
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "-1d", "7w", "1.5h"])
def test_bad_spans(text: str) -> None:
    with pytest.raises(ValueError):
        parse_since(text)


def test_the_monitors_notices_carry_the_marks_the_history_keeps(tmp_path: object) -> None:
    from pathlib import Path

    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, MESSENGER_503)
    first_fail = d.changes[-1].since
    while d.state.track("messenger").in_episode:  # type: ignore[union-attr]
        d.cycle(HEALTHY)
    outage, back = (n for n in d.history.notes if n.kind in (NoteKind.OUTAGE, NoteKind.RECOVERY))
    assert outage.marks == (Mark("messenger", "down", "start", first_fail),)
    (end,) = back.marks
    assert end.edge == "end" and end.service == "messenger" and end.at < back_at(d)
    history = History(Path(str(tmp_path)) / "h.jsonl")
    for note in (outage, back):
        history.record(note.kind.value, note.title, note.body, at=end.at + 1, marks=note.marks)
    (episode,) = episodes(history.recent().events)
    assert (episode.service, episode.kind, episode.start, episode.end) == ("messenger", "down", first_fail, end.at)


def back_at(d: Driver) -> float:
    return d.now


def test_uptime_counts_an_outage_apart_from_your_sides_trouble_in_full() -> None:
    found = [
        Episode("messenger", "down", 1 * H, 3 * H, "", ""),
        Episode("", "your_side", 5 * H, 6 * H, "", ""),  # apart from the outage
        Episode("", "your_side", -3 * H, -2 * H, "", ""),  # before the window
    ]
    day = uptime(found, "messenger", 0, 24 * H)
    assert (day.your_side, day.down) == (1 * H, 2 * H)


def test_a_day_without_an_outage_is_all_up() -> None:
    day = uptime([Episode("instagram", "down", 1 * H, 2 * H, "", "")], "messenger", 0, 24 * H)
    assert (day.down, day.share) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("spans", "hours"),
    [
        (((0, 1), (2, 3), (2.5, 4)), 3),  # the third overlaps the second, not the first
        (((0, 1), (2, 4), (3, 5)), 4),  # ...and the first is shorter than the second
        (((0, 1), (2, 5), (3, 4)), 4),  # the third lies inside the second
        (((2, 5), (0, 1), (3, 4)), 4),  # in any order
    ],
)
def test_spans_of_your_side_count_once_however_they_overlap(
    spans: tuple[tuple[float, float], ...], hours: float
) -> None:
    found = [Episode("", "your_side", a * H, b * H, "", "") for a, b in spans]
    assert uptime(found, "messenger", 0, 10 * H).your_side == hours * H


def test_a_second_judged_is_enough_for_a_share() -> None:
    found = [Episode("", "your_side", 0, 10 * H - 1, "", "")]
    assert uptime(found, "messenger", 0, 10 * H).share == 1.0


def test_an_episode_that_ended_as_it_began_lasts_nothing() -> None:
    assert Episode("messenger", "down", 5.0, 5.0, "", "").duration(100.0) == 0.0


def test_an_open_episode_begun_after_now_lasts_nothing_rather_than_less() -> None:
    # The system clock set back under a running episode: "going on (-1 min)" is no duration.
    assert Episode("messenger", "down", 100.5, None, "", "").duration(100.0) == 0.0


def test_the_history_sink_keeps_every_notice_but_those_about_the_app(tmp_path: object) -> None:
    from pathlib import Path

    from traywatch.notices import Notification
    from traywatch.pipeline import HistorySink

    history = History(Path(str(tmp_path)) / "history.jsonl")
    sink = HistorySink(history, clock=lambda: 1000.0)
    sink.deliver(Notification("Messenger is down", "503", kind=NoteKind.OUTAGE))
    sink.deliver(Notification("Your settings file was unreadable", "kept aside", kind=NoteKind.APP))
    kept = history.recent().events
    assert [(e.kind, e.title, e.at) for e in kept] == [("outage", "Messenger is down", 1000.0)]
