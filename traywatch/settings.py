"""Every user setting, declared once as data. The config schema (reading, checking, writing) and
the settings dialog are both built from this table: a new setting is one entry here."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from traywatch.urls import url_problem


class Kind(enum.Enum):
    BOOL = "bool"
    INT = "int"
    SECONDS = "seconds"  # a float of seconds
    MILLISECONDS = "milliseconds"
    TEXT = "text"
    URL = "url"
    CHOICE = "choice"
    FILE = "file"
    CLOCK = "clock"  # HH:MM, or empty
    SECRET = "secret"  # noqa: S105 - a kind of setting: kept in the OS keyring, never in the file


class Group(enum.Enum):
    GENERAL = "General"
    NETWORK = "Network"
    FORWARDING = "Forwarding"
    SECOND_OPINIONS = "Second opinions"


@dataclass(frozen=True)
class Setting:
    key: str  # "section.name", as written in config.toml
    default: Any
    kind: Kind
    label: str
    help: str
    group: Group
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    optional: bool = False  # an empty text is allowed (and means "not set")

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable, or None. Types are exact: a bool is not a number."""
        return _CHECKS[self.kind](self, value)


def _check_bool(setting: Setting, value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def _check_number(setting: Setting, value: Any) -> str | None:
    integral = setting.kind is Kind.INT
    if isinstance(value, bool) or not isinstance(value, int if integral else (int, float)):
        return "expected a whole number" if integral else "expected a number"
    if not math.isfinite(value):
        return "expected a finite number"  # nan slips past every comparison; inf is no interval
    if setting.minimum is not None and value < setting.minimum:
        return f"must be at least {setting.minimum:g}"
    if setting.maximum is not None and value > setting.maximum:
        return f"must be at most {setting.maximum:g}"
    return None


def _check_text(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, str):
        return "expected text"
    if "\n" in value or "\x00" in value:
        return "must be a single line"
    if not value and not setting.optional:
        return "must not be empty"
    return None


def _check_url(setting: Setting, value: Any) -> str | None:
    problem = _check_text(setting, value)
    if problem or not value:
        return problem
    try:
        parts = urlsplit(value)
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected a URL starting with http:// or https://"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "the port must be a number from 1 to 65535"
    if parts.password:
        return "put the password in its own field, not in the URL"
    if url_problem(value, ("http", "https")):
        return "not a valid URL (check the host name)"
    return None


def _check_choice(setting: Setting, value: Any) -> str | None:
    values = [v for v, _ in setting.choices]
    return None if value in values else f"expected one of {', '.join(values)}"


def _check_file(setting: Setting, value: Any) -> str | None:
    problem = _check_text(setting, value)
    if problem or not value:
        return problem
    path = Path(value).expanduser()
    if not path.is_file():
        return "no such file"
    return None


_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _check_clock(setting: Setting, value: Any) -> str | None:
    problem = _check_text(setting, value)
    if problem or not value:
        return problem
    return None if _CLOCK.match(value) else "expected a time like 22:30"


def _check_secret(setting: Setting, value: Any) -> str | None:
    return None if isinstance(value, str) and "\n" not in value else "must be a single line"


_CHECKS: dict[Kind, Callable[[Setting, Any], str | None]] = {
    Kind.BOOL: _check_bool,
    Kind.INT: _check_number,
    Kind.SECONDS: _check_number,
    Kind.MILLISECONDS: _check_number,
    Kind.TEXT: _check_text,
    Kind.URL: _check_url,
    Kind.CHOICE: _check_choice,
    Kind.FILE: _check_file,
    Kind.CLOCK: _check_clock,
    Kind.SECRET: _check_secret,
}

G, N, F, S = Group.GENERAL, Group.NETWORK, Group.FORWARDING, Group.SECOND_OPINIONS

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "general.interval",
        60.0,
        Kind.SECONDS,
        "Check every",
        "Seconds between checks. Once a minute is polite.",
        G,
        minimum=1,
        maximum=86400,
    ),
    Setting(
        "general.recheck",
        5.0,
        Kind.SECONDS,
        "Re-check a failure after",
        "Seconds before a suspected failure is checked again.",
        G,
        minimum=1,
        maximum=3600,
    ),
    Setting(
        "general.confirm_failures",
        3,
        Kind.INT,
        "Failures before alarm",
        "Failing checks in a row, re-checked as above, before a service counts as down.",
        G,
        minimum=1,
        maximum=20,
    ),
    Setting(
        "general.confirm_recoveries",
        2,
        Kind.INT,
        "Successes before all clear",
        'Good checks in a row before the tray shows a service answering again ("back" waits for the hold-down).',
        G,
        minimum=1,
        maximum=20,
    ),
    Setting(
        "general.hold_down",
        600.0,
        Kind.SECONDS,
        "Say it's back after",
        'Seconds it must keep answering before "back" is said: a service that drops again sooner'
        " updates its notice instead of raising a new one.",
        G,
        minimum=0,
        maximum=86400,
    ),
    Setting(
        "general.metered_interval",
        300.0,
        Kind.SECONDS,
        "On a metered connection, check every",
        "Seconds between checks while the system says the connection is metered (a phone hotspot, a capped"
        " plan). A suspected failure is still re-checked at once.",
        G,
        minimum=60,
        maximum=86400,
    ),
    Setting("general.start_at_login", False, Kind.BOOL, "Start at login", "Start traywatch when you log in.", G),
    Setting(
        "general.notifications",
        True,
        Kind.BOOL,
        "Show notifications",
        "Notify when a service goes down or your connection fails.",
        G,
    ),
    Setting("general.notify_recovery", True, Kind.BOOL, "Notify on recovery", "Notify when a service is back.", G),
    Setting(
        "general.notify_online",
        True,
        Kind.BOOL,
        "Notify when you're back online",
        "After a notice about your connection, say when it works again.",
        G,
    ),
    Setting(
        "general.notify_slow",
        True,
        Kind.BOOL,
        "Notify when a service stays slow",
        "Notify once when a service has been slow for 10 minutes.",
        G,
    ),
    Setting(
        "general.notify_meta_reports",
        True,
        Kind.BOOL,
        "Notify when Meta reports a problem",
        "Notify once when Meta's status page reports trouble with a service that still works from here.",
        G,
    ),
    Setting(
        "general.quiet_from",
        "",
        Kind.CLOCK,
        "Quiet hours from",
        "No notifications from this time (HH:MM); empty for none.",
        G,
        optional=True,
    ),
    Setting("general.quiet_until", "", Kind.CLOCK, "Quiet hours until", "…until this time (HH:MM).", G, optional=True),
    Setting(
        "network.proxy",
        "system",
        Kind.CHOICE,
        "Proxy",
        "How probes reach the internet.",
        N,
        choices=(("system", "System settings"), ("none", "No proxy"), ("manual", "Manual")),
    ),
    Setting(
        "network.proxy_url",
        "",
        Kind.URL,
        "Proxy URL",
        "For a manual proxy, e.g. http://proxy.example:3128.",
        N,
        optional=True,
    ),
    Setting("network.proxy_user", "", Kind.TEXT, "Proxy user name", "If the proxy asks for one.", N, optional=True),
    Setting("network.proxy_password", "", Kind.SECRET, "Proxy password", "Kept in your system keyring.", N),
    Setting(
        "network.extra_ca",
        "",
        Kind.FILE,
        "Extra CA bundle",
        "A PEM file of certificates to trust as well, for company networks.",
        N,
        optional=True,
    ),
    Setting(
        "network.timeout",
        5.0,
        Kind.SECONDS,
        "Probe timeout",
        "Seconds a probe may take; probes run at once, so this bounds each check.",
        N,
        minimum=0.2,
        maximum=120,
    ),
    Setting(
        "network.slow_ms",
        2500,
        Kind.MILLISECONDS,
        "Slow above",
        "Milliseconds after which an answer counts as slow.",
        N,
        minimum=1,
        maximum=120000,
    ),
    Setting(
        "forwarding.url",
        "",
        Kind.URL,
        "Webhook URL",
        "Also send each notification here (ntfy topic, Slack, Discord or Matrix-compatible URL).",
        F,
        optional=True,
    ),
    Setting(
        "forwarding.format",
        "json",
        Kind.CHOICE,
        "Format",
        "What the webhook expects.",
        F,
        choices=(("json", "JSON (Slack, Discord, Matrix hookshot, generic)"), ("ntfy", "ntfy")),
    ),
    Setting("forwarding.token", "", Kind.SECRET, "Token", "Sent as a Bearer token; kept in your system keyring.", F),
    Setting(
        "status_page.enabled",
        True,
        Kind.BOOL,
        "Read Meta's status page",
        "Read metastatus.com every 30 minutes (every 5 while something looks wrong) to say whether Meta"
        " has acknowledged a problem. A plain request: nothing about you is sent.",
        S,
    ),
    Setting(
        "status_page.url",
        "https://metastatus.com",
        Kind.URL,
        "Status page address",
        "Where Meta's status page data is read from.",
        S,
    ),
    Setting(
        "globalping.enabled",
        False,
        Kind.BOOL,
        "Ask other networks (Globalping)",
        "When a service looks down or blocked, ask 3 of Globalping's public probes in your country to load"
        " the failing host. Sent: that host's name and your country, nothing else; each host at most every"
        " 10 minutes, within Globalping's 250 tests an hour.",
        S,
    ),
    Setting(
        "globalping.country",
        "",
        Kind.TEXT,
        "Country to ask from",
        "A two-letter code such as DE; empty: your system's locale.",
        S,
        optional=True,
    ),
    Setting(
        "globalping.url",
        "https://api.globalping.io",
        Kind.URL,
        "Globalping address",
        "Where Globalping's API is reached.",
        S,
    ),
)

