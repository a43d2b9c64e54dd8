"""Whether a URL from a config can be probed: the one check every URL setting and catalog entry
passes when it is read, so that nothing odd reaches a probe (or kills one) later."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from traywatch.text import redact


def url_problem(url: str, schemes: Sequence[str]) -> str | None:
    """Why ``url`` cannot be used, in words for the config error; None when it can."""
    shown = redact(url)  # an error message must not repeat a password
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{shown!r} is not a valid URL"
    if parts.scheme not in schemes:
        return f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}, got {shown!r}"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"the port in {shown!r} is not a number from 1 to 65535"
    if not parts.hostname:
        return f"expected a URL with a host name, got {shown!r}"
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return f"{shown!r} is not a valid URL: it holds spaces or control characters"
    from traywatch.probes.url import InvalidUrl, parse  # what the probes' client will make of it

    try:
        parse(url)
    except InvalidUrl:
        return f"{parts.hostname!r} in {shown!r} is not a valid host name"
    return None
