"""The user's config file: check settings plus catalog entries, merged over the shipped catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from traywatch.catalog import EMPTY, Catalog, read_overlay, shipped_catalog
from traywatch.tomlreader import TomlDocument


@dataclass(frozen=True)
class CheckSettings:
    """How one cycle probes. The timeout bounds the whole cycle, since probes run concurrently."""

    timeout: float = 5.0
    slow_ms: float = 2500.0
    max_redirects: int = 5
    body_cap: int = 4096


@dataclass(frozen=True)
class Config:
    check: CheckSettings
    catalog: Catalog
    source: Path | None = None
    extra: dict[str, object] = field(default_factory=dict)


_TOP_LEVEL = {"check", "catalog", "service", "control", "resolver"}


def load_config(path: Path, *, required: bool = False) -> Config:
    """Read ``path``; a missing file means defaults unless ``required`` (given on the command line).

    Raises ConfigError naming the file, the line or key, and what was expected.
    """
    if not path.exists() and not required:
        return Config(CheckSettings(), shipped_catalog().enabled())
    root = TomlDocument.read(path).root()
    check = CheckSettings()
    node = root.table("check")
    if node is not None:
        node.reject_unknown({"timeout", "slow_ms", "max_redirects", "body_cap"})
        check = CheckSettings(
            timeout=node.number("timeout", check.timeout, minimum=0.2, maximum=120),
            slow_ms=node.number("slow_ms", check.slow_ms, minimum=1),
            max_redirects=node.integer("max_redirects", check.max_redirects, minimum=0, maximum=20),
            body_cap=node.integer("body_cap", check.body_cap, minimum=256, maximum=1 << 20),
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
    return Config(check, catalog, path, extra)
