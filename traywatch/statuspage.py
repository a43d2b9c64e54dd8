"""Meta's own status page (metastatus.com) as a second opinion, read defensively.

The page covers Meta's business and developer products (Messenger Platform, WhatsApp Business
API, Graph API…), not the consumer apps, and lags real outages by 15–20 minutes. It is a
single-page app: any path it does not know answers the same HTML page with a 200. So an answer
that is not JSON of the expected shape means "status unavailable", never "fine"; a status text it
has not used before is kept verbatim; and everything it says is cleaned before anyone sees it.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from traywatch import jsonbound
from traywatch.text import plain
from traywatch.thirdparty import Fetch, FetchError

DEFAULT_URL = "https://metastatus.com"
# orgs.json is about 20 KiB today; a page ten times that is not what we asked for.
SIZE_CAP = 256 * 1024
CALM_EVERY = 30 * 60.0  # seconds between reads while all looks well
WRONG_EVERY = 5 * 60.0  # ...and while something looks wrong
_PRODUCT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Level(enum.IntEnum):
    """How bad Meta says a product is; UNKNOWN is a status text not seen before."""

    NONE = 0
    LOW = 1
    UNKNOWN = 2
    MEDIUM = 3
    HIGH = 4
    MAJOR = 5

    @property
    def reported(self) -> bool:
        """Worth a verdict of its own: Meta itself says more than a low disruption."""
        return self >= Level.MEDIUM


_LEVELS = {
    "no known issues": Level.NONE,
    "resolved": Level.NONE,
    "operational": Level.NONE,
    "low disruptions": Level.LOW,
    "medium disruptions": Level.MEDIUM,
    "high disruptions": Level.HIGH,
    "major disruptions": Level.MAJOR,
}


def level_of(text: str) -> Level:
    return _LEVELS.get(text.strip().lower(), Level.UNKNOWN)


@dataclass(frozen=True)
class ProductStatus:
    id: str  # "messenger"
    name: str  # "Messenger Platform"
    level: Level
    text: str  # the worst of its services' status texts, cleaned: "Major disruptions"
    since: float | None = None  # when its open outage began, from the outage file

    def describe(self) -> str:
        """ "Messenger Platform — major disruptions since 14:02"."""
        words = f"{self.name} — {self.text[:1].lower()}{self.text[1:]}"
        if self.since is not None:
            words += f" since {dt.datetime.fromtimestamp(self.since).astimezone():%H:%M}"
        return words


@dataclass(frozen=True)
class StatusReport:
    fetched_at: float
    products: tuple[ProductStatus, ...] = ()
    problem: str = ""  # why the page could not be read; empty when it was

    @property
    def available(self) -> bool:
        return not self.problem

    def product(self, product_id: str) -> ProductStatus | None:
        return next((p for p in self.products if p.id == product_id), None)

    def worst(self, product_ids: Iterable[str]) -> ProductStatus | None:
        """The worst-off of these products, if the page names any of them."""
        found = [p for p in (self.product(i) for i in product_ids) if p is not None]
        return max(found, key=lambda p: p.level) if found else None


class StatusPageError(Exception):
    """The status page answered, but not with the data we asked for."""


def parse_orgs(data: bytes) -> tuple[ProductStatus, ...]:
    """The products in ``/data/orgs.json``: an array of {id, name, services: [{status}]}.

    A product whose entry is malformed is left out (it is then "not reported on", never
    "fine"); a document with no well-formed product at all is an error."""
    try:
        document = jsonbound.loads(data)
    except jsonbound.TooDeep:
        raise StatusPageError("the answer is nested too deep") from None
    except ValueError:
        raise StatusPageError("the answer is not JSON (the page's HTML shell?)") from None
    if not isinstance(document, list):
        raise StatusPageError("the answer is JSON, but not a list of products")
    products = [p for p in (_product(item) for item in document) if p is not None]
    if not products:
        raise StatusPageError("the answer lists no product in the expected shape")
    return tuple(products)


def _product(item: object) -> ProductStatus | None:
    if not isinstance(item, dict):
        return None
    product_id, name, services = item.get("id"), item.get("name"), item.get("services")
    if not isinstance(product_id, str) or not _PRODUCT_ID.match(product_id) or not isinstance(services, list):
        return None
    texts = [s.get("status") for s in services if isinstance(s, dict)]
    if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
        return None
    worst = max((plain(t, 60) for t in texts if isinstance(t, str)), key=level_of)
    label = plain(name, 60) if isinstance(name, str) and name.strip() else product_id
    return ProductStatus(product_id, label, level_of(worst), worst)


def parse_outage_start(data: bytes) -> float | None:
    """When the latest open outage in ``/data/outages/{product}.json`` began; None if none is
    open or the file says nothing usable."""
    try:
        document = jsonbound.loads(data)
    except ValueError:
        return None
    if not isinstance(document, list):
        return None
    starts = []
    for outage in document:
        if not isinstance(outage, dict) or level_of(str(outage.get("status", ""))) is Level.NONE:
            continue
        start = _timestamp(outage.get("time"))
        if start is not None:
            starts.append(start)
    return max(starts) if starts else None


def _timestamp(value: object) -> float | None:
    """Seconds since 1970 from a number or an ISO 8601 string; None for a moment before 1970 or
    after 2286, which the page cannot mean and a clock could not show."""
    seconds: float
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value  # milliseconds, as JavaScript writes them
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            seconds = moment.timestamp()
        except (ValueError, OverflowError):
            return None
    else:
        return None
    return float(seconds) if 0 < seconds < 10**10 else None


def due(last: StatusReport | None, now: float, looks_wrong: bool) -> bool:
    """Read again? Every 30 minutes, or every 5 while something looks wrong; never sooner."""
    if last is None:
        return True
    return now - last.fetched_at >= (WRONG_EVERY if looks_wrong else CALM_EVERY)


# An entity tag as RFC 9110 writes it (quoted, optionally weak), and a date as HTTP writes it:
# anything else a server sends as a validator is not sent back to it.
_ETAG = re.compile(r'(W/)?"[\x21\x23-\x7e]{0,200}"')
_HTTP_DATE = re.compile(r"[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT")


@dataclass(frozen=True)
class Kept:
    """A page as last read, with the validators to ask whether it changed since."""

    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    def conditions(self) -> dict[str, str]:
        asked = {}
        if self.etag is not None:
            asked["If-None-Match"] = self.etag
        if self.last_modified is not None:
            asked["If-Modified-Since"] = self.last_modified
        return asked


def _kept(body: bytes, headers: dict[str, str]) -> Kept | None:
    etag = headers.get("etag", "")
    modified = headers.get("last-modified", "")
    kept = Kept(body, etag if _ETAG.fullmatch(etag) else None, modified if _HTTP_DATE.fullmatch(modified) else None)
    return kept if kept.conditions() else None


async def _get(fetch: Fetch, url: str, cache: dict[str, Kept] | None = None) -> bytes:
    """The page's body; with ``cache``, asked only if it changed since it was kept there."""
    kept = cache.get(url) if cache is not None else None
    answer = await fetch("GET", url, cap=SIZE_CAP, headers=kept.conditions() if kept else None)
    if answer.status == 304 and kept is not None:
        return kept.body
    if answer.status != 200:
        raise StatusPageError(f"the page answers HTTP {answer.status}")
    if cache is not None:
        fresh = _kept(answer.body, answer.headers)
        if fresh is not None:
            cache[url] = fresh
        else:
            cache.pop(url, None)
    return answer.body


