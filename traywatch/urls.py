"""URLs: whether a URL from a config can be probed (the check
every URL setting and catalog entry passes when it is read, so that nothing odd reaches a probe
or kills one later), and URLs as the probes' HTTP client sends them: parsed once, the host in
ASCII, the path and query percent-encoded, so that whatever a config or a server's ``Location``
holds either becomes a request line a server can read or is refused with ``InvalidUrl``."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urljoin, urlsplit

from traywatch.text import redact

DEFAULT_PORTS = {"http": 80, "https": 443, "tls": 443, "wss": 443}

# RFC 3986 sub-delims, ":" and "@" in a path, "/" and "?" between its parts, and "%" so that what
# is already escaped stays as it is.
_PATH_SAFE = "!$&'()*+,;=:@/?%"
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
LABEL_MAX = 63  # characters between two dots, as DNS can carry them
NAME_MAX = 253  # characters of a whole name, its last dot left out


class InvalidUrl(ValueError):
    """A URL the client cannot send; the text names the part, never the whole URL."""


def _ascii_host(host: str) -> str:
    if host.isascii():
        return host
    import idna  # only for a name written in another script (IDNA 2008, as browsers do)

    try:
        return str(idna.encode(host, uts46=True).decode("ascii"))
    except UnicodeError:  # idna.IDNAError is one
        raise InvalidUrl("the host name is not a valid international name") from None


def wire_name(host: str) -> bytes | str:
    """``host`` as the resolver and ``ssl`` take it without Python's "idna" codec: each runs a
    name given as text through it, which loads the codec and stringprep (0.35 MB for the app's
    life) to pass on a name this module has made ASCII already."""
    return host.encode("ascii") if host.isascii() else host


def _checked_host(host: str) -> str:
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host.split("%", 1)[0]))
        except ValueError:
            raise InvalidUrl("the host is not a valid IPv6 address") from None
    host = _ascii_host(host)
    if not _NAME.fullmatch(host):
        raise InvalidUrl("the host name holds characters a name cannot")
    if len(host.rstrip(".")) > NAME_MAX or max(len(label) for label in host.split(".")) > LABEL_MAX:
        raise InvalidUrl("the host name is longer than DNS allows")
    return host


@dataclass(frozen=True)
class Url:
    scheme: str
    host: str  # lower case ASCII; an IPv6 address without brackets
    port: int | None  # as written, None for the scheme's own
    target: str  # path and query, percent-encoded, never empty

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS.get(self.scheme, 0)

    @property
    def netloc(self) -> str:
        """What the Host header says."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.target}"

    def join(self, reference: str) -> Url:
        """Where a ``Location`` of ``reference`` leads from here."""
        try:
            joined = urljoin(str(self), reference)
        except ValueError:
            raise InvalidUrl("the redirect's Location cannot be read") from None
        return parse(joined)

    def with_query(self, params: dict[str, str]) -> Url:
        """This URL with ``params`` added to its query."""
        joiner = "&" if "?" in self.target else "?"
        return Url(self.scheme, self.host, self.port, f"{self.target}{joiner}{urlencode(params)}")


def parse(text: str) -> Url:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidUrl("the URL's host or port cannot be read") from None
    host = parts.hostname
    if not parts.scheme or not host:
        raise InvalidUrl("the URL names no host")
    scheme = parts.scheme.lower()
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    if not path.startswith("/"):
        path = "/" + path
    target = f"{path}?{quote(parts.query, safe=_PATH_SAFE)}" if parts.query else path
    return Url(scheme, _checked_host(host), port, target)


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
    try:  # what the probes' client will make of it
        parse(url)
    except InvalidUrl:
        return f"{parts.hostname!r} in {shown!r} is not a valid host name"
    return None
