"""Config and catalog files: merging over the shipped catalog, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from traywatch.catalog import shipped_catalog
from traywatch.config import load_config
from traywatch.errors import ConfigError
from traywatch.model import Layer, Role
from traywatch.tomlreader import TomlDocument

CONTROL = "[[control]]\nid = 'c'\nurl = 'http://c/'\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_catalog_has_services_controls_and_resolvers() -> None:
    catalog = shipped_catalog()
    ids = {s.id for s in catalog.services}
    assert ids == {"messenger", "instagram", "whatsapp", "facebook", "threads"}
    for svc in catalog.services:
        roles = {e.role for e in svc.endpoints}
        assert roles == {Role.WEB, Role.EDGE}, svc.id  # web front and messaging edge
    assert len(catalog.controls) >= 5
    assert any(c.endpoint.host_is_ip for c in catalog.controls)
    assert {r.url for r in catalog.resolvers} == {"https://1.1.1.1/dns-query", "https://8.8.8.8/resolve"}
    assert all(r.url.split("/")[2][0].isdigit() for r in catalog.resolvers)  # by IP literal
    assert "workplace" not in ids


def test_every_shipped_service_has_a_web_front_and_a_chat_connection_probe() -> None:
    for service in shipped_catalog().services:
        web = [e for e in service.endpoints if e.role is Role.WEB and e.scheme == "https"]
        chat = [e for e in service.endpoints if e.role is Role.EDGE and (e.scheme == "wss" or e.expect_json)]
        assert web and chat, service.id
        # The edges current clients left in 2026 are no longer probed.
        assert not any(e.host.startswith("edge-chat.") for e in service.endpoints), service.id


def test_shipped_chat_connections_send_the_web_clients_origin() -> None:
    whatsapp = next(s for s in shipped_catalog().services if s.id == "whatsapp")
    chat = next(e for e in whatsapp.endpoints if e.scheme == "wss")
    assert (chat.url, chat.upgrade_origin) == ("wss://web.whatsapp.com/ws/chat", "https://web.whatsapp.com")
    mobile = next(e for e in whatsapp.endpoints if e.host == "g.whatsapp.net")
    assert mobile.scheme == "tcp"  # Noise over plain TCP: a ClientHello would be reset


def test_wss_endpoint_and_api_expectation_are_read(tmp_path: Path) -> None:
    text = (
        "[[service]]\nid='a'\nstatus_page=['messenger']\n"
        "[[service.endpoint]]\nid='ws'\nurl='wss://h/ws/chat?v=1'\norigin='https://www.h/'\nexpect_status=[403]\n"
        "[[service.endpoint]]\nid='api'\nurl='https://h/api'\nexpect_json = { status = 'fail', ok = false, code = 4 }\n"
    )
    config = load_config(write(tmp_path, text + CONTROL))
    service = next(s for s in config.catalog.services if s.id == "a")
    ws, api = service.endpoints
    assert (ws.top_layer, ws.port, ws.target, ws.upgrade_origin) == (Layer.CHAT, 443, "/ws/chat?v=1", "https://www.h")
    assert ws.status_ok(101) and ws.status_ok(403) and not ws.status_ok(200)
    assert api.expect_json == (("status", "fail"), ("ok", False), ("code", 4))
    assert api.json_ok('{"status": "fail", "ok": false, "code": 4, "more": 1}')
    assert not api.json_ok('{"status": "fail", "ok": "false", "code": 4}')
    assert not api.json_ok('{"status": "fail", "ok": false, "code": 4.5}')
    assert not api.json_ok('{"status": "fail", "ok": false}')
    assert service.status_page == ("messenger",)


def test_missing_default_config_means_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "nope.toml")
    assert config.check.timeout == 5.0
    assert len(config.catalog.services) == 5


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot be read \(No such file or directory\)"):
        load_config(tmp_path / "nope.toml", required=True)


def test_user_adds_custom_service_and_disables_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[network]
timeout = 3

[[service]]
id = "workplace"
name = "Workplace"
domains = ["workplace.com"]
  [[service.endpoint]]
  id = "web"
  url = "https://example.workplace.com/"

[[service]]
id = "threads"
enabled = false
""",
    )
    config = load_config(path)
    ids = [s.id for s in config.catalog.services]
    assert "workplace" in ids and "threads" not in ids and "messenger" in ids
    assert config.check.timeout == 3


