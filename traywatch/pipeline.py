"""One way out for notices: recorded first (the history keeps everything), then the policy
decides, then every sink (desktop, webhook) gets what is shown.

"A sink never raises into the monitor" is written once, here, for every sink: a sink that fails
is logged and the others still get the notice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from traywatch import notices, policy
from traywatch.history import History
from traywatch.monitor import Change, ChangeKind, MonitorState
from traywatch.notices import NoteKind, Notification
from traywatch.policy import Quiet

log = logging.getLogger(__name__)


class Sink(Protocol):
    name: str

    def deliver(self, note: Notification) -> None: ...


class HistorySink:
    """Keeps every notice of a change, shown or held back."""

    name = "history"

    def __init__(self, history: History, clock: Callable[[], float] = time.time) -> None:
        self.history = history
        self.clock = clock

    def deliver(self, note: Notification) -> None:
        if note.kind is not NoteKind.APP:
            self.history.record(
                note.kind.value, note.title, note.body, at=self.clock(), marks=note.marks, evidence=note.evidence
            )


class Pipeline:
    def __init__(
        self,
        *,
        settings: Callable[[], Mapping[str, Any]],
        recorders: Sequence[Sink] = (),
        sinks: Sequence[Sink] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.recorders = list(recorders)
        self.sinks = list(sinks)
        self.clock = clock
        self.quiet = Quiet()
        # "You're back online" follows only a notice of your connection that was shown.
        self._local_shown = False

    def publish(self, notes: Sequence[Notification], *, record: bool = True) -> list[Notification]:
        """Record each notice, then hand those the policy lets through to the sinks."""
        shown = []
        now = self.clock()
        local = dt.datetime.fromtimestamp(now).astimezone()
        for note in notes:
            if record:
                for recorder in self.recorders:
                    _deliver(recorder, note)
            reason = policy.held_back(self.settings(), self.quiet, note, now, hour=local.hour, minute=local.minute)
            if reason is None and note.kind is NoteKind.ONLINE and not self._local_shown:
                reason = "the trouble it ends was not announced"
            if note.kind in (NoteKind.LOCAL, NoteKind.PORTAL) and reason is None:
                self._local_shown = True
            elif note.kind is NoteKind.ONLINE:
                self._local_shown = False
            if reason is not None:
                log.info("not shown (%s): %s", reason, note.title)
                continue
            shown.append(note)
            for sink in self.sinks:
                _deliver(sink, note)
        return shown

    def changes(self, changes: Sequence[Change], state: MonitorState) -> list[Notification]:
        """One cycle's confirmed changes: their notices published, and the mutes of services
        whose episode ended ("until it's back") lifted after them."""
        shown = self.publish(notices.build(changes, state))
        ended = tuple(c.service_id for c in changes if c.kind is ChangeKind.BACK)
        if ended:
            self.expire(ended)
        return shown

    def still_wrong(self, state: MonitorState) -> None:
        """Notifications resume: what is still wrong is said once (it is in the history already)."""
        note = notices.ongoing(state)
        if note is not None:
            self.publish([note], record=False)

    def pause(self, until: float | None) -> None:
        self.quiet = policy.pause(self.quiet, until)

    def mute(self, service_id: str, until: float | None) -> None:
        self.quiet = policy.mute(self.quiet, service_id, until)

    def unmute(self, service_id: str) -> None:
        self.quiet = policy.unmute(self.quiet, service_id)

    def expire(self, ended: tuple[str, ...] = ()) -> bool:
        """Drop pauses and mutes that ran out, and "until it's back" mutes of the services whose
        episode ``ended``; True when a pause just ran out."""
        self.quiet, resumed = policy.expire(self.quiet, self.clock(), ended)
        return resumed


def _deliver(sink: Sink, note: Notification) -> None:
    try:
        sink.deliver(note)
    except Exception as exc:  # a failed notice must never break the monitor or the other sinks
        log.warning("the %s sink could not take %r: %s", sink.name, note.title, type(exc).__name__)
