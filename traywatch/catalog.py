"""What is watched: services, independent control endpoints and DoH resolvers, read from TOML.

The shipped catalog (``traywatch/data/catalog.toml``) and a user's config use the same format; a
user entry with the id of a shipped one replaces it, and ``enabled = false`` alone switches it off.
"""

from __future__ import annotations

import enum
import ipaddress
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from traywatch import jsonbound
from traywatch.model import Layer, Role
from traywatch.tomlreader import Node, TomlDocument
from traywatch.urls import DEFAULT_PORTS, url_problem


class BodyMatch(enum.Enum):
    EXACT = "exact"
    PREFIX = "prefix"
    CONTAINS = "contains"


MAX_ENDPOINTS = 200  # endpoints, controls and resolvers together, after the user's overlay
_SCHEME_LAYER = {"http": Layer.HTTP, "https": Layer.HTTP, "tls": Layer.TLS, "tcp": Layer.TCP, "wss": Layer.CHAT}
# Statuses that say nothing about an application's health: it throttles this address.
THROTTLED_STATUSES = frozenset({429})


@dataclass(frozen=True)
class Endpoint:
    """One URL to probe. ``tls://`` and ``tcp://`` stop at that layer; ``wss://`` at the answer
    to a chat connection's WebSocket upgrade (for messaging edges)."""

    id: str
    role: Role
    url: str
    expect_status: tuple[int, ...] = ()  # empty: any 2xx (wss://: 101 only)
    expect_body: str | None = None
    body_match: BodyMatch = BodyMatch.PREFIX
    # wss://: the Origin the web client sends; None: the endpoint's own https:// origin.
    origin: str | None = None
    # The api expectation: JSON keys and values that only the application itself answers with
    # (an anonymous call's structured refusal, say). Empty: no JSON is expected.
    expect_json: tuple[tuple[str, JsonScalar], ...] = ()

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or DEFAULT_PORTS.get(parts.scheme, 0)

    @property
    def top_layer(self) -> Layer:
        return _SCHEME_LAYER[self.scheme]

    @property
    def uses_tls(self) -> bool:
        return self.scheme in ("https", "tls", "wss")

    @property
    def upgrade_origin(self) -> str:
        return self.origin or f"https://{self.host}"

    @property
    def target(self) -> str:
        """The request target of the URL: its path and query, "/" at the least."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def host_is_ip(self) -> bool:
        return is_ip_literal(self.host)

    def status_ok(self, status: int) -> bool:
        if self.top_layer is Layer.CHAT and status == 101:
            return True  # the upgrade was accepted: the chat service itself answers
        if self.expect_status:
            return status in self.expect_status
        if self.top_layer is Layer.CHAT:
            return False
        if self.role is Role.CONTROL:
            return 200 <= status < 300
        # A web front that answers at all, even 403 or 429, is up; 451 is a legal block.
        return status < 500 and status != 451

    def json_ok(self, body: str) -> bool:
        """The api expectation: the body is a JSON object holding every expected key and value."""
        if not self.expect_json:
            return True
        try:
            document = jsonbound.loads(body.encode("utf-8"))  # a server's answer: depth-bounded like all
        except ValueError:
            return False
        if not isinstance(document, dict):
            return False
        return all(key in document and _same(document[key], value) for key, value in self.expect_json)

    def body_ok(self, body: str) -> bool:
        if not self.json_ok(body):
            return False
        if self.expect_body is None:
            return True
        if self.body_match is BodyMatch.EXACT:
            return body.strip() == self.expect_body.strip()
        if self.body_match is BodyMatch.CONTAINS:
            return self.expect_body in body
        return body.startswith(self.expect_body)


JsonScalar = str | int | float | bool


def _same(found: object, expected: JsonScalar) -> bool:
    # Type and value: the string "false" is not false, and true is not 1.
    return type(found) is type(expected) and found == expected


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    domains: tuple[str, ...]
    endpoints: tuple[Endpoint, ...]
    enabled: bool = True
    # Ids of the products on Meta's status page that report on this service.
    status_page: tuple[str, ...] = ()

    def allows_redirect_to(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        if any(host == e.host for e in self.endpoints):
            return True
        return any(host == d or host.endswith("." + d) for d in self.domains)


@dataclass(frozen=True)
class Control:
    """An endpoint run by someone other than Meta whose healthy answer is documented."""

    id: str
    name: str
    operator: str
    endpoint: Endpoint
    enabled: bool = True


@dataclass(frozen=True)
class Resolver:
    """A DNS-over-HTTPS resolver answering ``application/dns-json``; best addressed by IP."""

    id: str
    name: str
    url: str
    enabled: bool = True


@dataclass(frozen=True)
class Catalog:
    services: tuple[Service, ...]
    controls: tuple[Control, ...]
    resolvers: tuple[Resolver, ...]

    def enabled(self) -> Catalog:
        return Catalog(
            tuple(s for s in self.services if s.enabled),
            tuple(c for c in self.controls if c.enabled),
            tuple(r for r in self.resolvers if r.enabled),
        )

    def overlaid(self, other: CatalogOverlay) -> Catalog:
        return Catalog(
            _overlay(self.services, other.services, other.toggles),
            _overlay(self.controls, other.controls, other.toggles),
            _overlay(self.resolvers, other.resolvers, other.toggles),
        )


@dataclass(frozen=True)
class CatalogOverlay:
    """A user's additions: whole entries, plus on/off switches for entries found by id."""

    services: tuple[Service, ...] = ()
    controls: tuple[Control, ...] = ()
    resolvers: tuple[Resolver, ...] = ()
    toggles: tuple[tuple[str, bool], ...] = ()


