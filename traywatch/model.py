"""What one probe cycle observed: plain, frozen data shared by probes, verdict and reports."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from traywatch.statuspage import StatusReport
    from traywatch.vantage import Vantage


class Layer(enum.Enum):
    """The protocol layer a probe reached or failed at, bottom first."""

    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    HTTP = "http"
    CHAT = "chat"  # a chat connection's WebSocket upgrade, answered by the service behind the edge


class Role(enum.Enum):
    """What an endpoint is for: a service's web front, its messaging edge, or a control."""

    WEB = "web"
    EDGE = "edge"
    CONTROL = "control"


class Outcome(enum.Enum):
    """The error class of one probe; OK when every layer answered as expected."""

    OK = "ok"
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    NO_ADDRESS = "no_address"
    SINKHOLED = "sinkholed"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    RESET = "reset"
    CERT_EXPIRED = "cert_expired"
    CERT_NOT_YET_VALID = "cert_not_yet_valid"
    CERT_WRONG_HOST = "cert_wrong_host"
    CERT_UNKNOWN_ISSUER = "cert_unknown_issuer"
    CERT_INVALID = "cert_invalid"
    TLS_ERROR = "tls_error"
    HTTP_STATUS = "http_status"
    UNEXPECTED_BODY = "unexpected_body"
    REDIRECT_OFFSITE = "redirect_offsite"
    REDIRECT_LOOP = "redirect_loop"
    MALFORMED = "malformed"
    THROTTLED = "throttled"  # 429: the service limits this address; says nothing of its health
    SKIPPED = "skipped"
    ERROR = "error"

    @property
    def is_certificate(self) -> bool:
        return self in _CERTIFICATE_OUTCOMES

    @property
    def is_dns(self) -> bool:
        return self in _DNS_OUTCOMES


_CERTIFICATE_OUTCOMES = frozenset(
    {
        Outcome.CERT_EXPIRED,
        Outcome.CERT_NOT_YET_VALID,
        Outcome.CERT_WRONG_HOST,
        Outcome.CERT_UNKNOWN_ISSUER,
        Outcome.CERT_INVALID,
    }
)
_DNS_OUTCOMES = frozenset({Outcome.NXDOMAIN, Outcome.SERVFAIL, Outcome.NO_ADDRESS, Outcome.SINKHOLED})


@dataclass(frozen=True)
class ProbeResult:
    """One endpoint probed through its layers.

    ``layer`` is the last layer attempted: where it failed, or the top layer on success.
    """

    target_id: str
    endpoint_id: str
    role: Role
    url: str
    host: str
    outcome: Outcome
    layer: Layer
    latency_ms: float
    detail: str = ""
    status_code: int | None = None
    addresses: tuple[str, ...] = ()
    layer_ms: tuple[tuple[Layer, float], ...] = ()
    redirect_to: str | None = None
    body_truncated: bool = False
    attempts: int = 1  # up to 3: after a failure, or alongside one that hangs (probes/endpoint.py)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def reset_in_handshake(self) -> bool:
        """Reset while connecting or shaking hands: what a filter does, and what loss can fake."""
        return self.outcome is Outcome.RESET and self.layer in (Layer.TCP, Layer.TLS)

    @property
    def counted(self) -> bool:
        """False for probes that were not attempted or were throttled: neither may sway a verdict."""
        return self.outcome not in (Outcome.SKIPPED, Outcome.THROTTLED)


class DnsStatus(enum.Enum):
    """A DNS-over-HTTPS answer, or why there was none."""

    NOERROR = "noerror"
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    OTHER_RCODE = "other_rcode"
    UNAVAILABLE = "unavailable"  # the resolver itself could not be reached or answered nonsense

    @property
    def answered(self) -> bool:
        """The resolver was reached and gave a DNS answer (whatever the rcode)."""
        return self is not DnsStatus.UNAVAILABLE


@dataclass(frozen=True)
class DohAnswer:
    resolver_id: str
    name: str
    status: DnsStatus
    latency_ms: float
    addresses: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Observations:
    """Everything one cycle saw; the sole input to the verdict."""

    services: tuple[ProbeResult, ...]
    controls: tuple[ProbeResult, ...]
    doh: tuple[DohAnswer, ...]
    slow_ms: float
    started_at: float = 0.0
    duration_ms: float = 0.0
    service_names: tuple[tuple[str, str], ...] = field(default=())
    # Meta's status page, as last read (None when it is not read), and which of its products
    # speak for each service.
    status_page: StatusReport | None = None
    status_products: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    # What other networks (Globalping, when switched on) saw of hosts failing here, while fresh.
    vantage: tuple[Vantage, ...] = field(default=())

    def service_name(self, service_id: str) -> str:
        return dict(self.service_names).get(service_id, service_id)

    def products_of(self, service_id: str) -> tuple[str, ...]:
        return dict(self.status_products).get(service_id, ())


@dataclass(frozen=True)
class ProbeSettings:
    """How one cycle probes. Probes run concurrently, so the timeout bounds the whole cycle."""

    timeout: float = 5.0
    slow_ms: float = 2500.0
    max_redirects: int = 5
    body_cap: int = 4096
    extra_ca: Path | None = None
    proxy: str = "system"  # "system" (the environment's), "none" or "manual"
    proxy_url: str = ""
    # (user, password) for a manual proxy; never printed.
    proxy_auth: tuple[str, str] | None = field(default=None, repr=False)
