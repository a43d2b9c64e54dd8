"""The user's config file: declared settings plus catalog entries over the shipped catalog.

Schema versions: 1 (no ``version`` key) had ``[monitor]`` and ``[check]`` tables; 2 groups
settings the way the settings dialog does (``[general]``, ``[network]``, ``[forwarding]``).
Older files are migrated step by step (``MIGRATIONS``), in memory here; the app writes the result
back after keeping a copy of the old file.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from traywatch.catalog import EMPTY, Catalog, CatalogOverlay, check_size, read_overlay, shipped_catalog
from traywatch.errors import ConfigError
from traywatch.model import ProbeSettings
from traywatch.monitor import MonitorSettings
from traywatch.settings import BY_KEY, SETTINGS, Kind, cross_check, defaults
from traywatch.statuspage import StatusPageWatch
from traywatch.tomlreader import Node, TomlDocument
from traywatch.vantage import VantageWatch, country_from_locale

SCHEMA_VERSION = 2


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """[monitor] became [general]; [check] timeout and slow_ms moved to [network]."""
    monitor = data.pop("monitor", None)
    if isinstance(monitor, dict):
        general = data.setdefault("general", {})
        for key in ("interval", "recheck", "confirm_failures", "confirm_recoveries"):
            if key in monitor:
                general.setdefault(key, monitor.pop(key))
        if monitor:
            data["monitor"] = monitor  # anything unknown stays where the user put it
    check = data.get("check")
    if isinstance(check, dict):
        network = data.setdefault("network", {})
        for key in ("timeout", "slow_ms"):
            if key in check:
                network.setdefault(key, check.pop(key))
        if not check:
            del data["check"]
    data["version"] = 2
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}

# Where a version 1 file wrote what version 2 calls a setting: errors point at what the user wrote.
V1_LOCATIONS = {
    **{f"general.{k}": ("monitor", k) for k in ("interval", "recheck", "confirm_failures", "confirm_recoveries")},
    "network.timeout": ("check", "timeout"),
    "network.slow_ms": ("check", "slow_ms"),
}


def schema_version(data: Mapping[str, Any]) -> int:
    version = data.get("version", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else -1


def migrate(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Bring ``data`` to SCHEMA_VERSION; returns it with the version it started at."""
    start = schema_version(data)
    data = copy.deepcopy(data)
    version = start
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data, start


@dataclass(frozen=True)
class Config:
    values: Mapping[str, Any]  # every declared, non-secret setting
    catalog: Catalog
    source: Path | None = None
    migrated_from: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # the file as parsed (migrated)
    # What was wrong but did not stop it loading: bad values set to their defaults, unknown keys.
    problems: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def check(self) -> ProbeSettings:
        extra_ca = self.values["network.extra_ca"]
        return ProbeSettings(
            timeout=float(self.values["network.timeout"]),
            slow_ms=float(self.values["network.slow_ms"]),
            extra_ca=Path(extra_ca).expanduser() if extra_ca else None,
            proxy=self.values["network.proxy"],
            proxy_url=self.values["network.proxy_url"],
        )

    @property
    def needs_proxy_password(self) -> bool:
        return bool(self.values["network.proxy"] == "manual" and self.values["network.proxy_user"])

    def probe_settings(self, proxy_password: str | None) -> ProbeSettings:
        """``check`` with the manual proxy's credentials (the password comes from the keyring)."""
        user = self.values["network.proxy_user"]
        # No password released (none saved, or saved for another proxy): no credentials at all.
        auth = (user, proxy_password) if user and proxy_password else None
        return replace(self.check, proxy_auth=auth)

    def status_page(self) -> StatusPageWatch | None:
        """A watch on Meta's status page for the products this catalog names; None when off."""
        products = tuple(dict.fromkeys(p for s in self.catalog.services for p in s.status_page))
        if not self.values["status_page.enabled"] or not products:
            return None
        return StatusPageWatch(self.values["status_page.url"], products)

    def vantage(self) -> VantageWatch | None:
        """Questions to other networks (Globalping), when switched on; None otherwise."""
        if not self.values["globalping.enabled"]:
            return None
        country = str(self.values["globalping.country"]).upper() or country_from_locale()
        return VantageWatch(self.values["globalping.url"], country)

    @property
    def monitor(self) -> MonitorSettings:
        return MonitorSettings(
            interval=float(self.values["general.interval"]),
            recheck=float(self.values["general.recheck"]),
            confirm_failures=int(self.values["general.confirm_failures"]),
            confirm_recoveries=int(self.values["general.confirm_recoveries"]),
            hold_down=float(self.values["general.hold_down"]),
            metered_interval=float(self.values["general.metered_interval"]),
        )


def default_config() -> Config:
    return Config(defaults(), shipped_catalog().enabled())


