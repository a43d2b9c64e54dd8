"""An opt-in second vantage point: Globalping's public probes in your country try the host that
fails here, so "it's down" and "it's this network" can be told apart.

Only the failing host's name (and the country to measure from) is sent. Globalping allows an
address 250 tests an hour without an account; each question costs ``PROBES`` tests, a host is
asked about at most once per ``HOST_EVERY``, and a 429 stops all questions until its reset.
"""

from __future__ import annotations

import asyncio
import locale
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from traywatch import jsonbound
from traywatch.text import plain
from traywatch.thirdparty import Fetch, FetchError

DEFAULT_URL = "https://api.globalping.io"
PROBES = 3
HOURLY_TESTS = 250  # Globalping's anonymous limit per address
HOST_EVERY = 10 * 60.0  # seconds before the same host is asked about again
RESULT_FRESH = 10 * 60.0  # how long an answer stands as evidence
ANSWER_CAP = 256 * 1024
POLL_EVERY = 0.5  # seconds between looks at a running measurement (Globalping asks for >= 0.5)
GIVE_UP_AFTER = 30.0
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_MEASUREMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SECONDS = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit also takes "²", which int() refuses


def country_from_locale(environ: dict[str, str] | None = None) -> str:
    """The two-letter country of the user's locale ("de_DE.UTF-8" → "DE"), or "" if none."""
    env = os.environ if environ is None else environ
    candidates = [env.get(k, "") for k in ("LC_ALL", "LC_MESSAGES", "LANG")]
    if environ is None:
        candidates.append(locale.getlocale()[0] or "")
    for value in candidates:
        match = re.match(r"^[a-z]{2,3}_([A-Z]{2})\b", value)
        if match:
            return match.group(1)
    return ""


@dataclass(frozen=True)
class Vantage:
    """What other networks saw of one host."""

    host: str
    country: str
    asked_at: float
    working: int = 0
    failing: int = 0
    problem: str = ""  # why there is no answer; empty when there is one

    @property
    def total(self) -> int:
        return self.working + self.failing

    def words(self) -> str:
        """Evidence in plain words, or "" when there is nothing to say."""
        if self.problem or not self.total:
            return ""
        where = f"other networks in {self.country}" if self.country else "other networks"
        if self.failing == self.total:
            return f"{self.host} also fails from {self.failing} of {self.total} {where}"
        if self.working == self.total:
            return f"{self.host} works from {self.working} of {self.total} {where}: it's this network"
        return f"{self.host} fails from {self.failing} of {self.total} {where}"


@dataclass(frozen=True)
class Budget:
    """What may still be asked: Globalping's hourly limit, its own reset after a 429, and one
    question per host per ``HOST_EVERY``. Pure data; ``allowed`` and ``spent`` decide."""

    spent_at: tuple[float, ...] = ()  # when each test was spent, the last hour's
    blocked_until: float = 0.0
    asked: tuple[tuple[str, float], ...] = ()  # host -> when last asked

    def allowed(self, host: str, now: float) -> bool:
        if now < self.blocked_until:
            return False
        if any(h == host and now - at < HOST_EVERY for h, at in self.asked):
            return False
        recent = [t for t in self.spent_at if now - t < 3600]
        return len(recent) + PROBES <= HOURLY_TESTS

    def spent(self, host: str, now: float) -> Budget:
        recent = tuple(t for t in self.spent_at if now - t < 3600)
        asked = tuple((h, at) for h, at in self.asked if h != host and now - at < HOST_EVERY)
        return replace(self, spent_at=recent + (now,) * PROBES, asked=(*asked, (host, now)))

    def throttled(self, until: float) -> Budget:
        return replace(self, blocked_until=max(self.blocked_until, until))


class GlobalpingError(Exception):
    pass


def _retry_at(headers: dict[str, str], now: float) -> float:
    for name in ("retry-after", "x-ratelimit-reset"):
        value = headers.get(name, "")
        if _SECONDS.fullmatch(value):
            return now + min(int(value), 3600)
    return now + 3600  # no word on when: an hour, the limit's own window