# Said at the top of a group's tab, where a choice needs more than one field's help.
GROUP_NOTES: Mapping[Group, str] = {
    Group.SECOND_OPINIONS: (
        "Second opinions ask someone other than this computer. Meta's status page is read with a plain"
        " request that carries nothing about you. Globalping is off unless you switch it on; then, when a"
        " service fails here while your connection works, Globalping is sent that host's name and your"
        " country, so that 3 of its volunteers' machines there can try it. Nothing else is sent."
    ),
}

BY_KEY: Mapping[str, Setting] = {s.key: s for s in SETTINGS}
SECRET_KEYS = tuple(s.key for s in SETTINGS if s.kind is Kind.SECRET)


def defaults() -> dict[str, Any]:
    return {s.key: s.default for s in SETTINGS if s.kind is not Kind.SECRET}


def cross_check(values: Mapping[str, Any]) -> dict[str, str]:
    """Rules that involve more than one setting: key -> problem."""
    problems = {}
    if values.get("network.proxy") == "manual" and not values.get("network.proxy_url"):
        problems["network.proxy_url"] = "a manual proxy needs a URL"
    if bool(values.get("general.quiet_from")) != bool(values.get("general.quiet_until")):
        missing = "general.quiet_until" if values.get("general.quiet_from") else "general.quiet_from"
        problems[missing] = "quiet hours need both a start and an end"
    extra_ca = values.get("network.extra_ca")
    if extra_ca and not _loads_as_certificates(str(extra_ca)):
        problems["network.extra_ca"] = "not a PEM file of certificates"
    country = values.get("globalping.country")
    if country and not re.fullmatch(r"[A-Za-z]{2}", str(country)):
        problems["globalping.country"] = "expected a two-letter country code such as DE"
    return problems


def _loads_as_certificates(path: str) -> bool:
    import ssl

    try:
        ssl.create_default_context().load_verify_locations(cafile=str(Path(path).expanduser()))
    except (OSError, ssl.SSLError, ValueError):
        return False
    return True
