"""The diagnosis to copy for a help chat: what it keeps, what it leaves out, and its bounds."""

from __future__ import annotations

import re

from tests.test_monitor import HEALTHY, MESSENGER_503, Driver, confirm
from traywatch.diagnosis import diagnosis
from traywatch.episodes import Episode

NOW = 1_800_000_000.0
WEEK = 7 * 86400


def _episode(end: float | None, start: float | None = None, service: str = "messenger") -> Episode:
    begun = start if start is not None else (end if end is not None else NOW) - 600
    return Episode(service, "down", begun, end, "Messenger is down", "answers HTTP 503")


def _listed(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- Messenger:")]


def test_episodes_that_ended_within_the_last_seven_days_are_listed_and_older_ones_not() -> None:
    found = [_episode(NOW - WEEK), _episode(NOW - WEEK + 1), _episode(None)]
    listed = _listed(diagnosis(None, None, found, NOW, names={"messenger": "Messenger"}, home=""))
    assert len(listed) == 2  # ended exactly seven days ago: left out
    assert listed[-1].startswith("- Messenger: down,") and "to going on" in listed[-1]
    assert diagnosis(None, None, [_episode(NOW - WEEK)], NOW, home="").count("Episodes in the last 7 days") == 0


def test_only_the_last_twenty_episodes_are_listed() -> None:
    found = [_episode(NOW - 3600 * (30 - i), service="messenger") for i in range(21)]
    listed = _listed(diagnosis(None, None, found, NOW, names={"messenger": "Messenger"}, home=""))
    assert len(listed) == 20
    # The newest twenty: the oldest is the one left out.
    assert listed == _listed(diagnosis(None, None, found[1:], NOW, names={"messenger": "Messenger"}, home=""))


def test_an_episode_says_its_length_in_whole_minutes() -> None:
    found = [_episode(NOW - 60, start=NOW - 60 - 45 * 60)]
    (line,) = _listed(diagnosis(None, None, found, NOW, names={"messenger": "Messenger"}, home=""))
    assert line.endswith("(45 min)")


def test_the_time_of_the_last_check_is_said_only_when_there_was_one() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    confirm(d, MESSENGER_503)
    assert d.state.verdict is not None
    checked = diagnosis(d.state.verdict, d.now, [], d.now, home="")
    assert re.search(r"^Checked \d{4}-\d\d-\d\d \d\d:\d\d", checked, re.M)
    assert "Checked " not in diagnosis(d.state.verdict, None, [], d.now, home="")


def test_no_home_folder_or_the_root_folder_scrubs_nothing() -> None:
    d = Driver()
    d.cycle(HEALTHY)
    assert d.state.verdict is not None
    plain = diagnosis(d.state.verdict, d.now, [], d.now, home="/nonexistent-home")
    for home in ("", "/"):
        assert diagnosis(d.state.verdict, d.now, [], d.now, home=home) == plain


def test_the_user_s_own_home_folder_is_scrubbed_when_none_is_named() -> None:
    from dataclasses import replace
    from pathlib import Path

    home = str(Path.home())
    assert home != "/"
    seen = replace(HEALTHY, evidence=(f"extra CA bundle {home}/certs/extra.pem",))
    text = diagnosis(seen, NOW, [], NOW)
    assert "- extra CA bundle ~/certs/extra.pem" in text and home not in text