def test_user_replaces_a_shipped_control(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[control]]
id = "google"
url = "http://192.0.2.1/generate_204"
expect_status = [204]
""",
    )
    google = next(c for c in load_config(path).catalog.controls if c.id == "google")
    assert google.endpoint.url == "http://192.0.2.1/generate_204"


def test_without_defaults_only_user_entries(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[catalog]
include_defaults = false
[[control]]
id = "mine"
url = "http://127.0.0.1:9/"
""",
    )
    config = load_config(path)
    assert config.catalog.services == ()
    assert [c.id for c in config.catalog.controls] == ["mine"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[network]\ntimeout = 'fast'\n", "line 2, key network.timeout: expected a number (got 'fast')"),
        # A version 1 file: the error points at what the user wrote, not where it moved.
        ("[check]\ntimeout = 'fast'\n", "line 2, key check.timeout: expected a number (got 'fast')"),
        ("[monitor]\n\ninterval = 0\n", "line 3, key monitor.interval: must be at least 1"),
        ("[network]\ntimeout = true\n", "expected a number (got True)"),
        ("[network]\ntimeout = 0\n", "must be at least 0.2"),
        ("[general]\nquiet_from = '25:00'\nquiet_until = '07:00'\n", "expected a time like 22:30"),
        (
            "[general]\nquiet_from = '22:00'\n",
            "key general: Quiet hours until: quiet hours need both a start and an end",
        ),
        ("[network]\nproxy = 'manual'\n", "a manual proxy needs a URL"),
        ("[network]\nproxy = 'socks'\n", "expected one of system, none, manual"),
        ("[network]\nproxy_url = 'http://bob:pw-9@proxy:3128'\n", "put the password in its own field"),
        ("[forwarding]\ntoken = 'abc'\n", "secrets are not read from the config file"),
        ("version = 99\n", "for a newer traywatch"),
        ("version = 'two'\n", "key version: expected a whole number"),
        ("version = 0\n", "key version: expected a whole number"),
        ("version = 'two'\n[general]\n", "line 1, key version: expected a whole number"),
        ("[[control]]\nid = 7\nurl = 'http://x/'\n", "line 2, key control[0].id: expected a string, got an integer"),
        ("[[control]]\nid = 'c'\nurl = 'http://x/'\nexpect_status = [200, '204']\n", "integers, found a string"),
        ("[[control]]\nid = 'c'\nurl = 'http://x/'\nexpect_status = [true]\n", "integers, found true or false"),
        (
            "[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='https://a/'\n"
            "[[service]]\nid='b'\n[[service.endpoint]]\nid='w'\nurl='https://b/'\n"
            "[[service.endpoint]]\nid='v'\nurl='ftp://b/'\n",
            "line 13, key service[1].endpoint[1].url: expected a URL",
        ),
        (
            "[[service]]\nid = 'x'\n[[service.endpoint]]\nid = 'web'\nurl = 'ftp://x/'\n",
            "line 5, key service[0].endpoint[0].url: expected a URL starting with http:// or https:// or tls:// or tcp://",
        ),
        ("[[service]]\nid = 'x'\n", "a service needs at least one [[service.endpoint]]"),
        ("[[control]]\nid = 'c'\nurl = 'tls://x:443'\n", "expected a URL starting with http:// or https://"),
        ("[[control]]\nid = 'c'\nurl = 'http://x/'\nbody_match = 'regex'\n", "expected one of exact, prefix, contains"),
        ("[[control]]\nurl = 'http://x/'\n", "missing key 'id'"),
        ("[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='tcp://host'\n", "a tcp:// URL needs a port"),
        ("[[control]]\nid = 'c'\nurl = 'http://x:99999/'\n", "not a number from 1 to 65535"),
        ("[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='https://h/'\norigin='https://h'\n", "only a wss://"),
        (
            "[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='wss://h/ws'\norigin='web.example'\n",
            "expected an origin like https://www.example.com",
        ),
        (
            "[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='wss://h/ws'\norigin='https://h/path'\n",
            "expected an origin like",
        ),
        ("[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='https://h/'\nexpect_json = {}\n", "at least one key"),
        (
            "[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='https://h/'\nexpect_json = { s = [1] }\n",
            "key service[0].endpoint[0].expect_json.s: expected a string, number or true/false",
        ),
        ("[[service]]\nid='a'\n[[service.endpoint]]\nid='w'\nurl='tls://h:1'\nexpect_json = { s = 'x' }\n", "JSON"),
        ("[[service]]\nid='a'\nstatus_page = 'messenger'\n[[service.endpoint]]\nid='w'\nurl='https://h/'\n", "list"),
        ("check = [\n", "not valid TOML"),
        ("[catalog]\ninclude_defaults = false\n", "no control endpoints are enabled"),
        ("[catalog]\ninclude_default = false\n", "unknown key 'include_default'"),
    ],
)
def test_invalid_config_names_file_key_and_expectation(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in info.value.message
    assert expected in info.value.message
    assert "pw-9" not in str(info.value)  # a credential in a bad value is never echoed


def test_toml_syntax_error_gives_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[check]\ntimeout = 3\nslow_ms = = 4\n")
    with pytest.raises(ConfigError, match="line 3"):
        load_config(path)


def test_binary_garbage_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_unknown_top_level_keys_are_read_without_complaint(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[future]\nthing = 1\n"))
    assert config.data["future"] == {"thing": 1}


def test_every_setting_is_documented() -> None:
    from traywatch.settings import SETTINGS

    text = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.key}`" in text, setting.key


def test_the_status_page_is_read_when_on_and_the_catalog_names_products(tmp_path: Path) -> None:
    watch = load_config(write(tmp_path, "")).status_page()
    assert watch is not None and watch.base_url == "https://metastatus.com" and watch.wanted
    assert load_config(write(tmp_path, "[status_page]\nenabled = false\n")).status_page() is None
    own = "[catalog]\ninclude_defaults = false\n[[control]]\nid = 'c'\nurl = 'http://c.example/'\n"
    own += "[[service]]\nid = 'x'\n[[service.endpoint]]\nid = 'web'\nurl = 'https://x.example/'\n"
    assert load_config(write(tmp_path, own)).status_page() is None  # no product to look for


def test_other_networks_are_asked_only_when_switched_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert load_config(write(tmp_path, "")).vantage() is None  # off unless the user says
    named = load_config(write(tmp_path, "[globalping]\nenabled = true\ncountry = 'de'\n")).vantage()
    from_locale = load_config(write(tmp_path, "[globalping]\nenabled = true\n")).vantage()
    assert named is not None and from_locale is not None
    assert (named.country, from_locale.country) == ("DE", "FR")
    assert named.base_url == "https://api.globalping.io"


@pytest.mark.parametrize(
    ("network", "needs"),
    [
        ("proxy = 'manual'\nproxy_url = 'http://proxy.example:3128'\nproxy_user = 'bob'\n", True),
        ("proxy = 'manual'\nproxy_url = 'http://proxy.example:3128'\n", False),
        ("proxy = 'system'\nproxy_user = 'bob'\n", False),
    ],
)
def test_a_proxy_password_is_wanted_only_for_a_manual_proxy_with_a_user(
    tmp_path: Path, network: str, needs: bool
) -> None:
    config = load_config(write(tmp_path, f"[network]\n{network}"))
    assert config.needs_proxy_password is needs
    user = "bob" if "proxy_user" in network else None
    assert config.probe_settings("pw-1").proxy_auth == ((user, "pw-1") if user else None)
    assert config.probe_settings(None).proxy_auth is None  # no password released: no credentials


def test_whole_seconds_are_read_as_seconds_and_counts_stay_whole(tmp_path: Path) -> None:
    values = load_config(write(tmp_path, "[general]\ninterval = 60\nconfirm_failures = 3\n")).values
    assert (type(values["general.interval"]), values["general.interval"]) == (float, 60.0)
    assert (type(values["general.confirm_failures"]), values["general.confirm_failures"]) == (int, 3)


@pytest.mark.parametrize(("size", "refused"), [(1 << 20, False), ((1 << 20) + 1, True)])
def test_a_config_file_may_be_1_mib(tmp_path: Path, size: int, refused: bool) -> None:
    text = "[general]\ninterval = 90\n"
    path = write(tmp_path, text + "#" * (size - len(text) - 1) + "\n")
    assert path.stat().st_size == size
    if refused:
        with pytest.raises(ConfigError, match="too big to be a settings file"):
            load_config(path)
    else:
        assert load_config(path).values["general.interval"] == 90


def test_a_file_that_says_it_is_empty_but_reads_on_is_refused_not_read_in_part() -> None:
    # A /proc file reports 0 bytes and then gives megabytes; so does a file that grows between
    # the size check and the read. The first 1 MiB of either is not a settings file.
    endless = Path("/proc/kallsyms")
    try:
        with endless.open("rb") as handle:
            long_enough = len(handle.read((1 << 20) + 1)) > 1 << 20
    except OSError:
        long_enough = False
    if not long_enough or endless.stat().st_size != 0:
        pytest.skip("this kernel gives no /proc file longer than 1 MiB")
    with pytest.raises(ConfigError, match=r"is more than 1048576 bytes, too big to be a settings file"):
        TomlDocument.read(endless)
