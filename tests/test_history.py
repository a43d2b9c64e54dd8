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
