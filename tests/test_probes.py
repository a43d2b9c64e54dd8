"""Each probe behaviour against a real local server: layer, error class and latency."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests import servers
from tests.helpers import control, cycle, probe, probe_control, resolver, service
from tests.servers import LocalServer
from traywatch.catalog import BodyMatch, Catalog
from traywatch.model import DnsStatus, Layer, Outcome
from traywatch.probes import ProbeSettings, dns, run_cycle, tls
from traywatch.probes.classify import classify_exception
from traywatch.probes.endpoint import uses_proxy
from traywatch.probes.tls import ResumingContext


def test_healthy_https(https_server: LocalServer) -> None:
    url = https_server.route("/healthy", servers.ok(b"hello"))
    result = probe(url)
    assert result.outcome is Outcome.OK
    assert result.layer is Layer.HTTP
    assert result.status_code == 200
    layers = dict(result.layer_ms)
    assert Layer.TCP in layers and Layer.TLS in layers and Layer.HTTP in layers
    assert 0 < result.latency_ms < 2000
    assert result.addresses == ("127.0.0.1",)


def test_healthy_tls_edge_stops_after_handshake(https_server: LocalServer) -> None:
    result = probe(f"tls://127.0.0.1:{https_server.port}")
    assert result.outcome is Outcome.OK
    assert result.layer is Layer.TLS
    assert https_server.hits.count("/") == 0  # no HTTP request was sent


def test_tcp_edge_connects_only(http_server: LocalServer) -> None:
    result = probe(f"tcp://127.0.0.1:{http_server.port}")
    assert (result.outcome, result.layer) == (Outcome.OK, Layer.TCP)


@pytest.mark.parametrize("scheme", ["http", "tls", "tcp"])
def test_refused(scheme: str) -> None:
    port = servers.refused_port()
    result = probe(f"{scheme}://127.0.0.1:{port}/")
    assert result.outcome is Outcome.REFUSED
    assert result.layer is Layer.TCP


def test_accepts_then_hangs_times_out_at_http(http_server: LocalServer) -> None:
    url = http_server.route("/hang", servers.hang)
    started = time.perf_counter()
    result = probe(url, timeout=0.5)
    elapsed = time.perf_counter() - started
    assert result.outcome is Outcome.TIMEOUT
    assert result.layer is Layer.HTTP
    assert elapsed < 1.5


def test_tls_handshake_hang_times_out_at_tls(tls_hang_server: LocalServer) -> None:
    result = probe(f"tls://127.0.0.1:{tls_hang_server.port}", timeout=0.5)
    assert (result.outcome, result.layer) == (Outcome.TIMEOUT, Layer.TLS)


def test_reset_mid_response(http_server: LocalServer) -> None:
    url = http_server.route("/reset", servers.reset_mid_response)
    result = probe(url, read_body=True)
    assert result.outcome is Outcome.RESET
    assert result.layer is Layer.HTTP


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_status(http_server: LocalServer, status: int) -> None:
    url = http_server.route(f"/status{status}", servers.ok(b"oops", status=status))
    result = probe(url)
    assert result.outcome is Outcome.HTTP_STATUS
    assert result.status_code == status
    assert result.layer is Layer.HTTP
    assert f"answers HTTP {status}" in result.detail


def test_web_front_answering_403_is_up(http_server: LocalServer) -> None:
    url = http_server.route("/forbidden", servers.ok(b"no bots", status=403))
    assert probe(url).outcome is Outcome.OK


def test_slow_answer_is_measured(http_server: LocalServer) -> None:
    url = http_server.route("/slow", servers.slow(0.4))
    result = probe(url)
    assert result.outcome is Outcome.OK
    assert result.latency_ms >= 400


def test_expired_certificate(expired_server: LocalServer) -> None:
    url = expired_server.route("/", servers.ok())
    result = probe(url)
    assert (result.outcome, result.layer) == (Outcome.CERT_EXPIRED, Layer.TLS)


def test_a_certificate_not_yet_valid(ca: trustme.CA) -> None:
    import datetime as dt

    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    server = LocalServer(
        servers.server_context(ca, "127.0.0.1", not_before=soon, not_after=soon + dt.timedelta(days=90))
    )
    try:
        result = probe(f"tls://127.0.0.1:{server.port}")
        assert (result.outcome, result.layer) == (Outcome.CERT_NOT_YET_VALID, Layer.TLS)
        assert "not yet valid" in result.detail
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (9, Outcome.CERT_NOT_YET_VALID),
        (10, Outcome.CERT_EXPIRED),
        (18, Outcome.CERT_UNKNOWN_ISSUER),  # self-signed
        (19, Outcome.CERT_UNKNOWN_ISSUER),  # self-signed in the chain
        (20, Outcome.CERT_UNKNOWN_ISSUER),  # no local issuer
        (21, Outcome.CERT_UNKNOWN_ISSUER),  # cannot verify the first certificate
        (62, Outcome.CERT_WRONG_HOST),  # host name mismatch
        (64, Outcome.CERT_WRONG_HOST),  # IP address mismatch
        (7, Outcome.CERT_INVALID),  # any other: a bad signature
    ],
)
def test_each_openssl_verify_code_is_named(code: int, outcome: Outcome) -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code, error.verify_message = code, "as OpenSSL says"
    assert classify_exception(error) == (outcome, "certificate rejected: as OpenSSL says")


def test_certificate_for_another_host(wrong_host_server: LocalServer) -> None:
    result = probe(f"tls://127.0.0.1:{wrong_host_server.port}")
    assert (result.outcome, result.layer) == (Outcome.CERT_WRONG_HOST, Layer.TLS)


def test_certificate_from_unknown_issuer(unknown_issuer_server: LocalServer) -> None:
    url = unknown_issuer_server.route("/", servers.ok())
    result = probe(url)
    assert (result.outcome, result.layer) == (Outcome.CERT_UNKNOWN_ISSUER, Layer.TLS)


def test_ssl_cert_file_is_honoured(
    https_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    url = https_server.route("/trust", servers.ok())
    assert probe(url).outcome is Outcome.OK
    # Trust a different CA only: the same server is now an unknown issuer.
    import trustme

    other = tmp_path / "other.pem"  # type: ignore[operator]
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    assert probe(url).outcome is Outcome.CERT_UNKNOWN_ISSUER


def test_invalid_names_fail_at_system_dns() -> None:
    result = probe("https://traywatch-test.invalid/")
    assert result.layer is Layer.DNS
    assert result.outcome in (Outcome.NXDOMAIN, Outcome.SERVFAIL)


def test_name_resolving_to_loopback_is_sinkholed(http_server: LocalServer) -> None:
    result = probe(f"http://localhost:{http_server.port}/")
    assert result.outcome is Outcome.SINKHOLED
    assert result.layer is Layer.DNS
    assert "127.0.0.1" in result.addresses


@pytest.mark.parametrize(
    ("address", "sinkhole"),
    [
        ("0.0.0.0", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("192.168.1.1", True),
        ("169.254.1.1", True),
        ("fe80::1%eth0", True),
        ("157.240.1.35", False),
        ("2a03:2880:f10c:83:face:b00c::25de", False),
    ],
)
def test_sinkholed_answers_are_unspecified_loopback_private_or_link_local(address: str, sinkhole: bool) -> None:
    assert dns.is_sinkhole(address) is sinkhole


def test_oversize_body_is_capped_and_fast(http_server: LocalServer) -> None:
    url = http_server.route("/endless", servers.endless)
    started = time.perf_counter()
    result = probe(url, timeout=5, read_body=True)
    assert time.perf_counter() - started < 2
    assert result.outcome is Outcome.OK
    assert result.body_truncated


def test_oversize_body_on_control_is_unexpected(http_server: LocalServer) -> None:
    url = http_server.route("/endless-control", servers.endless)
    result = probe_control(control("big", url, body="success"), timeout=5)
    assert result.outcome is Outcome.UNEXPECTED_BODY
    assert result.body_truncated


def test_redirect_loop_is_bounded(http_server: LocalServer) -> None:
    http_server.route("/loop-a", servers.redirect("/loop-b"))
    url = http_server.route("/loop-b", servers.redirect("/loop-a"))
    result = probe(url)
    assert result.outcome is Outcome.REDIRECT_LOOP
    assert result.attempts == 3
    assert http_server.hits.count("/loop-a") <= 3  # once an attempt


def test_endless_redirect_chain_is_bounded(http_server: LocalServer) -> None:
    counter = {"n": 0}

    def onwards(h: servers.Handler) -> None:
        counter["n"] += 1
        h.reply(302, b"", {"Location": f"/chain?n={counter['n']}"})

    url = http_server.route("/chain", onwards)
    result = probe(url)
    assert result.outcome is Outcome.REDIRECT_LOOP
    # Each of the three attempts: the first request and five redirects, then it stops.
    assert counter["n"] == 18


def test_redirect_to_allowed_domain_is_followed(http_server: LocalServer) -> None:
    http_server.route("/home", servers.ok(b"home"))
    url = http_server.route("/start", servers.redirect("/home"))
    result = probe(url)
    assert result.outcome is Outcome.OK
    assert http_server.hits[-1] == "/home"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_unexpected_host_is_not_followed(http_server: LocalServer, status: int) -> None:
    url = http_server.route(f"/away-{status}", servers.redirect("http://login.portal.example/", status))
    result = probe(url)
    assert result.outcome is Outcome.REDIRECT_OFFSITE
    assert result.redirect_to == "http://login.portal.example/"


def test_a_details_length_is_bounded(http_server: LocalServer) -> None:
    from traywatch.probes.endpoint import DETAIL_LIMIT

    host = ".".join(["a" * 60] * 4) + ".example"  # 251 characters, a name as long as DNS allows
    url = http_server.route("/away-long", servers.redirect(f"http://{host}/"))
    detail = probe(url).detail
    assert DETAIL_LIMIT == 200 and len(detail) == DETAIL_LIMIT and detail.endswith("…")
    short = host[:150]
    url = http_server.route("/away-short", servers.redirect(f"http://{short}/"))
    assert probe(url).detail == f"302 redirect to {short}"  # 166 characters: whole


@pytest.mark.parametrize("status", [300, 304, 305, 306])
def test_other_3xx_answers_are_not_redirects(http_server: LocalServer, status: int) -> None:
    url = http_server.route(f"/three-{status}", servers.redirect("http://login.portal.example/", status))
    result = probe(url)
    assert result.outcome is not Outcome.REDIRECT_OFFSITE and result.redirect_to is None


def test_control_expected_empty_204(http_server: LocalServer) -> None:
    url = http_server.route("/generate_204", servers.ok(b"", status=204))
    ctl = control("g", url, status=(204, 200), body="", match=BodyMatch.EXACT)
    assert probe_control(ctl).outcome is Outcome.OK


def test_control_answering_login_page_is_unexpected(http_server: LocalServer) -> None:
    url = http_server.route("/portal-204", servers.ok(b"<html>Please log in</html>", content_type="text/html"))
    ctl = control("g", url, status=(204, 200), body="", match=BodyMatch.EXACT)
    result = probe_control(ctl)
    assert result.outcome is Outcome.UNEXPECTED_BODY


def test_control_redirect_is_never_followed(http_server: LocalServer) -> None:
    http_server.route("/login", servers.ok(b"<html>login</html>"))
    url = http_server.route("/portal-redirect", servers.redirect("/login"))
    result = probe_control(control("c", url))
    assert result.outcome is Outcome.REDIRECT_OFFSITE
    assert "/login" not in http_server.hits[-1:]


def test_doh_answers(https_server: LocalServer) -> None:
    url = https_server.route(
        "/dns-query",
        servers.doh(
            {
                "ok.example": (0, ["157.240.1.35"]),
                "gone.example": (3, []),
                "broken.example": (2, []),
            }
        ),
    )
    obs = cycle(
        [service("a", "https://ok.example/", "https://gone.example/", "https://broken.example/")],
        [],
        [resolver("local", url)],
    )
    by_name = {a.name: a for a in obs.doh}
    assert by_name["ok.example"].status is DnsStatus.NOERROR
    assert by_name["ok.example"].addresses == ("157.240.1.35",)
    assert by_name["gone.example"].status is DnsStatus.NXDOMAIN
    assert by_name["broken.example"].status is DnsStatus.SERVFAIL


def test_doh_that_hangs_is_unavailable_within_timeout(https_server: LocalServer) -> None:
    url = https_server.route("/dns-hang", servers.hang)
    started = time.perf_counter()
    obs = cycle([service("a", "https://x.example/")], [], [resolver("r", url)], timeout=0.5)
    assert time.perf_counter() - started < 1.5
    assert obs.doh[0].status is DnsStatus.UNAVAILABLE


def test_doh_answering_nonsense_is_unavailable(https_server: LocalServer) -> None:
    url = https_server.route("/dns-garbage", servers.ok(b"\x00\xffnot json"))
    obs = cycle([service("a", "https://x.example/")], [], [resolver("r", url)])
    assert obs.doh[0].status is DnsStatus.UNAVAILABLE


def test_proxy_from_environment_is_used(http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def proxy(h: servers.Handler) -> None:
        seen.append(h.path)
        h.reply(200, b"via proxy")

    http_server.route("/through-proxy", proxy)
    monkeypatch.setenv("HTTP_PROXY", http_server.url())
    result = probe("http://unreachable.invalid/through-proxy")
    # The proxy resolves the name, so the .invalid host still answers through it.
    assert result.outcome is Outcome.OK
    assert seen == ["http://unreachable.invalid/through-proxy"]


_PROXY = "http://proxy.example:3128"


@pytest.mark.parametrize(
    ("url", "proxies", "proxied"),
    [
        ("http://a.example/", {"http": _PROXY}, True),
        ("https://a.example/", {"http": _PROXY}, False),
        ("https://a.example/", {"https": _PROXY}, True),
        ("wss://a.example/chat", {"https": _PROXY}, True),
        ("tls://a.example:443", {"https": _PROXY}, True),
        ("tls://a.example:443", {"http": _PROXY}, False),
        ("http://a.example/", {"all": _PROXY}, True),
        ("http://a.example/", {}, False),
    ],
)
def test_which_urls_the_environment_sends_through_a_proxy(
    url: str, proxies: dict[str, str], proxied: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert uses_proxy(url, "a.example", proxies) is proxied  # conftest clears the environment's proxies
    monkeypatch.setenv("NO_PROXY", "a.example")
    assert uses_proxy(url, "a.example", proxies) is False


def test_user_agent_names_traywatch(http_server: LocalServer) -> None:
    agents: list[str] = []

    def record(h: servers.Handler) -> None:
        agents.append(h.headers.get("User-Agent", ""))
        h.reply(200, b"ok")

    url = http_server.route("/ua", record)
    probe(url)
    from traywatch import __version__

    assert agents == [f"traywatch/{__version__} (connectivity check)"]


def test_direct_probes_ask_one_request_a_connection_and_say_so(
    http_server: LocalServer, https_server: LocalServer
) -> None:
    # Straight to a server, the lean transport: one request, "Connection: close", the Host and
    # SNI of the name; through a proxy, httpx's own transport (test_proxy_from_environment_is_used).
    seen: list[dict[str, str]] = []

    def record(h: servers.Handler) -> None:
        seen.append({k.lower(): v for k, v in h.headers.items()})
        h.reply(200, b"ok")

    for server in (http_server, https_server):  # conftest clears the environment's proxies
        url = server.route("/lean", record)
        assert probe(url).ok
    assert [h["connection"] for h in seen] == ["close", "close"]
    assert all(h["host"].startswith("127.0.0.1:") for h in seen)


def test_whole_cycle_is_bounded_by_timeout(http_server: LocalServer, https_server: LocalServer) -> None:
    hang_url = http_server.route("/cycle-hang", servers.hang)
    ok_url = http_server.route("/cycle-ok", servers.ok(b"success"))
    started = time.perf_counter()
    obs = cycle(
        [service(f"s{i}", hang_url, ok_url) for i in range(10)],
        [control("c", ok_url), control("h", hang_url)],
        [resolver("r", https_server.route("/dns-hang2", servers.hang))],
        timeout=0.6,
    )
    elapsed = time.perf_counter() - started
    assert elapsed < 0.6 * 1.5
    assert sum(p.outcome is Outcome.TIMEOUT for p in obs.services) == 10
    # Each hanging endpoint got a second attempt alongside half-way and a third at three quarters.
    assert {p.attempts for p in obs.services if p.outcome is Outcome.TIMEOUT} == {3}


def test_healthy_names_cost_no_doh_queries(https_server: LocalServer) -> None:
    web = https_server.route("/no-doh-web", servers.ok())
    doh_url = https_server.route("/no-doh-dns", servers.doh({}))
    # 127.0.0.1 needs no lookup and "localhost" resolves: nothing to compare.
    obs = cycle([service("a", web)], [], [resolver("r", doh_url)])
    assert obs.doh == ()
    assert "/no-doh-dns" not in https_server.hits


def test_failed_lookup_is_compared_once_per_resolver(https_server: LocalServer) -> None:
    doh_url = https_server.route("/once-dns", servers.doh({}))
    before = https_server.hits.count("/once-dns")
    obs = cycle(
        [service("a", "https://twice.invalid/", "tls://twice.invalid:443")],
        [],
        [resolver("r1", doh_url), resolver("r2", doh_url)],
    )
    assert sorted(a.resolver_id for a in obs.doh) == ["r1", "r2"]
    assert https_server.hits.count("/once-dns") - before == 2


def test_manual_proxy_with_credentials_from_settings(http_server: LocalServer) -> None:
    import asyncio

    from traywatch.catalog import Catalog
    from traywatch.model import ProbeSettings
    from traywatch.probes import run_cycle

    seen: list[tuple[str, str | None]] = []

    def proxy(h: servers.Handler) -> None:
        seen.append((h.path, h.headers.get("Proxy-Authorization")))
        h.reply(200, b"via manual proxy")

    http_server.route("/via-manual", proxy)
    settings = ProbeSettings(timeout=2, proxy="manual", proxy_url=http_server.url(), proxy_auth=("bob", "pw-7"))
    assert "pw-7" not in repr(settings)
    obs = asyncio.run(run_cycle(Catalog((service("a", "http://behind.invalid/via-manual"),), (), ()), settings))
    assert obs.services[0].outcome is Outcome.OK
    assert seen == [("http://behind.invalid/via-manual", "Basic Ym9iOnB3LTc=")]


def test_no_proxy_setting_ignores_the_environment(http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from traywatch.catalog import Catalog
    from traywatch.model import ProbeSettings
    from traywatch.probes import run_cycle

    monkeypatch.setenv("HTTP_PROXY", http_server.url())
    catalog = Catalog((service("a", "http://direct.invalid/x"),), (), ())
    obs = asyncio.run(run_cycle(catalog, ProbeSettings(timeout=2, proxy="none")))
    assert obs.services[0].layer is Layer.DNS  # tried directly: the name does not resolve


@pytest.mark.parametrize("mode", ["none", "system"])
def test_a_proxy_address_kept_from_manual_mode_is_not_used_in_another(http_server: LocalServer, mode: str) -> None:
    from traywatch.catalog import Catalog
    from traywatch.model import ProbeSettings
    from traywatch.probes import run_cycle

    http_server.route("/kept-proxy", servers.ok(b"via a proxy that is off"))
    settings = ProbeSettings(timeout=2, proxy=mode, proxy_url=http_server.url())
    obs = asyncio.run(run_cycle(Catalog((service("a", "http://direct.invalid/kept-proxy"),), (), ()), settings))
    assert obs.services[0].layer is Layer.DNS  # tried directly: the name does not resolve
    assert "/kept-proxy" not in "".join(http_server.hits)


def test_extra_ca_bundle_is_trusted_as_well(unknown_issuer_server: LocalServer, tmp_path: Path) -> None:
    import asyncio

    from traywatch.catalog import Catalog
    from traywatch.model import ProbeSettings
    from traywatch.probes import run_cycle

    url = unknown_issuer_server.route("/company", servers.ok())
    catalog = Catalog((service("a", url),), (), ())
    assert asyncio.run(run_cycle(catalog, ProbeSettings(timeout=2))).services[0].outcome is Outcome.CERT_UNKNOWN_ISSUER
    bundle = tmp_path / "company.pem"
    bundle.write_bytes(unknown_issuer_server.ca_pem)  # type: ignore[attr-defined]
    settings = ProbeSettings(timeout=2, extra_ca=bundle)
    assert asyncio.run(run_cycle(catalog, settings)).services[0].outcome is Outcome.OK


def _raw(payload: bytes) -> servers.Route:
    """Answer with exactly these bytes, whatever HTTP says."""

    def route(h: servers.Handler) -> None:
        h.wfile.write(payload)
        h.wfile.flush()
        h.close_connection = True

    return route


def test_malformed_status_line_is_classified(http_server: LocalServer) -> None:
    url = http_server.route("/garbage", _raw(b"HELLO THERE\r\n\r\n"))
    result = probe(url)
    assert (result.outcome, result.layer) == (Outcome.MALFORMED, Layer.HTTP)


def test_huge_headers_are_capped_and_classified(http_server: LocalServer) -> None:
    url = http_server.route("/huge-headers", _raw(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"))
    started = time.perf_counter()
    result = probe(url)
    assert time.perf_counter() - started < 2
    assert result.outcome is Outcome.MALFORMED


def test_a_failed_attempt_is_tried_once_more_before_it_counts(http_server: LocalServer) -> None:
    url = http_server.route("/retry-reset", servers.in_turn(servers.reset_mid_response, servers.ok(b"fine")))
    result = probe(url, read_body=True)
    assert (result.outcome, result.attempts) == (Outcome.OK, 2)
    assert http_server.hits.count("/retry-reset") == 2


@pytest.fixture
def own_tls_context() -> Iterator[None]:
    """The app's verifying context made afresh for this test and after it: no session to offer,
    and no host whose sessions are skipped, carried from one test to another."""
    tls._context.cache_clear()
    yield
    tls._context.cache_clear()


class _ResettingTlsServer:
    """A TLS server on 127.0.0.1 that resets its first ``resets`` connections when the client
    says hello, as a filter would (or a lossy network, now and then), and shakes hands after."""

    def __init__(self, ca: trustme.CA, resets: int, then: str = "handshake") -> None:
        self.context = servers.server_context(ca, "127.0.0.1")
        self.resets = resets
        self.then = then  # after the resets: "handshake", or "garbage" (not TLS at all)
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                if self.accepted <= self.resets:
                    conn.recv(4096)  # the ClientHello
                    servers.abort(conn)
                    continue
                if self.then == "garbage":
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                    continue
                with contextlib.suppress(OSError), self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)  # until the client hangs up

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize(
    ("resets", "outcome", "attempts"), [(1, Outcome.OK, 2), (2, Outcome.OK, 3), (3, Outcome.RESET, 3)]
)
@pytest.mark.usefixtures("own_tls_context")
def test_a_reset_in_the_handshake_is_asked_a_third_time(
    ca: trustme.CA, resets: int, outcome: Outcome, attempts: int
) -> None:
    """A reset during a handshake is the one sign of a filter that random loss can fake: met
    twice, it is asked once more before it counts (a filter resets every time)."""
    server = _ResettingTlsServer(ca, resets)
    try:
        result = probe(f"tls://127.0.0.1:{server.port}")
    finally:
        server.close()
    assert (result.outcome, result.attempts) == (outcome, attempts), result.detail
    assert server.accepted == attempts
    if outcome is Outcome.RESET:
        assert result.layer is Layer.TLS


@pytest.mark.parametrize("resets", [1, 2])
@pytest.mark.usefixtures("own_tls_context")
def test_a_reset_then_another_failure_is_not_taken_for_a_filter(ca: trustme.CA, resets: int) -> None:
    # A filter resets every time: a later attempt that fails some other way says it was not one,
    # so the probe fails as that attempt did, with no filter's sign (one reset in five at 20 % of
    # connections reset, with a second failing otherwise, made "X is blocked" notices).
    server = _ResettingTlsServer(ca, resets, then="garbage")
    try:
        result = probe(f"tls://127.0.0.1:{server.port}")
    finally:
        server.close()
    assert (result.outcome, result.layer, result.attempts) == (Outcome.TLS_ERROR, Layer.TLS, 3), result.detail
    assert not result.reset_in_handshake
    assert server.accepted == 3


def test_a_probe_that_keeps_failing_is_tried_three_times_and_no_more(http_server: LocalServer) -> None:
    url = http_server.route(
        "/retry-500",
        servers.ok(b"down", status=500),
    )
    result = probe(url, read_body=True)
    assert (result.outcome, result.layer, result.attempts) == (Outcome.HTTP_STATUS, Layer.HTTP, 3)
    assert http_server.hits.count("/retry-500") == 3


def test_any_two_failed_attempts_get_a_third_before_the_probe_fails(http_server: LocalServer) -> None:
    # At one connection in five reset, two attempts both reset is one endpoint in 25: failed once,
    # the same endpoint fails both re-checks one time in 625 (a false "Instagram is down" at 20 %
    # resets everywhere, 1 in 1,200 cycles). A third makes a run of three one in 15,600.
    url = http_server.route(
        "/reset-twice", servers.in_turn(servers.reset_mid_response, servers.reset_mid_response, servers.ok(b"fine"))
    )
    result = probe(url, read_body=True)
    assert (result.outcome, result.attempts) == (Outcome.OK, 3)
    assert http_server.hits.count("/reset-twice") == 3


def test_a_hanging_attempt_gets_a_second_one_alongside_within_the_deadline(http_server: LocalServer) -> None:
    url = http_server.route("/retry-hang", servers.in_turn(servers.hang, servers.ok(b"fine")))
    started = time.perf_counter()
    result = probe(url, timeout=2.0)
    elapsed = time.perf_counter() - started
    assert (result.outcome, result.attempts) == (Outcome.OK, 2)
    assert 1.0 <= elapsed < 1.4  # the second attempt starts half-way (1 s), not later nor after the deadline
    assert result.latency_ms < 500  # its own time: the service answered it at once


@pytest.mark.parametrize(
    "first_two",
    [
        # At one connection in five lost, two attempts both lost is one endpoint in 25: failed
        # once, the same endpoint fails both re-checks one time in 625, which a lossy hour can meet.
        pytest.param((servers.hang, servers.hang), id="two hangs"),
        # The second, started at once after a fast failure, is hedged as a first would be.
        pytest.param((servers.reset_mid_response, servers.hang), id="a failure then a hang"),
        # The first still hangs: the third joins as planned, not the moment the second is turned away.
        pytest.param((servers.hang, servers.reset_mid_response), id="a hang then a failure"),
    ],
)
def test_the_third_attempt_joins_at_three_quarters_of_the_deadline_while_one_hangs(
    http_server: LocalServer, first_two: tuple[servers.Route, servers.Route]
) -> None:
    path = "/third-after-" + "-".join(route.__name__ for route in first_two)
    url = http_server.route(path, servers.in_turn(*first_two, servers.ok(b"fine")))
    started = time.perf_counter()
    result = probe(url, timeout=2.0, read_body=True)
    elapsed = time.perf_counter() - started
    assert (result.outcome, result.attempts) == (Outcome.OK, 3)
    assert 1.5 <= elapsed < 1.7  # the third starts at 1.5 s (three quarters of 2 s) and is answered at once
    assert http_server.hits.count(path) == 3


def test_an_endpoint_that_always_hangs_fails_at_the_deadline_after_three_attempts(http_server: LocalServer) -> None:
    url = http_server.route("/always-hangs", servers.hang)
    started = time.perf_counter()
    result = probe(url, timeout=1.0)
    elapsed = time.perf_counter() - started
    assert (result.outcome, result.attempts) == (Outcome.TIMEOUT, 3)
    assert 1.0 <= elapsed < 1.3  # not a second later for the third attempt
    assert http_server.hits.count("/always-hangs") == 3


def test_a_cancelled_cycle_leaves_no_attempt_running(http_server: LocalServer) -> None:
    # The app cancels a cycle when it quits or a check is asked anew: the attempts begun for a
    # hanging endpoint must end with it, not hold a connection open until their deadline.
    url = http_server.route("/hangs-on-cancel", servers.hang)
    catalog = Catalog((service("svc", url),), (), ())

    async def cancel_mid_probe() -> set[asyncio.Task[object]]:
        checking = asyncio.ensure_future(run_cycle(catalog, ProbeSettings(timeout=2.0)))
        await asyncio.sleep(1.25)  # two attempts running: the second began at 1 s
        checking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checking
        await asyncio.sleep(0)
        return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}

    assert asyncio.run(cancel_mid_probe()) == set()
    assert http_server.hits.count("/hangs-on-cancel") == 2


def test_a_refused_edge_is_tried_twice_more(http_server: LocalServer) -> None:
    result = probe(f"tcp://127.0.0.1:{servers.refused_port()}")
    assert (result.outcome, result.attempts) == (Outcome.REFUSED, 3)


# A web front is asked HEAD: its page never crosses the wire.


def test_a_web_front_is_asked_head_and_its_page_never_arrives(http_server: LocalServer) -> None:
    page = b"<html>" + b"x" * 300_000 + b"</html>"  # a real home page's size
    url = http_server.route("/home-page", servers.ok(page, content_type="text/html"))
    http_server.methods.clear()
    before = http_server.sent_bytes
    result = probe(url)
    assert result.outcome is Outcome.OK and result.status_code == 200
    assert http_server.methods == ["HEAD"]
    assert http_server.sent_bytes == before  # not one byte of the page was sent


@pytest.mark.parametrize("status", [405, 501, 500])
def test_a_head_refused_or_failing_is_asked_again_with_get(http_server: LocalServer, status: int) -> None:
    def route(h: servers.Handler) -> None:
        h.reply(status if h.command == "HEAD" else 200, b"page")

    url = http_server.route(f"/head-{status}", route)
    http_server.methods.clear()
    result = probe(url)
    assert result.outcome is Outcome.OK  # GET's answer is the one believed
    assert http_server.methods == ["HEAD", "GET"]


@pytest.mark.parametrize("status", [404, 429, 499])
def test_a_head_answered_below_500_is_believed(http_server: LocalServer, status: int) -> None:
    # A web front that answers at all is up (docs/verdicts.md): no GET to ask again.
    url = http_server.route(f"/head-only-{status}", servers.ok(b"page", status=status))
    http_server.methods.clear()
    result = probe(url)
    assert (result.outcome, result.status_code) == (Outcome.OK, status)
    assert http_server.methods == ["HEAD"]


def test_controls_and_app_apis_still_read_their_bodies(http_server: LocalServer) -> None:
    url = http_server.route("/ctl-get", servers.ok(b"success"))
    http_server.methods.clear()
    probe_control(control("c", url))
    assert http_server.methods == ["GET"]


@pytest.mark.usefixtures("own_tls_context")
def test_the_next_cycle_resumes_the_tls_session_instead_of_a_full_handshake(ca: trustme.CA) -> None:
    # A server and a context of its own: no other test's session to resume.
    server = LocalServer(servers.server_context(ca, "resume.test.example", "127.0.0.1"))
    try:
        url = server.route("/resume", servers.ok(b"hello"))
        for _ in range(3):
            assert probe(url).ok
        assert server.resumed[0] is False  # the first handshake carries the certificate chain
        assert server.resumed[1:] == [True, True]  # the next ones resume: no chain on the wire
    finally:
        server.stop()


@pytest.mark.usefixtures("own_tls_context")
def test_two_servers_of_one_host_each_resume_their_own_session(ca: trustme.CA) -> None:
    # One host name on two ports (a web front on 443, a chat server on 5222, say), each server
    # with ticket keys of its own, probed in turn as a cycle does. Each is offered the session
    # it issued: neither sends its certificate chain again, nor is a session read again.
    first, second = server_for(ca), server_for(ca)
    try:
        for _ in range(3):
            assert probe(f"https://127.0.0.1:{first.port}/t").ok
            assert probe(f"https://127.0.0.1:{second.port}/t").ok
        assert first.resumed == [False, True, True]
        assert second.resumed == [False, True, True]
        context = tls.verifying_context()
        assert isinstance(context, ResumingContext)
        assert context.reads == 2  # once for each server
        assert context.offered("127.0.0.1", first.port) is not context.offered("127.0.0.1", second.port)
    finally:
        first.stop()
        second.stop()


def fresh_context(ca: trustme.CA) -> ResumingContext:
    context = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(context)
    return context


def get(context: ssl.SSLContext, server: LocalServer, path: str) -> None:
    """One HTTPS request to ``server`` through ``context``, its answer read (tickets come then)."""

    async def go() -> None:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.port, ssl=context, server_hostname="127.0.0.1"
        )
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        assert (await reader.read()).startswith(b"HTTP/1.")
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()

    asyncio.run(go())


def server_for(ca: trustme.CA, tickets: int = 2) -> LocalServer:
    context = servers.server_context(ca, "127.0.0.1")
    context.num_tickets = tickets
    server = LocalServer(context)
    server.route("/t", servers.ok(b"t"))
    return server


def test_a_host_that_gives_no_tickets_is_not_read_at_every_connection(ca: trustme.CA) -> None:
    from traywatch.probes.tls import MISSES_BEFORE_SKIP, SKIP_AFTER_NO_TICKET

    # docs/performance.md: two reads running without a ticket, then the next 15 not read.
    assert (MISSES_BEFORE_SKIP, SKIP_AFTER_NO_TICKET) == (2, 15)
    server = server_for(ca, tickets=0)  # a TLS 1.3 server that issues no session tickets
    try:
        context = fresh_context(ca)
        # Each connection is looked at when the next one starts: the first MISSES_BEFORE_SKIP
        # reads find no ticket, the next SKIP_AFTER_NO_TICKET connections read nothing, and the
        # one after them reads again.
        connections = 1 + MISSES_BEFORE_SKIP + SKIP_AFTER_NO_TICKET
        for _ in range(connections):
            get(context, server, "/t")
        assert context.offered("127.0.0.1") is None
        assert not any(server.resumed)
        assert context.reads == MISSES_BEFORE_SKIP
        get(context, server, "/t")
        assert context.reads == MISSES_BEFORE_SKIP + 1
        # The count of misses starts again after the skip: the next connection is read too,
        # and those two misses skip the next fifteen again.
        get(context, server, "/t")
        assert context.reads == MISSES_BEFORE_SKIP + 2
        for _ in range(SKIP_AFTER_NO_TICKET):
            get(context, server, "/t")
        assert context.reads == MISSES_BEFORE_SKIP + 2
        get(context, server, "/t")
        assert context.reads == MISSES_BEFORE_SKIP + 3
    finally:
        server.stop()


def _handshake(tls: ssl.SSLObject, sock: socket.socket) -> None:
    """Drive ``tls``'s client handshake over ``sock``, reading nothing past it."""
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(_pending(tls))
            _BIOS[id(tls)][0].write(sock.recv(65536))
    sock.sendall(_pending(tls))


