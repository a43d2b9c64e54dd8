"""Whole cycles against real local servers, from probes to verdict."""

from __future__ import annotations

from tests import servers
from tests.helpers import control, cycle, resolver, service
from tests.servers import LocalServer
from traywatch.catalog import BodyMatch
from traywatch.verdict import ServiceState, VerdictKind, decide


def _controls(server: LocalServer, prefix: str, route: servers.Route | None = None) -> list:
    """Three controls; healthy unless a route replaces their answer."""
    result = []
    for name in ("a", "b", "c"):
        url = server.route(f"/{prefix}-control-{name}", route or servers.ok(b"success"))
        result.append(control(name, url))
    return result


def test_healthy_is_all_clear(http_server: LocalServer, https_server: LocalServer) -> None:
    web = https_server.route("/s1-web", servers.ok(b"<html>messenger</html>"))
    obs = cycle([service("messenger", web, f"tls://127.0.0.1:{https_server.port}")], _controls(http_server, "s1"))
    verdict = decide(obs)
    assert verdict.kind is VerdictKind.ALL_CLEAR
    assert verdict.controls_ok == 3


def test_messenger_503_is_not_your_wifi(http_server: LocalServer, https_server: LocalServer) -> None:
    web = https_server.route("/s2-web", servers.ok(b"down", status=503))
    insta = https_server.route("/s2-insta", servers.ok(b"fine"))
    obs = cycle(
        [service("messenger", web, name="Messenger"), service("instagram", insta, name="Instagram")],
        _controls(http_server, "s2"),
    )
    verdict = decide(obs)
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert verdict.headline == "It's not your wifi — Messenger is down"
    assert "answers HTTP 503" in verdict.explanation and "3/3 checks" in verdict.explanation
    assert {s.id: s.state for s in verdict.services} == {"messenger": ServiceState.DOWN, "instagram": ServiceState.UP}


def test_slow_service_is_degraded(http_server: LocalServer) -> None:
    url = http_server.route("/s3-slow", servers.slow(0.5))
    obs = cycle([service("messenger", url, name="Messenger")], _controls(http_server, "s3"), slow_ms=300)
    verdict = decide(obs)
    assert verdict.kind is VerdictKind.DEGRADED
    assert verdict.headline == "Messenger is slow"


def test_captive_portal_login_page(http_server: LocalServer, https_server: LocalServer) -> None:
    login = servers.ok(b"<html><form>Sign in to Hotel WiFi</form></html>", content_type="text/html")
    web = https_server.route("/s4-web", servers.ok())
    obs = cycle([service("messenger", web)], _controls(http_server, "s4", login))
    assert decide(obs).kind is VerdictKind.CAPTIVE_PORTAL


def test_captive_portal_redirect(http_server: LocalServer, https_server: LocalServer) -> None:
    web = https_server.route("/s5-web", servers.ok())
    gstatic = control(
        "google",
        http_server.route("/s5-204", servers.redirect("http://portal.example/login")),
        status=(204, 200),
        body="",
        match=BodyMatch.EXACT,
    )
    ip_literal = control("ip", f"https://127.0.0.1:{servers.refused_port()}/trace")
    obs = cycle([service("messenger", web)], [gstatic, ip_literal])
    verdict = decide(obs)
    assert verdict.kind is VerdictKind.CAPTIVE_PORTAL
    assert "portal.example" in verdict.explanation


def test_controls_refused_is_your_connection(https_server: LocalServer) -> None:
    web = https_server.route("/s6-web", servers.ok())
    dead = [control(n, f"http://127.0.0.1:{servers.refused_port()}/") for n in "abc"]
    verdict = decide(cycle([service("messenger", web)], dead))
    assert verdict.kind is VerdictKind.OFFLINE
    assert verdict.headline == "It's your connection"
    assert all(s.state is ServiceState.UNKNOWN for s in verdict.services)


def test_meta_dns_failing_like_2021(http_server: LocalServer, https_server: LocalServer) -> None:
    doh_url = https_server.route("/s7-dns", servers.doh({"www.meta-down.invalid": (2, [])}))
    obs = cycle(
        [service("facebook", "https://www.meta-down.invalid/", name="Facebook")],
        _controls(http_server, "s7"),
        [resolver("local", doh_url)],
    )
    verdict = decide(obs)
    assert verdict.kind is VerdictKind.META_DNS
    assert "Facebook" in verdict.explanation


def test_nxdomain_everywhere_is_service_down(http_server: LocalServer, https_server: LocalServer) -> None:
    doh_url = https_server.route("/s8-dns", servers.doh({}))  # every name: NXDOMAIN
    obs = cycle(
        [service("facebook", "https://gone.invalid/")], _controls(http_server, "s8"), [resolver("local", doh_url)]
    )
    assert decide(obs).kind is VerdictKind.SERVICE_DOWN


def test_dns_filter_is_blocked(http_server: LocalServer, https_server: LocalServer) -> None:
    doh_url = https_server.route("/s9-dns", servers.doh({"filtered.invalid": (0, ["157.240.1.35"])}))
    obs = cycle(
        [service("facebook", "https://filtered.invalid/")], _controls(http_server, "s9"), [resolver("local", doh_url)]
    )
    assert decide(obs).kind is VerdictKind.BLOCKED


def test_sinkhole_is_blocked(http_server: LocalServer) -> None:
    obs = cycle(
        [service("facebook", f"http://localhost:{http_server.port}/", name="Facebook")], _controls(http_server, "s10")
    )
    verdict = decide(obs)
    assert verdict.kind is VerdictKind.BLOCKED
    assert verdict.headline == "Facebook is blocked on this network"


def test_interception_certificate_is_blocked(http_server: LocalServer, unknown_issuer_server: LocalServer) -> None:
    obs = cycle([service("facebook", f"tls://127.0.0.1:{unknown_issuer_server.port}")], _controls(http_server, "s11"))
    assert decide(obs).kind is VerdictKind.BLOCKED


def test_your_dns_broken_when_names_fail_but_ip_control_works(http_server: LocalServer) -> None:
    named = [control(n, f"http://{n}.traywatch-test.invalid/") for n in ("a", "b")]
    ip_literal = control("ip", http_server.route("/s12-ip", servers.ok(b"success")))
    obs = cycle([service("facebook", "https://www.facebook.invalid/")], [*named, ip_literal])
    assert decide(obs).kind is VerdictKind.LOCAL_DNS


def test_a_clock_years_off_is_your_computers_clock(http_server: LocalServer, expired_server: LocalServer) -> None:
    # Certificates that ended a month ago read, to a machine whose clock is that far ahead, like
    # every certificate on the web: each verified by OpenSSL against this machine's clock.
    messenger = expired_server.route("/clock-messenger", servers.ok())
    instagram = f"wss://127.0.0.1:{expired_server.port}/clock-instagram"
    obs = cycle(
        [service("messenger", messenger, name="Messenger"), service("instagram", instagram, name="Instagram")],
        _controls(http_server, "clock"),
    )
    verdict = decide(obs)
    assert verdict.kind is VerdictKind.CLOCK, verdict.explanation
    assert verdict.headline == "Your computer's clock is wrong"
