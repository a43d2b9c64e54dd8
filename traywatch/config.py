"""The user's config file: check settings plus catalog entries, merged over the shipped catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from traywatch.catalog import EMPTY, Catalog, read_overlay, shipped_catalog
from traywatch.model import ProbeSettings
from traywatch.monitor import MonitorSettings
from traywatch.tomlreader import TomlDocument


@dataclass(frozen=True)
class Config:
    check: ProbeSettings
    catalog: Catalog
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    source: Path | None = None
    extra: dict[str, object] = field(default_factory=dict)


_TOP_LEVEL = {"check", "monitor", "catalog", "service", "control", "resolver"}


def load_config(path: Path, *, required: bool = False) -> Config:
    """Read ``path``; a missing file means defaults unless ``required`` (given on the command line).

    Raises ConfigError naming the file, the line or key, and what was expected.
    """
    if not path.exists() and not required:
        return Config(ProbeSettings(), shipped_catalog().enabled())
    root = TomlDocument.read(path).root()
    check = ProbeSettings()
    node = root.table("check")
    if node is not None:
        node.reject_unknown({"timeout", "slow_ms", "max_redirects", "body_cap"})
        check = ProbeSettings(
            timeout=node.number("timeout", check.timeout, minimum=0.2, maximum=120),
            slow_ms=node.number("slow_ms", check.slow_ms, minimum=1),
            max_redirects=node.integer("max_redirects", check.max_redirects, minimum=0, maximum=20),
            body_cap=node.integer("body_cap", check.body_cap, minimum=256, maximum=1 << 20),
        )
    monitor = MonitorSettings()
    node = root.table("monitor")
    if node is not None:
        node.reject_unknown({"interval", "recheck", "confirm_failures", "confirm_recoveries"})
        monitor = MonitorSettings(
            interval=node.number("interval", monitor.interval, minimum=1, maximum=86400),
            recheck=node.number("recheck", monitor.recheck, minimum=1, maximum=3600),
            confirm_failures=node.integer("confirm_failures", monitor.confirm_failures, minimum=1, maximum=20),
            confirm_recoveries=node.integer("confirm_recoveries", monitor.confirm_recoveries, minimum=1, maximum=20),
        )
    include_defaults = True
    node = root.table("catalog")
    if node is not None:
        node.reject_unknown({"include_defaults"})
        include_defaults = node.boolean("include_defaults", True)
    base = shipped_catalog() if include_defaults else EMPTY
    catalog = base.overlaid(read_overlay(root)).enabled()
    if not catalog.controls:
        raise root.error(
            "control",
            "no control endpoints are enabled; at least one is needed to tell your connection from Meta's",
        )
    extra = {k: v for k, v in root.data.items() if k not in _TOP_LEVEL}
    return Config(check, catalog, monitor, path, extra)
