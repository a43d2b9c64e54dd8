"""Text from outside (a server's answer, a status page) made safe to show: one step, used everywhere
such text reaches a person."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def plain(value: object, limit: int = 120) -> str:
    """A single line of printable text: control, format and escape characters dropped,
    whitespace collapsed, cut to ``limit`` characters with an ellipsis."""
    text = value if isinstance(value, str) else str(value)
    kept = "".join(c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    line = _WHITESPACE.sub(" ", kept).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
