"""A plain-text summary of what traywatch sees, for a help chat: the verdict in words, the
evidence, recent episodes with their times, and the app's version. Nothing in it names a
secret or the user's home folder."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Sequence
from pathlib import Path

from traywatch import __version__
from traywatch.episodes import Episode
from traywatch.text import redact
from traywatch.verdict import Verdict
from traywatch.words import say


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _scrub(text: str, home: str) -> str:
    text = redact(text)
    return text.replace(home, "~") if home and home != "/" else text


def diagnosis(
    verdict: Verdict | None,
    checked_at: float | None,
    found: Sequence[Episode],
    now: float,
    *,
    names: dict[str, str] | None = None,
    home: str | None = None,
) -> str:
    home = str(Path.home()) if home is None else home
    names = names or {}
    lines = [f"traywatch {__version__} on {platform.system()} {platform.release()}", ""]
    if verdict is None:
        lines.append("No check has finished yet.")
    else:
        lines += [verdict.headline, say(verdict), ""]
        if checked_at is not None:
            lines.append(f"Checked {_when(checked_at)}.")
        lines.append(f"Independent checks answering: {verdict.controls_ok} of {verdict.controls_total}.")
        lines += ["", f"Technical: {verdict.explanation}", "", "Evidence:", *(f"- {line}" for line in verdict.evidence)]
    recent = [e for e in found if e.end is None or now - e.end < 7 * 86400]
    if recent:
        lines += ["", "Episodes in the last 7 days:"]
        for episode in recent[-20:]:
            who = names.get(episode.service, episode.service) if episode.service else "Your connection"
            until = "going on" if episode.end is None else _when(episode.end)
            minutes = round(episode.duration(now) / 60)
            lines.append(
                f"- {who}: {episode.kind.replace('_', ' ')}, {_when(episode.start)} to {until} ({minutes} min)"
            )
    return "\n".join(_scrub(line, home) for line in lines) + "\n"