_Entry = TypeVar("_Entry", Service, Control, Resolver)


def _overlay(
    base: tuple[_Entry, ...], extra: tuple[_Entry, ...], toggles: tuple[tuple[str, bool], ...]
) -> tuple[_Entry, ...]:
    by_id = {item.id: item for item in base}
    for item in extra:
        by_id[item.id] = item
    for item_id, enabled in toggles:
        if item_id in by_id:
            by_id[item_id] = replace(by_id[item_id], enabled=enabled)
    return tuple(by_id.values())


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


_ENDPOINT_KEYS = {"id", "role", "url", "expect_status", "expect_body", "body_match", "origin", "expect_json"}
_SERVICE_KEYS = {"id", "name", "domains", "endpoint", "enabled", "status_page"}
_CONTROL_KEYS = {"id", "name", "operator", "url", "expect_status", "expect_body", "body_match", "enabled"}
_RESOLVER_KEYS = {"id", "name", "url", "enabled"}


def _read_endpoint(node: Node, role: Role, endpoint_id: str | None = None) -> Endpoint:
    url = node.string("url", required=True)
    allowed = ("http", "https") if role is Role.CONTROL else tuple(_SCHEME_LAYER)
    problem = url_problem(url, allowed)
    if problem:
        raise node.error("url", problem)
    parts = urlsplit(url)
    if parts.scheme == "tcp" and parts.port is None:
        raise node.error("url", f"a tcp:// URL needs a port, like tcp://{parts.hostname}:443")
    match_text = node.string("body_match", BodyMatch.PREFIX.value)
    try:
        body_match = BodyMatch(match_text)
    except ValueError:
        raise node.error("body_match", f"expected one of exact, prefix, contains, got {match_text!r}") from None
    statuses = node.integers("expect_status")
    for status in statuses:
        if not 100 <= status <= 599:
            raise node.error("expect_status", f"expected HTTP status codes (100-599), got {status}")
    if role is not Role.CONTROL:
        role_text = node.string("role", "web")
        try:
            role = Role(role_text)
        except ValueError:
            raise node.error("role", f"expected 'web' or 'edge', got {role_text!r}") from None
        if role is Role.CONTROL:
            raise node.error("role", "expected 'web' or 'edge'; controls go in [[control]]")
    origin = node.string("origin")
    if origin is not None:
        if parts.scheme != "wss":
            raise node.error("origin", "only a wss:// chat connection sends an Origin")
        if url_problem(origin, ("http", "https")) or urlsplit(origin).path not in ("", "/"):
            raise node.error("origin", f"expected an origin like https://www.example.com, got {origin!r}")
        origin = origin.rstrip("/")
    expect_json = _read_expect_json(node)
    if expect_json and parts.scheme not in ("http", "https"):
        raise node.error("expect_json", "only an http(s):// endpoint answers JSON")
    return Endpoint(
        id=endpoint_id if endpoint_id is not None else node.string("id", required=True),
        role=role,
        url=url,
        expect_status=statuses,
        expect_body=node.string("expect_body"),
        body_match=body_match,
        origin=origin,
        expect_json=expect_json,
    )


def _read_expect_json(node: Node) -> tuple[tuple[str, JsonScalar], ...]:
    table = node.table("expect_json")
    if table is None:
        return ()
    if not table.data:
        raise node.error("expect_json", 'expected at least one key, like { status = "fail" }')
    pairs: list[tuple[str, JsonScalar]] = []
    for key, value in table.data.items():
        if not isinstance(value, (str, int, float, bool)):
            raise table.error(key, "expected a string, number or true/false")
        pairs.append((key, value))
    return tuple(pairs)


