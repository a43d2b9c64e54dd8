"""Forward each notification to a webhook (ntfy, Slack, Discord, Matrix hookshot or any JSON
endpoint): a few retries, and never an exception into the monitor.

A webhook is a server like any other: its answer is read raw (never decompressed) and only as far
as ``ANSWER_CAP``, each delivery ends by one overall ``DEADLINE`` however slowly the answer drips,
and at most ``QUEUE_LIMIT`` notices wait for a slow one (the oldest are dropped, and counted)."""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from traywatch import __version__
from traywatch.notices import Notification, Urgency
from traywatch.secretbind import SECRET_URL_KEY, release
from traywatch.secretstore import SecretStore
from traywatch.text import slack, unmention

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

_NTFY_PRIORITY = {Urgency.LOW: 2, Urgency.NORMAL: 3, Urgency.CRITICAL: 4}
ANSWER_CAP = 4096  # bytes of a webhook's answer read at most: only its status matters
DEADLINE = 15.0  # seconds for one delivery, every attempt and pause included
QUEUE_LIMIT = 8  # notices waiting for a slow webhook; older ones are dropped


@dataclass(frozen=True)
class Target:
    url: str
    format: str = "json"  # "json" or "ntfy"
    token: str = ""

    @property
    def host(self) -> str:
        # Webhook URLs often carry their secret in the path: only the host is ever logged.
        return urlsplit(self.url).hostname or "?"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    attempts: int
    at: float
    warning: str = ""  # delivered, but something was held back (a token not sent, and why)


@dataclass(frozen=True)
class Credentials:
    """Where to post and with what, as the keyring allows it (``secretbind``)."""

    url: str  # the full webhook URL (from the keyring when it is itself a credential)
    token: str = ""
    warning: str = ""  # why a secret is not sent, for the menu


def request_for(target: Target, note: Notification) -> tuple[str, dict[str, Any]]:
    """The URL to POST and the JSON body, for the target's format."""
    title, message = unmention(note.title), unmention(note.body)
    text = f"{title}\n{message}" if message else title
    if target.format == "ntfy":
        # ntfy takes JSON at its root URL, naming the topic in the body.
        parts = urlsplit(target.url)
        topic = parts.path.strip("/")
        root = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
        return root, {
            "topic": topic,
            "title": title,
            "message": message or title,
            "priority": _NTFY_PRIORITY[note.urgency],
            "tags": ["traywatch"],
        }
    # "text" is what Slack and Matrix hookshot show (Slack reads "<...>" as commands), "content"
    # what Discord shows; "allowed_mentions" keeps Discord from pinging anyone whatever it says.
    return target.url, {
        "title": title,
        "body": message,
        "text": slack(text),
        "content": text,
        "allowed_mentions": {"parse": []},
        "urgency": note.urgency.name.lower(),
        "source": "traywatch",
    }