def _count(document: object) -> tuple[int, int]:
    """(working, failing) from a finished measurement: any HTTP answer below 500 is working."""
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise GlobalpingError("the measurement's answer is not in the expected shape")
    working = failing = 0
    for item in document["results"]:
        result = item.get("result") if isinstance(item, dict) else None
        if not isinstance(result, dict):
            continue
        status, code = result.get("status"), result.get("statusCode")
        if status == "finished" and isinstance(code, int) and not isinstance(code, bool) and 100 <= code < 500:
            working += 1
        elif status in ("finished", "failed"):
            failing += 1
    return working, failing


async def ask(
    fetch: Fetch,
    base_url: str,
    host: str,
    country: str,
    *,
    now: Callable[[], float] = time.time,
    poll_every: float = POLL_EVERY,
    give_up_after: float = GIVE_UP_AFTER,
) -> tuple[Vantage, float | None]:
    """Ask for an HTTP HEAD of ``host`` from ``PROBES`` probes in ``country``. Returns what came
    back and, after a 429, until when to ask nothing more. Never raises."""
    asked_at = now()
    base = base_url.rstrip("/")
    location = [{"country": country, "limit": PROBES}] if _COUNTRY.match(country) else [{"magic": "world"}]
    request = {
        "type": "http",
        "target": host,
        "locations": location,
        "limit": PROBES,
        "measurementOptions": {"protocol": "HTTPS", "request": {"method": "HEAD", "path": "/"}},
    }

    def failed(problem: str) -> Vantage:
        return Vantage(host, country, asked_at, problem=problem)

    try:
        created = await fetch("POST", f"{base}/v1/measurements", cap=ANSWER_CAP, json=request)
        if created.status == 429:
            return failed("Globalping's hourly limit is reached"), _retry_at(created.headers, asked_at)
        if created.status not in (200, 201, 202):
            return failed(f"Globalping answers HTTP {created.status}"), None
        measurement_id = jsonbound.loads(created.body).get("id")
        if not isinstance(measurement_id, str) or not _MEASUREMENT_ID.match(measurement_id):
            return failed("Globalping's answer has no measurement id"), None
        deadline = asked_at + give_up_after
        while True:
            await asyncio.sleep(poll_every)
            answer = await fetch("GET", f"{base}/v1/measurements/{measurement_id}", cap=ANSWER_CAP)
            if answer.status == 429:
                return failed("Globalping's hourly limit is reached"), _retry_at(answer.headers, now())
            if answer.status != 200:
                return failed(f"Globalping answers HTTP {answer.status}"), None
            document = jsonbound.loads(answer.body)
            if isinstance(document, dict) and document.get("status") == "finished":
                working, failing = _count(document)
                return Vantage(host, country, asked_at, working, failing), None
            if now() >= deadline:
                return failed("the measurement did not finish in time"), None
    except (ValueError, AttributeError, GlobalpingError) as exc:
        reason = str(exc) if isinstance(exc, GlobalpingError) else "Globalping's answer is not the expected JSON"
        return failed(plain(reason)), None
    except FetchError as exc:
        return failed(str(exc)), None


@dataclass
class VantageWatch:
    """Questions asked in the background while probes go on; answers kept while fresh."""

    base_url: str
    country: str
    budget: Budget = field(default_factory=Budget)
    answers: dict[str, Vantage] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)  # held so none is collected mid-run

    def same_source(self, other: VantageWatch) -> bool:
        return (self.base_url, self.country) == (other.base_url, other.country)

    def fresh(self, now: float) -> tuple[Vantage, ...]:
        return tuple(v for v in self.answers.values() if now - v.asked_at < RESULT_FRESH)

    def wanted(self, hosts: Iterable[str], now: float) -> list[str]:
        """Which of these failing hosts to ask about now, spending the budget for them."""
        chosen = []
        for host in dict.fromkeys(hosts):
            if host in self.running or not self.budget.allowed(host, now):
                continue
            self.budget = self.budget.spent(host, now)
            self.running.add(host)
            chosen.append(host)
        return chosen

    def start(self, fetch: Fetch, host: str) -> None:
        task = asyncio.ensure_future(self.run(fetch, host))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self, fetch: Fetch, host: str) -> None:
        try:
            answer, blocked_until = await ask(fetch, self.base_url, host, self.country)
        finally:
            self.running.discard(host)
        if blocked_until is not None:
            self.budget = self.budget.throttled(blocked_until)
        self.answers[host] = answer
