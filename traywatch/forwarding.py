"""Forward each notification to a webhook (ntfy, Slack, Discord, Matrix hookshot or any JSON
endpoint): a short timeout, a few retries, and never an exception into the monitor."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from traywatch import __version__
from traywatch.notices import Notification, Urgency
from traywatch.text import slack, unmention

log = logging.getLogger(__name__)

_NTFY_PRIORITY = {Urgency.LOW: 2, Urgency.NORMAL: 3, Urgency.CRITICAL: 4}


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


async def forward(
    target: Target,
    note: Notification,
    *,
    attempts: int = 3,
    timeout: float = 5.0,
    backoff: float = 0.5,
    client: httpx.AsyncClient | None = None,
) -> Outcome:
    url, body = request_for(target, note)
    headers = {"User-Agent": f"traywatch/{__version__}"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    owned = client is None
    http = client or httpx.AsyncClient(timeout=timeout, trust_env=True, follow_redirects=False)
    detail = ""
    try:
        for attempt in range(1, attempts + 1):
            try:
                response = await http.post(url, json=body, headers=headers, timeout=timeout)
            except httpx.HTTPError as exc:
                detail = f"{type(exc).__name__} reaching {target.host}"
            else:
                if response.is_success:
                    log.info("forwarded %r to %s", note.title, target.host)
                    return Outcome(True, f"HTTP {response.status_code}", attempt, time.time())
                detail = f"{target.host} answered HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break  # the request itself is wrong: sending it again will not help
            if attempt < attempts:
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
    finally:
        if owned:
            await http.aclose()
    log.warning("could not forward %r: %s", note.title, detail)
    return Outcome(False, detail, attempt, time.time())


class WebhookSink:
    """The pipeline's webhook sink: each shown notice is posted on the probe thread's loop; the
    outcome goes to ``on_outcome`` (from that thread)."""

    name = "webhook"

    def __init__(
        self,
        submit: Callable[[Coroutine[Any, Any, None]], object],
        settings: Callable[[], Mapping[str, Any]],
        token: Callable[[], str],
        on_outcome: Callable[[Outcome], None],
    ) -> None:
        self.submit = submit
        self.settings = settings
        self.token = token
        self.on_outcome = on_outcome

    def deliver(self, note: Notification) -> None:
        values = self.settings()
        url = values["forwarding.url"]
        if url:
            self.submit(self._send(Target(url, values["forwarding.format"]), note))

    async def _send(self, target: Target, note: Notification) -> None:
        token = ""
        try:
            token = await asyncio.to_thread(self.token)
        except Exception as exc:
            log.warning("forwarding without a token: %s", type(exc).__name__)
        outcome = await forward(Target(target.url, target.format, token), note)
        self.on_outcome(outcome)