async def _post(http: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    """POST and read at most ``ANSWER_CAP`` raw bytes of the answer: its status is all we need."""
    async with http.stream("POST", url, json=body, headers=headers) as response:
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= ANSWER_CAP:
                break
        return response.status_code


async def forward(
    target: Target,
    note: Notification,
    *,
    attempts: int = 3,
    timeout: float = 5.0,
    backoff: float = 0.5,
    deadline: float = DEADLINE,
    client: httpx.AsyncClient | None = None,
) -> Outcome:
    url, body = request_for(target, note)
    # identity: a compressed answer is never asked for, and never unpacked if sent anyway.
    headers = {"User-Agent": f"traywatch/{__version__}", "Accept-Encoding": "identity"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    import httpx  # at the first notice forwarded, not at start-up

    owned = client is None
    http = client or httpx.AsyncClient(timeout=timeout, trust_env=True, follow_redirects=False)
    detail = ""
    attempt = 0
    try:
        async with asyncio.timeout(deadline):
            for attempt in range(1, attempts + 1):
                try:
                    status = await _post(http, url, body, headers)
                except httpx.HTTPError as exc:
                    detail = f"{type(exc).__name__} reaching {target.host}"
                else:
                    if 200 <= status < 300:
                        log.info("forwarded %r to %s", note.title, target.host)
                        return Outcome(True, f"HTTP {status}", attempt, time.time())
                    detail = f"{target.host} answered HTTP {status}"
                    if status < 500 and status != 429:
                        break  # the request itself is wrong: sending it again will not help
                if attempt < attempts:
                    await asyncio.sleep(backoff * 2 ** (attempt - 1))
    except TimeoutError:
        detail = f"{target.host} did not finish answering within {deadline:g} s"
    finally:
        if owned:
            await http.aclose()
    log.warning("could not forward %r: %s", note.title, detail)
    return Outcome(False, detail, max(attempt, 1), time.time())


def webhook_credentials(store: SecretStore | None, configured: str) -> Credentials:
    """The URL to post to and the token to send, as far as each is bound to ``configured``."""
    if store is None or not store.available:
        return Credentials(configured)
    url = configured
    saved_url = store.get(SECRET_URL_KEY)
    if saved_url:
        url = release(saved_url, configured, "webhook address").secret or configured
    token = release(store.get("forwarding.token"), url, "webhook token")
    return Credentials(url, token.secret or "", token.reason)


class WebhookSink:
    """The pipeline's webhook sink: each shown notice is posted on the probe thread's loop; the
    outcome goes to ``on_outcome`` (from that thread)."""

    name = "webhook"

    def __init__(
        self,
        submit: Callable[[Coroutine[Any, Any, None]], object],
        settings: Callable[[], Mapping[str, Any]],
        credentials: Callable[[str], Credentials],
        on_outcome: Callable[[Outcome], None],
    ) -> None:
        self.submit = submit
        self.settings = settings
        self.credentials = credentials
        self.on_outcome = on_outcome
        self.dropped = 0  # notices never sent because a slow webhook had too many waiting
        self._queue: collections.deque[tuple[Target, Notification]] = collections.deque()
        self._lock = threading.Lock()  # deliver() runs on the GUI thread, the sender on the loop's
        self._sending = False
        self._dropped_unsaid = 0

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def busy(self) -> bool:
        with self._lock:
            return self._sending

    def deliver(self, note: Notification) -> None:
        values = self.settings()
        url = values["forwarding.url"]
        if not url:
            return
        with self._lock:
            if len(self._queue) >= QUEUE_LIMIT:
                self._queue.popleft()
                self.dropped += 1
                self._dropped_unsaid += 1
            self._queue.append((Target(url, values["forwarding.format"]), note))
            start = not self._sending
            self._sending = True
        if start:
            self.submit(self._drain())

    async def _drain(self) -> None:
        """One sender at a time, oldest first, until the queue is empty."""
        while True:
            with self._lock:
                if not self._queue:
                    self._sending = False
                    return
                target, note = self._queue.popleft()
                dropped, self._dropped_unsaid = self._dropped_unsaid, 0
            outcome = await self._send(target, note)
            if dropped:
                said = f"{outcome.detail}; {dropped} older notices dropped while it was slow"
                outcome = replace(outcome, detail=said)
            self.on_outcome(outcome)

    async def _send(self, target: Target, note: Notification) -> Outcome:
        try:
            # The keyring may be slow to answer: asked off the loop.
            found = await asyncio.to_thread(self.credentials, target.url)
        except Exception as exc:
            log.warning("forwarding without a token: %s", type(exc).__name__)
            found = Credentials(target.url, warning=f"The keyring could not be read ({type(exc).__name__}).")
        try:
            outcome = await forward(Target(found.url, target.format, found.token), note)
        except Exception as exc:  # a sink never raises
            outcome = Outcome(False, f"could not forward ({type(exc).__name__})", 1, time.time())
        return replace(outcome, warning=found.warning) if found.warning else outcome
