"""What reading a third party's JSON looks like to the code that interprets it (Meta's status
page, Globalping): one call, one capped answer or one short reason. ``probes.fetch`` does it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class FetchError(Exception):
    """No answer worth reading; the text says why in a few words, never quoting the server."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Fetch(Protocol):
    async def __call__(
        self, method: str, url: str, *, cap: int, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer: ...