_BIOS: dict[int, tuple[ssl.MemoryBIO, ssl.MemoryBIO]] = {}


def _pending(tls: ssl.SSLObject) -> bytes:
    return _BIOS[id(tls)][1].read()


def _wrapped(context: ssl.SSLContext) -> ssl.SSLObject:
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    _BIOS[id(tls)] = (incoming, outgoing)
    return tls


def _read_answer(tls: ssl.SSLObject, sock: socket.socket) -> None:
    """Ask for /t and read the answer: the server's tickets come before it."""
    tls.write(b"GET /t HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    sock.sendall(_pending(tls))
    while True:
        try:
            if tls.read(65536).startswith(b"HTTP/1."):
                return
        except ssl.SSLWantReadError:
            _BIOS[id(tls)][0].write(sock.recv(65536))


def test_a_connection_read_before_its_ticket_came_does_not_stop_resumption(ca: trustme.CA) -> None:
    # Two probes of one host at once: the second starts when the first has finished its handshake
    # but the server's ticket is still on its way. That read finds no ticket; the host is read
    # again at the next connection, which does carry one.
    server = server_for(ca)
    try:
        context = fresh_context(ca)
        with socket.create_connection(("127.0.0.1", server.port)) as a_sock:
            a = _wrapped(context)
            _handshake(a, a_sock)  # finished, but nothing read after it: no ticket yet
            with socket.create_connection(("127.0.0.1", server.port)) as b_sock:
                b = _wrapped(context)  # reads a: no ticket
                assert context.reads == 1 and context.offered("127.0.0.1") is None
                _handshake(b, b_sock)
                _read_answer(b, b_sock)
                _read_answer(a, a_sock)
        get(context, server, "/t")  # reads b, which has its ticket
        assert context.reads == 2
        assert context.offered("127.0.0.1") is not None
        get(context, server, "/t")
        assert server.resumed[-1] is True
    finally:
        server.stop()


def test_a_resumed_session_is_offered_again_and_a_refused_one_replaced(ca: trustme.CA) -> None:
    # Reading a TLS 1.3 session out of a connection leaks about 6 KB in CPython 3.11's ssl module
    # (docs/performance.md): it is read only when there is none yet or the server refused it.
    first, second = server_for(ca), server_for(ca)  # one name, ticket keys of their own
    try:
        context = fresh_context(ca)
        for _ in range(2):
            get(context, first, "/t")
        kept = context.offered("127.0.0.1")
        assert kept is not None
        get(context, first, "/t")
        get(context, first, "/t")
        assert first.resumed == [False, True, True, True]
        assert context.offered("127.0.0.1") is kept  # resumed: not read again
        for _ in range(3):
            get(context, second, "/t")
        assert second.resumed == [False, True, True]  # refused once, then its own session resumes
        assert context.offered("127.0.0.1") is not kept
        assert context.reads == 2  # once for each server
    finally:
        first.stop()
        second.stop()


def test_a_hashed_ca_folder_is_read_issuer_by_issuer_not_parsed_up_front(
    ca_file: Path, https_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A system bundle parsed up front is 144 certificates and 2.5 MB resident for the app's life;
    # from a folder OpenSSL can look up by name hash, only the issuers handshakes meet are read.
    from traywatch.probes.tls import verifying_context

    folder = tmp_path / "certs"
    folder.mkdir()
    subject_hash = subprocess.run(
        ["openssl", "x509", "-subject_hash", "-noout", "-in", str(ca_file)], capture_output=True, text=True, check=True
    ).stdout.strip()
    (folder / f"{subject_hash}.0").write_bytes(ca_file.read_bytes())
    (folder / "unrelated.pem").write_text("not a certificate\n")
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(folder))
    context = verifying_context()
    assert context.cert_store_stats()["x509_ca"] == 0
    assert probe(https_server.route("/hashed", servers.ok(b"hi"))).ok
    assert context.cert_store_stats()["x509_ca"] == 1  # the one issuer met, read when it was

    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # a bundle named: loaded as OpenSSL does
    assert verifying_context().cert_store_stats()["x509_ca"] == 1


def test_a_system_without_trust_of_its_own_falls_back_to_certifi(
    ca_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi

    from traywatch.probes.tls import verifying_context

    missing = tmp_path / "missing"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing / "bundle.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(missing))
    bundled = ssl.create_default_context(cafile=certifi.where()).cert_store_stats()["x509_ca"]
    assert bundled > 0
    assert verifying_context().cert_store_stats()["x509_ca"] == bundled
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # a system bundle that exists: no certifi
    assert verifying_context().cert_store_stats()["x509_ca"] == 1


def test_a_doh_answer_gives_only_its_address_records() -> None:
    from traywatch.probes.doh import parse_answer

    payload = json.dumps(
        {
            "Status": 0,
            "Answer": [
                {"type": 5, "data": "star-mini.c10r.facebook.com."},  # a CNAME: no address
                {"type": 1, "data": "157.240.1.35"},
                {"type": 28, "data": "2a03:2880:f10c:83:face:b00c:0:25de"},
                {"type": 1, "data": 157},  # not text: not an address
            ],
        }
    ).encode()
    answer = parse_answer("cloudflare", "www.facebook.com", payload, 12.0)
    assert answer.addresses == ("157.240.1.35", "2a03:2880:f10c:83:face:b00c:0:25de")


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("EAI_NONAME", Outcome.NXDOMAIN),
        ("EAI_NODATA", Outcome.NO_ADDRESS),
        ("EAI_AGAIN", Outcome.SERVFAIL),
        ("EAI_FAIL", Outcome.SERVFAIL),
        ("EAI_MEMORY", Outcome.ERROR),
    ],
)
def test_each_lookup_failure_is_named(code: str, outcome: Outcome) -> None:
    if not hasattr(socket, code):
        pytest.skip(f"this system's resolver has no {code}")
    assert classify_exception(socket.gaierror(getattr(socket, code), "as the resolver says"))[0] is outcome


