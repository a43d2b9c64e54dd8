"""What happened, kept between runs: one JSON object a line in the state folder.

Only transitions are kept (an outage confirmed, a recovery, your connection lost, a sign-in
page), so months of history are a few hundred lines. A line that cannot be read is skipped and
counted, never rewritten away. Past ``max_bytes`` the file is cut to its newest half, whole lines
only, by an atomic rewrite. Recording never raises: a history that cannot be written is logged,
and the monitor goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from traywatch.configstore import atomic_write_text

log = logging.getLogger(__name__)

MAX_BYTES = 256 * 1024
READ_LIMIT = 4 * MAX_BYTES


@dataclass(frozen=True)
class Event:
    at: float  # seconds since the epoch
    kind: str  # outage, recovery or local (notices.NoteKind values)
    title: str
    body: str


@dataclass(frozen=True)
class Recent:
    events: tuple[Event, ...]  # oldest first
    unreadable: int  # lines skipped among those read


def describe(event: Event) -> str:
    """One line for people: local time, what happened, and the evidence."""
    when = dt.datetime.fromtimestamp(event.at).astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{when}  {event.title}" + (f" — {event.body}" if event.body else "")


def _parse(line: str) -> Event | None:
    try:
        data = json.loads(line)
        event = Event(float(data["at"]), str(data["kind"]), str(data["title"]), str(data["body"]))
    except (ValueError, TypeError, KeyError):
        return None
    return event


class History:
    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes

    def record(self, kind: str, title: str, body: str, at: float | None = None) -> None:
        event = Event(time.time() if at is None else at, kind, title, body)
        line = json.dumps(asdict(event), ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                size = handle.tell()
            if size > self.max_bytes:
                self._trim()
        except OSError as exc:
            log.warning("could not add to the history in %s: %s", self.path, exc.strerror or exc)

    def _tail(self, max_bytes: int) -> str:
        """The file's last ``max_bytes`` at most, from the first whole line among them."""
        with self.path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
        if size > max_bytes:
            data = data.partition(b"\n")[2]  # a cut line is not a line
        return data.decode("utf-8", errors="replace")

    def _trim(self) -> None:
        lines = self._tail(self.max_bytes).splitlines(keepends=True)
        kept: deque[str] = deque()
        size = 0
        for line in reversed(lines):
            size += len(line.encode("utf-8"))
            if size > self.max_bytes // 2:
                break
            kept.appendleft(line)
        atomic_write_text(self.path, "".join(kept))

    def recent(self, limit: int = 50) -> Recent:
        """The last ``limit`` events; an absent or unreadable file is an empty history."""
        try:
            # A file grown past its bound by something else is read from its end only.
            text = self._tail(READ_LIMIT)
        except FileNotFoundError:
            return Recent((), 0)
        except OSError as exc:
            log.warning("could not read the history in %s: %s", self.path, exc.strerror or exc)
            return Recent((), 0)
        events: deque[Event] = deque(maxlen=max(0, limit))
        unreadable = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            event = _parse(line)
            if event is None:
                unreadable += 1
            else:
                events.append(event)
        return Recent(tuple(events), unreadable)
