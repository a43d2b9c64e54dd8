"""What happened, kept between runs: one JSON object a line in the state folder.

Only transitions are kept (an outage confirmed, a recovery, your connection lost, a sign-in
page), so months of history are a few hundred lines. A line that cannot be read (torn by a full
disk, or with a time that cannot be one) is skipped and counted, never rewritten away, and each
record starts on a fresh line, so a torn line costs only itself. Past ``max_bytes`` the file is
cut to its newest half, whole lines only, by an atomic rewrite; a rewrite killed midway leaves a
temp file that the next one sweeps. The file is private (0600 in a 0700 folder). Recording never
raises: a history that cannot be written is logged, and the monitor goes on.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from traywatch.configstore import atomic_write_text
from traywatch.logs import private_dir
from traywatch.notices import Mark

log = logging.getLogger(__name__)

MAX_BYTES = 256 * 1024
READ_LIMIT = 4 * MAX_BYTES
EVERY_LINE = 1_000_000  # as a ``recent`` limit: every line the bounded file holds


@dataclass(frozen=True)
class Event:
    at: float  # seconds since the epoch
    kind: str  # outage, recovery or local (notices.NoteKind values)
    title: str
    body: str
    marks: tuple[Mark, ...] = ()  # episodes begun or ended (lines written before 0.1 have none)
    evidence: str = ""  # the technical account (hosts, layers, codes) behind the body's words


@dataclass(frozen=True)
class Recent:
    events: tuple[Event, ...]  # oldest first
    unreadable: int  # lines skipped among those read


def describe(event: Event) -> str:
    """One line for people: local time, what happened, and the evidence."""
    when = dt.datetime.fromtimestamp(event.at).astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{when}  {event.title}" + (f" — {event.body}" if event.body else "")


# Times a record can have: seconds since the epoch, before the year 5000.
_EARLIEST, _LATEST = 0.0, 1e11


def _parse(line: str) -> Event | None:
    try:
        data = json.loads(line)
        marks = tuple(_mark(m) for m in data.get("marks", ()))
        evidence = str(data.get("evidence", ""))
        event = Event(float(data["at"]), str(data["kind"]), str(data["title"]), str(data["body"]), marks, evidence)
    except (ValueError, TypeError, KeyError, RecursionError, AttributeError):
        return None
    if not all(math.isfinite(m.at) and _EARLIEST <= m.at <= _LATEST for m in event.marks):
        return None
    if not (math.isfinite(event.at) and _EARLIEST <= event.at <= _LATEST):
        return None  # 1e400, NaN or -5 is no moment: it would break every reader after it
    return event


def _mark(data: object) -> Mark:
    if not isinstance(data, dict) or data.get("edge") not in ("start", "end"):
        raise ValueError("not a mark")
    return Mark(str(data["service"]), str(data["kind"]), str(data["edge"]), float(data["at"]))


class History:
    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes

    def record(
        self,
        kind: str,
        title: str,
        body: str,
        at: float | None = None,
        *,
        marks: tuple[Mark, ...] = (),
        evidence: str = "",
    ) -> None:
        event = Event(time.time() if at is None else at, kind, title, body, marks, evidence)
        line = (json.dumps(asdict(event), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        try:
            self._sweep()
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                size = os.lseek(fd, 0, os.SEEK_END)
                # A last line torn by a full disk or a crash must not swallow this record.
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line
                os.write(fd, line)
                size += len(line)
            finally:
                os.close(fd)
            if size > self.max_bytes:
                self._trim()
        except (OSError, ValueError) as exc:
            log.warning("could not add to the history in %s: %s", self.path, getattr(exc, "strerror", None) or exc)

    def _sweep(self) -> None:
        """Make the folder private, and remove what a rewrite killed midway left behind."""
        private_dir(self.path.parent)
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()

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
