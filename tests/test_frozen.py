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

from tests.desktop import Desktop
from tests.servers import wait_until
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


def clean_env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}


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
    log = tmp_path / "state" / "traywatch" / "log" / "traywatch.log"
    app = subprocess.Popen(
        [frozen],
        env={**desktop.env, **clean_env(tmp_path), "QT_QPA_PLATFORM": "xcb", "XDG_STATE_HOME": str(tmp_path / "state")},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def said(text: str) -> bool:
            return log.exists() and text in log.read_text()

        assert wait_until(lambda: said("tray icon shown"), 30), log.read_text() if log.exists() else ""
        assert wait_until(lambda: said("check done"), 30), log.read_text()
    finally:
        app.terminate()
        _, err = app.communicate(timeout=15)
    assert app.returncode == 0, err
