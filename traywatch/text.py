"""One way out for text from outside: anything a server answered or a config file said passes
through here before it reaches a person or another service.

- ``plain``: one line of printable text, credentials cut from any URL in it, bounded in length.
  Probe details, status-page words and names are made plain where they enter.
- Then, by where it goes: ``markup`` for a notification server that reads body markup,
  ``slack`` and ``unmention`` for webhooks, ``terminal`` for `traywatch check`.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# scheme://user:password@ (or user@): the userinfo part of any URL in a text.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]*@")
# Words that ping a whole room or server on Discord, Slack or Matrix.
_MENTIONS = re.compile(r"@(everyone|here|room|channel)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def redact(text: str) -> str:
    """``https://alice:s3cret@host/`` → ``https://host/``, wherever a URL appears in ``text``."""
    return _USERINFO.sub(r"\1", text)


def plain(value: object, limit: int = 120) -> str:
    """A single line of printable text: control, format and escape characters dropped,
    whitespace collapsed, credentials cut from URLs, at most ``limit`` characters (an ellipsis
    marks a cut)."""
    text = value if isinstance(value, str) else str(value)
    kept = "".join(c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    line = redact(_WHITESPACE.sub(" ", kept).strip())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def markup(text: str) -> str:
    """For a notification server that reads body markup: "<b>" stays literal text."""
    # html.escape without the html module, which loads its 2,000 entities (0.7 MB) for unescape.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markless(text: str) -> str:
    """For a notification server that does not say it reads markup. Some parse it anyway (dunst
    does, advertising only "body-hyperlinks"), and entities would show as "&lt;" on those that do
    not: the three characters markup is made of become look-alikes that are no markup anywhere."""
    return text.replace("&", "\uff06").replace("<", "\u2039").replace(">", "\u203a")


def slack(text: str) -> str:
    """Slack's own escaping: "<!channel>" and "<https://…|click>" become text, not commands."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unmention(text: str) -> str:
    """ "@everyone", "@here", "@room", "@channel" shown as written, pinging nobody."""
    return _MENTIONS.sub(lambda m: f"@{_WORD_JOINER}{m.group(1)}", text)


def terminal(text: str) -> str:
    """Control characters shown, not obeyed: ESC becomes the four characters ``\\x1b``."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf") else _visible(c) for c in text)


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
