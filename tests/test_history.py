"""The history file: transitions kept between runs, bad lines skipped and kept, size bounded."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from traywatch.history import MAX_BYTES, READ_LIMIT, History


def test_events_come_back_oldest_first_and_limited(tmp_path: Path) -> None:
    history = History(tmp_path / "state" / "history.jsonl")  # the folder is made on first use
    history.record("outage", "It's not your wifi — Messenger is down", "answers HTTP 503", at=1000.0)
    history.record("recovery", "Messenger is back (down 23 min)", "", at=2380.0)
    history.record("local", "It's your connection", "0/4 checks answer", at=3000.0)
    recent = history.recent()
    assert [e.kind for e in recent.events] == ["outage", "recovery", "local"]
    assert recent.events[0].body == "answers HTTP 503" and recent.unreadable == 0
    assert [e.kind for e in history.recent(limit=2).events] == ["recovery", "local"]
    # A second History on the same file (the next run) sees the same past.
    assert History(history.path).recent().events == recent.events


def test_a_missing_file_is_an_empty_history(tmp_path: Path) -> None:
    recent = History(tmp_path / "nothing.jsonl").recent()
    assert recent.events == () and recent.unreadable == 0


def test_unreadable_lines_are_skipped_counted_and_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    history = History(path)
    history.record("outage", "Messenger is down", "", at=1.0)
    broken = '{"at": "yesterday", "kind": "outage"}\nnot json at all\n\n{"at": 2, "kind": "local"}\n'
    with path.open("a", encoding="utf-8") as handle:
        handle.write(broken)
    history.record("recovery", "Messenger is back", "", at=3.0)
    recent = history.recent()
    assert [e.title for e in recent.events] == ["Messenger is down", "Messenger is back"]
    assert recent.unreadable == 3
    assert broken in path.read_text(encoding="utf-8")  # nothing rewritten away


def test_the_file_is_cut_to_its_newest_half_in_whole_lines(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl", max_bytes=4000)
    for i in range(300):
        history.record("outage", f"event {i}", "x" * 40, at=float(i))
        assert history.path.stat().st_size <= 4000
    recent = history.recent(limit=1000)
    assert recent.unreadable == 0
    assert recent.events[-1].title == "event 299"
    assert recent.events[0].title != "event 0"
    assert len(recent.events) >= 15  # about half of 4000 bytes of ~100-byte lines survives each cut
    assert [e.at for e in recent.events] == sorted(e.at for e in recent.events)


def test_the_default_bound_keeps_hundreds_of_transitions() -> None:
    line = len(json.dumps({"at": 1.0e9, "kind": "recovery", "title": "Messenger is back (down 23 min)", "body": ""}))
    assert MAX_BYTES // 2 // (line + 40) > 500  # after a cut; twice that before the next


def test_a_history_that_cannot_be_written_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    history = History(blocker / "history.jsonl")
    with caplog.at_level(logging.WARNING):
        history.record("outage", "Messenger is down", "")
    assert "could not add to the history" in caplog.text
    assert history.recent().events == ()


def test_a_huge_file_is_read_from_its_end_only(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    garbage = "garbage line, not JSON\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(garbage * 400_000)  # about 9 MB, written by something else
    history = History(path)
    history.record("outage", "Messenger is down", "", at=1.0)  # cuts the file back to its bound
    assert path.stat().st_size <= MAX_BYTES
    with path.open("a", encoding="utf-8") as handle:
        handle.write(garbage * 400_000)
        handle.write('{"at": 2, "kind": "local", "title": "It\'s your connection", "body": ""}\n')
    recent = history.recent()
    assert [e.title for e in recent.events] == ["It's your connection"]
    assert recent.unreadable <= READ_LIMIT // len(garbage)  # only the file's end was read


def test_the_documented_bound() -> None:
    assert MAX_BYTES == 256 * 1024  # README: "kept under 256 KB"


def _same_size_lines(history: History, count: int, start: int = 0) -> int:
    """Record ``count`` events whose lines are all the same length; returns that length."""
    for i in range(start, start + count):
        history.record("outage", f"event {i:04d}", "", at=1000.0 + i)
    return len(history.path.read_bytes().splitlines(keepends=True)[-1])


def test_a_file_of_exactly_its_bound_is_not_cut_and_one_line_more_is(tmp_path: Path) -> None:
    probe = History(tmp_path / "probe.jsonl")
    line = _same_size_lines(probe, 1)
    history = History(tmp_path / "history.jsonl", max_bytes=3 * line)
    _same_size_lines(history, 3)
    assert history.path.stat().st_size == 3 * line
    assert len(history.recent().events) == 3  # at the bound: whole
    _same_size_lines(history, 1, start=3)
    assert [e.title for e in history.recent().events] == ["event 0003"]  # cut to at most half


def test_a_cut_keeps_lines_up_to_exactly_half_the_bound(tmp_path: Path) -> None:
    probe = History(tmp_path / "probe.jsonl")
    line = _same_size_lines(probe, 1)
    history = History(tmp_path / "history.jsonl", max_bytes=4 * line)
    _same_size_lines(history, 5)
    assert [e.title for e in history.recent().events] == ["event 0003", "event 0004"]  # 2 lines: half


def test_a_tail_as_long_as_the_file_keeps_its_first_line(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    history.record("outage", "first", "", at=1.0)
    history.record("outage", "second", "", at=2.0)
    size = history.path.stat().st_size
    assert [e.title for e in history.recent().events] == ["first", "second"]
    assert history._tail(size).startswith('{"at": 1.0')
    assert not history._tail(size - 1).startswith('{"at": 1.0')  # a cut first line is no line


@pytest.mark.parametrize(
    ("at", "kept"),
    [(0.0, True), (1e11, True), (-5.0, False), (-0.5, False), (1.5e11, False), (1e11 + 0.5, False)],
)
def test_a_record_keeps_only_a_moment_that_can_be(tmp_path: Path, at: float, kept: bool) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps({"at": at, "kind": "outage", "title": "t", "body": ""}) + "\n", encoding="utf-8")
    recent = History(path).recent()
    assert (len(recent.events), recent.unreadable) == ((1, 0) if kept else (0, 1))


@pytest.mark.parametrize(
    ("at", "kept"),
    [(0.0, True), (1e11, True), (-0.5, False), (1e11 + 0.5, False)],
)
def test_a_record_whose_episode_mark_is_no_moment_is_unreadable(tmp_path: Path, at: float, kept: bool) -> None:
    mark = {"service": "messenger", "kind": "down", "edge": "start", "at": at}
    line = {"at": 1000.0, "kind": "outage", "title": "t", "body": "", "marks": [mark]}
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    recent = History(path).recent()
    assert (len(recent.events), recent.unreadable) == ((1, 0) if kept else (0, 1))


def test_a_cut_drops_a_line_that_would_pass_half_the_bound_by_one_byte(tmp_path: Path) -> None:
    probe = History(tmp_path / "probe.jsonl")
    line = _same_size_lines(probe, 1)
    history = History(tmp_path / "history.jsonl", max_bytes=4 * line - 2)  # half: two lines less a byte
    _same_size_lines(history, 4)
    assert [e.title for e in history.recent().events] == ["event 0003"]


def test_recent_gives_the_last_50_unless_asked_for_another_number(tmp_path: Path) -> None:
    history = History(tmp_path / "history.jsonl")
    _same_size_lines(history, 51)
    titles = [e.title for e in history.recent().events]
    assert (len(titles), titles[0], titles[-1]) == (50, "event 0001", "event 0050")
    assert history.recent(0).events == () and history.recent(-3).events == ()


def test_a_history_that_cannot_be_read_is_empty_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "history.jsonl"
    folder.mkdir()  # a folder where the file should be
    with caplog.at_level(logging.WARNING):
        recent = History(folder).recent()
    assert (recent.events, recent.unreadable) == ((), 0)
    assert "could not read the history" in caplog.text


@pytest.mark.parametrize(
    "mark",
    [
        {"service": "messenger", "kind": "down", "edge": "start", "at": -5.0},
        {"service": "messenger", "kind": "down", "edge": "middle", "at": 5.0},
        ["messenger", "down", "start", 5.0],
    ],
)
def test_a_record_with_a_mark_that_cannot_be_is_unreadable(tmp_path: Path, mark: object) -> None:
    path = tmp_path / "history.jsonl"
    record = {"at": 10.0, "kind": "outage", "title": "t", "body": "", "marks": [mark]}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    recent = History(path).recent()
    assert (recent.events, recent.unreadable) == ((), 1)
