"""A chat-connection probe that stops at the door.

It sends the WebSocket upgrade a web client sends (its Origin, a User-Agent naming traywatch, no
cookies and no credentials), reads the status line and headers, and closes. It never sends a
frame and never reads one: bytes after the headers are left unread, so a server that starts
talking at once neither counts as an answer nor keeps the probe waiting.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
from dataclasses import dataclass

from traywatch.catalog import THROTTLED_STATUSES, Endpoint
from traywatch.model import Outcome
from traywatch.probes.link import Link

_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
_PREFIX = b"HTTP/1."
HEAD_CAP = 16 * 1024  # an answer's status line and headers; real ones are under 2 KiB
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9])(?: [^\r\n]*)?\r\n")
# Statuses whatsmeow and the WebSocket libraries treat as the server failing, not refusing.
_SERVER_FAILS = frozenset({408, *range(500, 600)})
# A refusal's body is read only as far as it arrives within this long, and never past the cap.
BODY_WAIT = 0.5


class NotAnAnswer(Exception):
    """The bytes that came back are not an HTTP answer to the upgrade."""


@dataclass(frozen=True)
class Upgrade:
    status: int
    headers: tuple[tuple[str, str], ...]  # names lower-cased, in the order sent
    body: bytes = b""
    truncated: bool = False

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key == name), "")


def new_key() -> str:
    return base64.b64encode(os.urandom(16)).decode("ascii")


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _ACCEPT_GUID, usedforsecurity=False).digest()).decode(
        "ascii"
    )


def request(endpoint: Endpoint, key: str, user_agent: str) -> bytes:
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host  # an IPv6 literal
    if endpoint.port != 443:
        host = f"{host}:{endpoint.port}"
    lines = [
        f"GET {endpoint.target} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {endpoint.upgrade_origin}",
        f"User-Agent: {user_agent}",
        "Cache-Control: no-cache",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def parse_head(head: bytes) -> tuple[int, tuple[tuple[str, str], ...]]:
    """The status and headers of an answer's head (up to and including the blank line)."""
    match = _STATUS_LINE.match(head)
    if match is None:
        raise NotAnAnswer("not an HTTP answer to the chat connection")
    headers = []
    for line in head[match.end() :].split(b"\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            raise NotAnAnswer("a malformed header in the answer to the chat connection")
        headers.append((name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")))
    return int(match.group(1)), tuple(headers)


async def _read_body(link: Link, upgrade: Upgrade, start: bytes, cap: int) -> Upgrade:
    """As much of a refusal's body as the server sends at once, capped."""
    length = upgrade.header("content-length")
    want = min(int(length), cap + 1) if length.isdigit() else cap + 1
    body = bytearray(start[:want])
    try:
        async with asyncio.timeout(BODY_WAIT):
            while len(body) < want:
                chunk = await link.read(want - len(body))
                if not chunk:
                    break
                body.extend(chunk)
    except TimeoutError:
        pass  # what arrived is what there is; the door has answered already
    truncated = len(body) > cap
    return Upgrade(upgrade.status, upgrade.headers, bytes(body[:cap]), truncated)


async def _read_head(link: Link, cap: int) -> tuple[bytes, bytes]:
    """The answer's head (through the blank line) and whatever came after it in the same reads.

    Bytes that cannot begin an HTTP answer end the wait at once: a server pushing frames
    without answering the upgrade gets no benefit of the doubt and costs no time."""
    buffer = bytearray()
    while True:
        chunk = await link.read(cap)
        if not chunk:
            if not buffer:
                raise ConnectionResetError("closed the connection without answering")
            raise NotAnAnswer("the answer to the chat connection broke off")
        buffer.extend(chunk)
        if not bytes(buffer[: len(_PREFIX)]) == _PREFIX[: len(buffer)]:
            raise NotAnAnswer("not an HTTP answer to the chat connection")
        end = buffer.find(b"\r\n\r\n")
        if end + 4 > cap or (end < 0 and len(buffer) >= cap):
            raise NotAnAnswer("the answer's headers are too long")
        if end >= 0:
            return bytes(buffer[: end + 4]), bytes(buffer[end + 4 :])


async def exchange(
    link: Link,
    endpoint: Endpoint,
    key: str,
    *,
    user_agent: str,
    cap: int,
) -> Upgrade:
    link.write(request(endpoint, key, user_agent))
    head, rest = await _read_head(link, HEAD_CAP)
    status, headers = parse_head(head)
    upgrade = Upgrade(status, headers)
    if status == 101 or endpoint.expect_body is None:
        return upgrade
    return await _read_body(link, upgrade, rest, cap)


def judge(endpoint: Endpoint, upgrade: Upgrade, key: str) -> tuple[Outcome, str]:
    """What the answer says about the chat service behind the edge."""
    status = upgrade.status
    if status == 101:
        if upgrade.header("sec-websocket-accept") != accept_for(key):
            return Outcome.MALFORMED, "answers 101 without the WebSocket handshake (something in between?)"
        return Outcome.OK, "the chat service answers (101)"
    if status in THROTTLED_STATUSES:
        return Outcome.THROTTLED, f"answers {status}: too many requests from here, not judged"
    if endpoint.status_ok(status):
        if endpoint.body_ok(upgrade.body.decode("utf-8", "replace")):
            return Outcome.OK, f"the chat service answers (refuses an anonymous connection: {status})"
        return Outcome.UNEXPECTED_BODY, f"answers {status}, but not with the chat service's own refusal"
    page = " with an HTML error page" if "html" in upgrade.header("content-type").lower() else ""
    if status in _SERVER_FAILS:
        return Outcome.HTTP_STATUS, f"the chat service behind the edge fails: answers {status}{page}"
    return Outcome.HTTP_STATUS, f"answers {status}{page} instead of opening a chat connection"