async def fetch(
    get: Fetch, base_url: str, wanted: Sequence[str], now: float, cache: dict[str, Kept] | None = None
) -> StatusReport:
    """Read the products, then when each wanted one flagged began. Never raises. With ``cache``,
    an unchanged product list is answered 304 and not sent again."""
    base = base_url.rstrip("/")
    try:
        products = parse_orgs(await _get(get, f"{base}/data/orgs.json", cache))
    except (StatusPageError, FetchError) as exc:
        return StatusReport(now, problem=str(exc))
    dated = []
    for product in products:
        if product.id in wanted and product.level >= Level.LOW:
            try:
                since = parse_outage_start(await _get(get, f"{base}/data/outages/{product.id}.json"))
            except (StatusPageError, FetchError):
                since = None  # the level alone still stands
            dated.append(replace(product, since=since))
        else:
            dated.append(product)
    return StatusReport(now, tuple(dated))


class StatusPageWatch:
    """The latest report, read again only when ``due``. Used from one event loop at a time."""

    def __init__(self, base_url: str, wanted: Sequence[str]) -> None:
        self.base_url = base_url
        self.wanted = tuple(wanted)
        self.report: StatusReport | None = None
        self.kept: dict[str, Kept] = {}  # the product list as last read, while it has validators

    async def refresh(self, get: Fetch, looks_wrong: bool, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if due(self.report, now, looks_wrong):
            # Dated before the read, so a read cut short still counts towards the interval.
            self.report = StatusReport(now, problem="being read")
            self.report = await fetch(get, self.base_url, self.wanted, now, self.kept)

    def same_source(self, other: StatusPageWatch) -> bool:
        return (self.base_url, self.wanted) == (other.base_url, other.wanted)

    def gave_up(self, problem: str) -> None:
        """The read was cut short: say why, dated when it began."""
        started = self.report.fetched_at if self.report is not None else time.time()
        self.report = StatusReport(started, problem=problem)