_TEXTUAL = (Kind.URL, Kind.TEXT, Kind.FILE, Kind.SECRET)


def _unknown_keys(root: Node) -> list[str]:
    """Keys in a settings section that no setting has: named, with the nearest known one."""
    known: dict[str, list[str]] = {}
    for setting in SETTINGS:
        known.setdefault(setting.section, []).append(setting.name)
    found = []
    for section, names in known.items():
        node = root.table(section) if isinstance(root.data.get(section), dict) else None
        if node is None:
            continue
        for key in node.data:
            if key in names:
                continue
            import difflib  # only when a key is unknown: most starts never need it

            near = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            found.append(f"{node.where(key)}: unknown key '{section}.{key}'{hint}; it is ignored")
    return found


def _read_settings(root: Node, original: Node, version: int, lenient: bool = False) -> tuple[dict[str, Any], list[str]]:
    """The settings, and in ``lenient`` mode what was wrong with them: a bad value is then
    replaced by its default alone (the rest is kept), and named. Strict mode raises."""
    values = defaults()
    problems: list[str] = []

    def error(setting_key: str, node: Node, problem: str) -> ConfigError:
        where = V1_LOCATIONS.get(setting_key) if version == 1 else None
        old = original.table(where[0]) if where else None
        if where and old is not None and old.has(where[1]):
            return old.error(where[1], problem)
        return node.error(setting_key.split(".", 1)[1], problem)

    sections: dict[str, Node | None] = {}
    for setting in SETTINGS:
        if setting.section not in sections:
            sections[setting.section] = root.table(setting.section)
        node = sections[setting.section]
        if node is None or not node.has(setting.name):
            continue
        value = node.data[setting.name]
        if setting.kind is Kind.SECRET:
            raise error(
                setting.key,
                node,
                "secrets are not read from the config file; set it in Settings, which keeps it in the keyring",
            )
        if setting.kind in (Kind.SECONDS,) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        problem = setting.check(value)
        if problem:
            # Echo only values that cannot hold a credential: a URL may carry one.
            shown = "" if setting.kind in _TEXTUAL else f" (got {value!r})"
            failure = error(setting.key, node, f"{problem}{shown}")
            if not lenient:
                raise failure
            problems.append(f"{failure.where}: {failure.problem}; using the default, {_shown(setting.default)}")
            continue
        values[setting.key] = value
    for key, problem in cross_check(values).items():
        failure = root.error(key.split(".")[0], f"{BY_KEY[key].label}: {problem}")
        if not lenient:
            raise failure
        values[key] = BY_KEY[key].default
        problems.append(f"{failure.where}: {failure.problem}; using the default, {_shown(BY_KEY[key].default)}")
    return values, problems + _unknown_keys(root)


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else f"{value:g}"


def config_from_document(doc: TomlDocument, path: Path | None, *, lenient: bool = False) -> Config:
    """The config in ``doc``. Strict (``traywatch check``, saving): any mistake raises
    ConfigError. Lenient (the tray at start): a bad setting falls back to its default alone and
    is listed in ``problems``; a broken catalog or file still raises."""
    version = schema_version(doc.data)
    if version < 1:
        raise doc.root().error("version", "expected a whole number")
    if version > SCHEMA_VERSION:
        raise doc.root().error(
            "version", f"this file is for a newer traywatch (version {version}; this one reads up to {SCHEMA_VERSION})"
        )
    data, started = migrate(doc.data)
    root = Node(doc, data, ())
    values, problems = _read_settings(root, doc.root(), started, lenient)
    include_defaults = True
    node = root.table("catalog")
    if node is not None:
        node.reject_unknown({"include_defaults"})
        include_defaults = node.boolean("include_defaults", True)
    base = shipped_catalog() if include_defaults else EMPTY
    overlay = read_overlay(root)
    catalog = base.overlaid(overlay).enabled()
    check_size(catalog, root)
    if not catalog.controls:
        raise root.error(
            "control",
            "no control endpoints are enabled; at least one is needed to tell your connection from Meta's",
        )
    return Config(values, catalog, path, started if started < SCHEMA_VERSION else None, data, tuple(problems))


def load_config(path: Path, *, required: bool = False) -> Config:
    """Read ``path``; a missing file means defaults unless ``required`` (given on the command line).

    Raises ConfigError naming the file, the line or key, and what was expected.
    """
    if not path.exists() and not required:
        return default_config()
    return config_from_document(TomlDocument.read(path), path)


def user_entries(config: Config) -> CatalogOverlay:
    """The services and controls the user's own file defines (not mere on/off switches)."""
    doc = TomlDocument(config.source or "config.toml", "")
    return read_overlay(Node(doc, config.data, ()))
