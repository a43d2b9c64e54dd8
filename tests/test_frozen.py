"""The frozen one-folder build (PyInstaller): built from this checkout and run from its output
folder without the source tree, as someone who unpacked it would: the version, an offline check
in a real network namespace, and the tray app in a real desktop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.desktop import Desktop, clean_env, run_tray_until_checked
from traywatch import __version__

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = subprocess.run(
        [ROOT / "packaging" / "build-frozen.sh"],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    folder = Path(built.stdout.strip().splitlines()[-1])
    # Moved away from the checkout, as an unpacked download would be.
    moved = tmp_path_factory.mktemp("unpacked") / "traywatch"
    folder.rename(moved)
    return moved / "traywatch"


def test_the_frozen_build_says_its_version(frozen: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [frozen, "--version"], cwd=tmp_path, env=clean_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == f"traywatch {__version__}", result.stderr


@pytest.mark.netns
def test_the_frozen_build_checks_offline(frozen: Path, tmp_path: Path, netns: str) -> None:
    result = subprocess.run(
        ["ip", "netns", "exec", netns, frozen, "check", "--json"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    doc = json.loads(result.stdout)
    assert doc["verdict"]["kind"] == "offline"
    assert doc["controls"]["total"] >= 5  # the shipped catalog travelled inside the build


def test_the_frozen_build_runs_the_tray_app(frozen: Path, tmp_path: Path, desktop: Desktop) -> None:
    run_tray_until_checked(frozen, desktop, tmp_path, tmp_path / "state")