def _read_service(node: Node) -> Service:
    node.reject_unknown(_SERVICE_KEYS)
    endpoints = []
    for ep_node in node.tables("endpoint"):
        ep_node.reject_unknown(_ENDPOINT_KEYS)
        endpoints.append(_read_endpoint(ep_node, Role.WEB))
    if not endpoints:
        raise node.error(None, "a service needs at least one [[service.endpoint]] with a url")
    ids = [e.id for e in endpoints]
    if len(set(ids)) != len(ids):
        raise node.error("endpoint", "endpoint ids must be unique within a service")
    service_id = node.string("id", required=True)
    return Service(
        id=service_id,
        name=node.string("name", service_id),
        domains=tuple(d.lower().strip(".") for d in node.strings("domains")),
        endpoints=tuple(endpoints),
        enabled=node.boolean("enabled", True),
        status_page=node.strings("status_page"),
    )


def _read_control(node: Node) -> Control:
    node.reject_unknown(_CONTROL_KEYS)
    control_id = node.string("id", required=True)
    return Control(
        id=control_id,
        name=node.string("name", control_id),
        operator=node.string("operator", ""),
        endpoint=_read_endpoint(node, Role.CONTROL, endpoint_id="check"),
        enabled=node.boolean("enabled", True),
    )


def _read_resolver(node: Node) -> Resolver:
    node.reject_unknown(_RESOLVER_KEYS)
    url = node.string("url", required=True)
    problem = url_problem(url, ("https",))
    if problem:
        raise node.error("url", f"a DNS-over-HTTPS resolver needs an https:// URL: {problem}")
    resolver_id = node.string("id", required=True)
    return Resolver(
        id=resolver_id,
        name=node.string("name", resolver_id),
        url=url,
        enabled=node.boolean("enabled", True),
    )


def check_size(catalog: Catalog, root: Node) -> None:
    """Refuse a catalog past ``MAX_ENDPOINTS``: every endpoint is probed at once each cycle, and
    thousands would crowd out the controls and make your connection look broken."""
    total = sum(len(s.endpoints) for s in catalog.services) + len(catalog.controls) + len(catalog.resolvers)
    if total > MAX_ENDPOINTS:
        raise root.error(
            None, f"the catalog has {total} endpoints, controls and resolvers; traywatch probes at most {MAX_ENDPOINTS}"
        )


def _is_toggle(node: Node) -> bool:
    return set(node.data) <= {"id", "enabled"} and "enabled" in node.data


def read_overlay(root: Node) -> CatalogOverlay:
    """Read ``[[service]]``, ``[[control]]`` and ``[[resolver]]`` entries from a document."""
    toggles: list[tuple[str, bool]] = []
    groups: dict[str, list[Node]] = {"service": [], "control": [], "resolver": []}
    # Counted before any entry is read: a file of thousands is refused at once.
    raw = {key: root.tables(key) for key in groups}
    written = (
        len(raw["control"]) + len(raw["resolver"]) + sum(len(n.data.get("endpoint") or []) for n in raw["service"])
    )
    if written > MAX_ENDPOINTS:
        raise root.error(
            None,
            f"the file lists {written} endpoints, controls and resolvers; traywatch probes at most {MAX_ENDPOINTS}",
        )
    for key, nodes in groups.items():
        for node in raw[key]:
            if _is_toggle(node):
                toggles.append((node.string("id", required=True), node.boolean("enabled", True)))
            else:
                nodes.append(node)
    overlay = CatalogOverlay(
        services=tuple(_read_service(n) for n in groups["service"]),
        controls=tuple(_read_control(n) for n in groups["control"]),
        resolvers=tuple(_read_resolver(n) for n in groups["resolver"]),
        toggles=tuple(toggles),
    )
    for key, items in (("service", overlay.services), ("control", overlay.controls), ("resolver", overlay.resolvers)):
        duplicates = sorted(i for i, n in Counter(item.id for item in items).items() if n > 1)
        if duplicates:
            raise root.error(key, f"the id {duplicates[0]!r} is used by more than one [[{key}]]")
    return overlay


EMPTY = Catalog((), (), ())


@cache
def shipped_catalog() -> Catalog:
    """The catalog that ships inside the package (parsed once: every config load builds on it)."""
    # Beside this module in a checkout, a wheel and a frozen build alike (as the icons are):
    # importlib.resources would be loaded into the tray app's memory only to say the same.
    source = Path(__file__).resolve().parent / "data" / "catalog.toml"
    doc = TomlDocument(f"<shipped>/{source.name}", source.read_text(encoding="utf-8"))
    return EMPTY.overlaid(read_overlay(doc.root()))
