"""The wheel carries what the app needs outside the source tree: icons and the shipped catalog."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from traywatch.view import PAUSE_BADGE, Display

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_icons_and_catalog(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("traywatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "traywatch/data/catalog.toml" in names
    assert "traywatch/py.typed" in names
    for icon in (*(d.value for d in Display), PAUSE_BADGE):
        assert f"traywatch/_resources/icons/{icon}.svg" in names
    assert not any(name.startswith("tests/") for name in names)


def test_desktop_entry_is_valid() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(ROOT / "packaging" / "traywatch.desktop")], capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
