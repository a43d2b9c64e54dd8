"""Whether a notice is shown: the user's choices (notifications on, which kinds, quiet hours),
a pause and per-service mutes. Pure functions over frozen data; the pipeline applies them.

Silencing never blinds: what is held back is still recorded and the tray still shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from traywatch.notices import NoteKind, Notification

# Which setting switches each kind of notice off; APP notices (about traywatch itself) always show.
_KIND_SETTING = {
    NoteKind.RECOVERY: "general.notify_recovery",
    NoteKind.ONLINE: "general.notify_online",
    NoteKind.SLOW: "general.notify_slow",
    NoteKind.META: "general.notify_meta_reports",
}

UNTIL_BACK = None  # a mute that lasts until the service's episode ends


@dataclass(frozen=True)
class Quiet:
    """What the user silenced, and until when (wall-clock seconds)."""

    paused_until: float | None = None
    mutes: tuple[tuple[str, float | None], ...] = ()  # service id -> until (None: until it's back)

    def paused(self, now: float) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def muted(self, service_id: str, now: float) -> bool:
        return any(sid == service_id and (until is None or now < until) for sid, until in self.mutes)


def pause(quiet: Quiet, until: float | None) -> Quiet:
    """Pause until ``until``; None resumes."""
    return replace(quiet, paused_until=until)


def mute(quiet: Quiet, service_id: str, until: float | None) -> Quiet:
    others = tuple((sid, u) for sid, u in quiet.mutes if sid != service_id)
    return replace(quiet, mutes=(*others, (service_id, until)))


def unmute(quiet: Quiet, service_id: str) -> Quiet:
    return replace(quiet, mutes=tuple((sid, u) for sid, u in quiet.mutes if sid != service_id))


def expire(quiet: Quiet, now: float, ended: tuple[str, ...] = ()) -> tuple[Quiet, bool]:
    """Drop what has run out (and "until it's back" mutes of services whose episode ``ended``).
    Also says whether a pause just ran out, so that what is still wrong can be said."""
    resumed = quiet.paused_until is not None and now >= quiet.paused_until
    mutes = tuple(
        (sid, until)
        for sid, until in quiet.mutes
        if (until is None and sid not in ended) or (until is not None and now < until)
    )
    return Quiet(None if resumed else quiet.paused_until, mutes), resumed


def in_quiet_hours(values: Mapping[str, Any], hour: int, minute: int) -> bool:
    start, end = values.get("general.quiet_from", ""), values.get("general.quiet_until", "")
    if not start or not end:
        return False
    now = hour * 60 + minute
    a = int(start[:2]) * 60 + int(start[3:])
    b = int(end[:2]) * 60 + int(end[3:])
    return a <= now < b if a <= b else now >= a or now < b  # quiet hours may span midnight


def held_back(
    values: Mapping[str, Any], quiet: Quiet, note: Notification, now: float, *, hour: int, minute: int
) -> str | None:
    """Why ``note`` is not shown, or None when it is."""
    if note.kind is NoteKind.APP:
        return None
    if not values.get("general.notifications", True):
        return "notifications are off"
    setting = _KIND_SETTING.get(note.kind)
    if setting is not None and not values.get(setting, True):
        return f"{setting} is off"
    if quiet.paused(now):
        return "paused"
    if note.services and all(quiet.muted(sid, now) for sid in note.services):
        return "muted"
    if in_quiet_hours(values, hour, minute):
        return "quiet hours"
    return None