def test_a_lookup_failure_without_a_name_of_its_own_gives_the_resolver_s_words() -> None:
    failed = socket.gaierror(socket.EAI_MEMORY, "Memory allocation failure")
    assert classify_exception(failed) == (Outcome.ERROR, "lookup failed: Memory allocation failure")


def _openssl_error(answer: bytes) -> ssl.SSLError:
    """What OpenSSL itself raises when a TLS client receives ``answer``."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="a.example")
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    incoming.write(answer)
    try:
        tls.do_handshake()
    except ssl.SSLError as exc:
        return exc
    raise AssertionError("OpenSSL took the answer")


def _raised_in(handler: BaseException, exc: BaseException) -> BaseException:
    """``exc`` raised while ``handler`` was being handled: a chain by __context__ alone."""
    try:
        try:
            raise handler
        except BaseException:
            raise exc  # noqa: B904 - the point: no "from"
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    ("exc", "named"),
    [
        (OSError(errno.ENETUNREACH, "Network is unreachable"), (Outcome.UNREACHABLE, "network unreachable")),
        (OSError(errno.EHOSTUNREACH, "No route to host"), (Outcome.UNREACHABLE, "network unreachable")),
        (OSError(errno.ECONNRESET, "Connection reset by peer"), (Outcome.RESET, "connection reset")),
        (OSError(errno.EPIPE, "Broken pipe"), (Outcome.RESET, "connection reset")),
        (OSError(errno.ECONNREFUSED, "Connection refused"), (Outcome.REFUSED, "connection refused")),
        (ssl.SSLEOFError(8, "EOF occurred in violation of protocol"), (Outcome.RESET, "connection closed during")),
        (_openssl_error(b"HTTP/1.1 200 OK\r\n\r\n"), (Outcome.TLS_ERROR, "TLS handshake failed: WRONG_VERSION_NUMBER")),
        (ssl.SSLError("made in Python"), (Outcome.TLS_ERROR, "TLS handshake failed: ")),  # no reason: no crash
        (TimeoutError(), (Outcome.TIMEOUT, "timed out")),
        (
            _raised_in(ConnectionRefusedError(errno.ECONNREFUSED, "refused"), ValueError("wrapped")),
            (Outcome.REFUSED, "connection refused"),
        ),
        (ValueError("https://user:secret@host/"), (Outcome.ERROR, "unexpected error (ValueError)")),
    ],
)
def test_each_failure_is_named_through_its_chain(exc: BaseException, named: tuple[Outcome, str]) -> None:
    outcome, detail = classify_exception(exc)
    assert (outcome, detail[: len(named[1])]) == named
    assert "secret" not in detail


@pytest.mark.parametrize(
    ("text", "named"),
    [  # h11's own words for what it refused
        ("Server disconnected without sending a response.", (Outcome.RESET, "server closed the connection early")),
        ("peer closed connection without sending complete message body", (Outcome.RESET, "server closed")),
        (
            "illegal status line: bytearray(b'HTTP/1.1 2OO OK')",
            (Outcome.MALFORMED, "malformed HTTP answer (bad status line)"),
        ),
        ("illegal header line: bytearray(b'X: \\x00')", (Outcome.MALFORMED, "malformed HTTP answer (bad header)")),
        ("illegal chunk header: bytearray(b'zz')", (Outcome.MALFORMED, "malformed HTTP answer (bad chunked body)")),
        (
            "malformed chunk footer: b'xx' (expected b'\\r\\n')",
            (Outcome.MALFORMED, "malformed HTTP answer (bad chunked body)"),
        ),
        ("conflicting Content-Length headers", (Outcome.MALFORMED, "malformed HTTP answer (bad length)")),
        ("bad Content-Length", (Outcome.MALFORMED, "malformed HTTP answer (bad length)")),
        ("Receive buffer too long", (Outcome.MALFORMED, "malformed HTTP answer (headers too long)")),
        ("<html>evil</html>", (Outcome.MALFORMED, "malformed HTTP answer (not HTTP)")),
    ],
)
def test_a_broken_answer_is_named_from_a_fixed_vocabulary(text: str, named: tuple[Outcome, str]) -> None:
    from traywatch.probes.client import RemoteProtocolError

    outcome, detail = classify_exception(RemoteProtocolError(text))
    assert (outcome, detail[: len(named[1])]) == named
    assert "evil" not in detail and "2OO" not in detail


def test_the_clients_own_failures_are_named() -> None:
    from traywatch.probes import client

    assert classify_exception(client.ReadError("x")) == (Outcome.RESET, "connection broke while talking")
    assert classify_exception(client.WriteError("x")) == (Outcome.RESET, "connection broke while talking")
    assert classify_exception(client.UnsupportedProtocol("unsupported scheme 'ftp'")) == (
        Outcome.ERROR,
        "unsupported scheme 'ftp'",
    )
    assert classify_exception(client.DecodingError("x")) == (
        Outcome.MALFORMED,
        "malformed HTTP answer (undecodable body)",
    )
