"""Find the files in ``resources/`` from a source checkout, an installed wheel or a frozen build."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resources_dir() -> Path:
    candidates = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / "resources")
    candidates.append(_PACKAGE / "_resources")  # the wheel puts resources/ here
    candidates.append(_PACKAGE.parent / "resources")  # a source checkout or editable install
    for candidate in candidates:
        if (candidate / "icons").is_dir():
            return candidate
    raise FileNotFoundError(f"traywatch resources not found (looked in {', '.join(map(str, candidates))})")


def icon_path(name: str) -> Path:
    return resources_dir() / "icons" / f"{name}.svg"
