"""The catalog's own rules, at their edges: which statuses count as answering, where a redirect
may lead, which statuses a file may list, and ids used twice (docs/verdicts.md, docs/catalog.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from traywatch.catalog import Endpoint, Service
from traywatch.config import load_config
from traywatch.errors import ConfigError
from traywatch.model import Role


@pytest.mark.parametrize(("status", "ok"), [(199, False), (200, True), (204, True), (299, True), (300, False)])
def test_a_control_without_statuses_of_its_own_answers_right_with_a_2xx(status: int, ok: bool) -> None:
    assert Endpoint("c", Role.CONTROL, "http://c.example/").status_ok(status) is ok


@pytest.mark.parametrize(
    ("status", "ok"),
    [(200, True), (403, True), (429, True), (450, True), (451, False), (452, True), (499, True), (500, False)],
)
def test_a_web_front_is_up_below_500_unless_legally_blocked(status: int, ok: bool) -> None:
    assert Endpoint("w", Role.WEB, "https://w.example/").status_ok(status) is ok


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("facebook.com", True),
        ("www.facebook.com", True),
        ("WWW.Facebook.com.", True),  # as a Location may write it
        ("edge.fbcdn.example", True),  # an endpoint's own host, outside the domains
        ("evilfacebook.com", False),  # ends with the domain, but is not under it
        ("facebook.com.evil.example", False),
        ("example.org", False),
    ],
)
def test_a_redirect_may_lead_within_the_services_domains_and_hosts(host: str, allowed: bool) -> None:
    web = Endpoint("web", Role.WEB, "https://www.facebook.com/")
    edge = Endpoint("edge", Role.EDGE, "https://edge.fbcdn.example/")
    service = Service("facebook", "Facebook", ("facebook.com",), (web, edge))
    assert service.allows_redirect_to(host) is allowed


def _service_with_status(tmp_path: Path, status: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[[service]]\nid = 'a'\n[[service.endpoint]]\nid = 'w'\nurl = 'https://a.example/'\n"
        f"expect_status = [{status}]\n"
    )
    return path


@pytest.mark.parametrize("status", [100, 599])
def test_any_http_status_may_be_expected(tmp_path: Path, status: int) -> None:
    config = load_config(_service_with_status(tmp_path, status))
    (service,) = (s for s in config.catalog.services if s.id == "a")
    assert service.endpoints[0].expect_status == (status,)


@pytest.mark.parametrize("status", [99, 600])
def test_a_status_http_has_not_is_refused(tmp_path: Path, status: int) -> None:
    with pytest.raises(ConfigError, match=rf"expected HTTP status codes \(100-599\), got {status}"):
        load_config(_service_with_status(tmp_path, status))


def test_an_id_used_twice_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    entries = [("b", "http://b1/"), ("a", "http://a1/"), ("b", "http://b2/"), ("a", "http://a2/"), ("c", "http://c/")]
    path.write_text("".join(f"[[control]]\nid = '{cid}'\nurl = '{url}'\n" for cid, url in entries))
    with pytest.raises(ConfigError, match=r"the id 'a' is used by more than one \[\[control\]\]"):
        load_config(path)
    path.write_text("".join(f"[[control]]\nid = '{cid}'\nurl = '{url}'\n" for cid, url in entries[:3]))
    with pytest.raises(ConfigError, match=r"the id 'b' is used by more than one \[\[control\]\]"):
        load_config(path)
    path.write_text("".join(f"[[control]]\nid = '{cid}'\nurl = '{url}'\n" for cid, url in entries[:2]))
    assert {"a", "b"} <= {c.id for c in load_config(path).catalog.controls}
