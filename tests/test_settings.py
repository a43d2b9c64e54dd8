"""Each setting's check at its edges: the bounds docs/settings.md gives, a single line of text,
empty only where a setting may be left empty, URLs with a scheme and a host, files that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from traywatch.settings import SETTINGS, Kind, Setting, cross_check, defaults

BOUNDED = [s for s in SETTINGS if s.minimum is not None or s.maximum is not None]
BY_KEY = {s.key: s for s in SETTINGS}


def _step(setting: Setting) -> float:
    return 1 if setting.kind in (Kind.INT, Kind.MILLISECONDS) else 0.01


@pytest.mark.parametrize("setting", BOUNDED, ids=lambda s: s.key)
def test_a_number_at_either_bound_is_taken_and_one_step_past_it_is_not(setting: Setting) -> None:
    assert setting.minimum is not None and setting.maximum is not None
    low, high = setting.minimum, setting.maximum
    if setting.kind is not Kind.INT:
        low, high = float(low), float(high)
    assert setting.check(low) is None and setting.check(high) is None
    assert setting.check(low - _step(setting)) == f"must be at least {setting.minimum:g}"
    assert setting.check(high + _step(setting)) == f"must be at most {setting.maximum:g}"


def _documented_row(setting: Setting) -> str:
    documented = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    (row,) = (line for line in documented.splitlines() if line.startswith(f"| `{setting.key}` |"))
    return row


@pytest.mark.parametrize("setting", BOUNDED, ids=lambda s: s.key)
def test_the_bounds_are_the_documented_ones(setting: Setting) -> None:
    assert f"({setting.minimum:g}–{setting.maximum:g})" in _documented_row(setting)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_the_defaults_are_the_documented_ones(setting: Setting) -> None:
    shown = repr(setting.default) if setting.default != "" else '""'
    if setting.kind is Kind.SECRET:
        shown = "(keyring)"
    assert _documented_row(setting).startswith(f"| `{setting.key}` | `{shown}`")


@pytest.mark.parametrize("value", ["a\nb", "a\x00b"])
def test_text_is_one_line_without_nul(value: str) -> None:
    assert BY_KEY["globalping.country"].check(value) == "must be a single line"
    assert BY_KEY["globalping.country"].check("DE") is None


def test_only_a_setting_that_may_be_empty_may_be_empty() -> None:
    assert BY_KEY["globalping.country"].check("") is None  # optional
    assert BY_KEY["status_page.url"].check("") == "must not be empty"
    assert BY_KEY["status_page.url"].check("https://status.example") is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://proxy.example", "expected a URL starting with http:// or https://"),
        ("https://", "expected a URL starting with http:// or https://"),  # no host
        ("http://proxy.example:3128", None),
        ("https://bob:pw@proxy.example", "put the password in its own field, not in the URL"),
    ],
)
def test_a_url_needs_its_scheme_and_a_host(value: str, problem: str | None) -> None:
    assert BY_KEY["network.proxy_url"].check(value) == problem


def test_a_file_must_exist(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    assert BY_KEY["network.extra_ca"].check(str(bundle)) == "no such file"
    bundle.write_text("")
    assert BY_KEY["network.extra_ca"].check(str(bundle)) is None
    assert BY_KEY["network.extra_ca"].check(str(tmp_path)) == "no such file"  # a folder is not one


@pytest.mark.parametrize(
    ("value", "problem"),
    [("22:30", None), ("00:00", None), ("23:59", None), ("", None), ("24:00", "expected a time like 22:30")],
)
def test_a_clock_time_is_hh_mm_or_left_empty(value: str, problem: str | None) -> None:
    assert BY_KEY["general.quiet_from"].check(value) == problem


@pytest.mark.parametrize(
    ("value", "problem"), [("hunter2", None), ("a\nb", "must be a single line"), (5, "must be a single line")]
)
def test_a_secret_is_one_line_of_text(value: object, problem: str | None) -> None:
    assert BY_KEY["forwarding.token"].check(value) == problem


@pytest.mark.parametrize(
    ("country", "problems"),
    [("DE", {}), ("", {}), ("Germany", {"globalping.country": "expected a two-letter country code such as DE"})],
)
def test_the_country_to_ask_from_is_a_two_letter_code_or_none(country: str, problems: dict[str, str]) -> None:
    assert cross_check({**defaults(), "globalping.country": country}) == problems


@pytest.mark.parametrize("key", ["network.proxy_url", "network.extra_ca"])
def test_an_address_or_a_file_that_may_be_empty_may_be_empty_but_not_two_lines(key: str) -> None:
    assert BY_KEY[key].optional
    assert BY_KEY[key].check("") is None
    assert BY_KEY[key].check("https://proxy.example\nx") == "must be a single line"


def test_an_extra_ca_file_must_hold_certificates(tmp_path: Path) -> None:
    import trustme

    bundle = tmp_path / "ca.pem"
    bundle.write_text("not a certificate\n")
    assert cross_check({"network.extra_ca": str(bundle)}) == {"network.extra_ca": "not a PEM file of certificates"}
    trustme.CA().cert_pem.write_to_path(str(bundle))
    assert cross_check({"network.extra_ca": str(bundle)}) == {}


def test_the_secret_settings_are_exactly_those_kept_in_the_keyring() -> None:
    from traywatch.settings import SECRET_KEYS

    assert SECRET_KEYS == ("network.proxy_password", "forwarding.token")
    assert not set(SECRET_KEYS) & set(defaults())  # never given a value the file would hold
