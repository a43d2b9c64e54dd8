"""The Debian package, as a Debian user meets it: built from this checkout, clean under lintian,
installed with apt, run (version, an offline check, the tray in a real desktop), and purged
without a trace outside the user's own files. Needs root: it installs into this system."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desktop import Desktop, clean_env, run_tray_until_checked
from traywatch import APP_ID, __version__

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.netns


def run(*argv: str | Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def deb() -> Path:
    if os.geteuid() != 0 or not shutil.which("dpkg-deb"):
        if os.environ.get("CI"):
            pytest.fail("CI must run as root on Debian/Ubuntu to build and install the package")
        pytest.skip("needs root and dpkg-deb")
    if run("dpkg-query", "-W", "traywatch").returncode == 0:
        pytest.fail("a traywatch package is installed on this machine already; purge it first")
    built = run(ROOT / "packaging" / "build-deb.sh", env={**os.environ, "PYTHON": sys.executable}, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    path = Path(built.stdout.strip().splitlines()[-1])
    assert path.name == f"traywatch_{__version__}-1_{run('dpkg', '--print-architecture').stdout.strip()}.deb"
    return path


def test_lintian_finds_no_errors(deb: Path) -> None:
    result = run("lintian", "--fail-on", "error", deb, timeout=600)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def installed(deb: Path) -> Iterator[list[Path]]:
    result = run("apt-get", "install", "-y", "-q", "--no-install-recommends", deb, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    files = [Path(line) for line in run("dpkg", "-L", "traywatch").stdout.splitlines()]
    try:
        yield files
    finally:
        purged = run("apt-get", "purge", "-y", "-q", "traywatch", timeout=600)
        assert purged.returncode == 0, purged.stderr


def test_installs_runs_and_purges_without_a_trace(
    installed: list[Path], netns: str, desktop: Desktop, tmp_path: Path
) -> None:
    share = Path("/usr/share")
    assert share / "applications" / f"{APP_ID}.desktop" in installed
    assert share / "metainfo" / f"{APP_ID}.metainfo.xml" in installed
    assert share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg" in installed
    for size in (16, 32, 48, 256):
        assert share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png" in installed
    away = tmp_path / "someone"
    away.mkdir()
    env = clean_env(away)
    version = run("/usr/bin/traywatch", "--version", cwd=away, env=env, timeout=60)
    assert version.stdout.strip() == f"traywatch {__version__}", version.stderr
    offline = run("ip", "netns", "exec", netns, "/usr/bin/traywatch", "check", "--json", cwd=away, env=env, timeout=60)
    assert offline.returncode == 3, offline.stderr
    assert json.loads(offline.stdout)["verdict"]["kind"] == "offline"

    # The tray app itself, from the package, in a real desktop: Qt from /usr/lib/traywatch works.
    shipped = sorted(Path("/usr/lib/traywatch").rglob("*"))
    run_tray_until_checked("/usr/bin/traywatch", desktop, away, tmp_path / "state")
    # It wrote nothing next to its installed files (no bytecode: the launcher runs python3 -B).
    assert sorted(Path("/usr/lib/traywatch").rglob("*")) == shipped


def test_purge_leaves_nothing_behind(deb: Path) -> None:
    installed = run("apt-get", "install", "-y", "-q", "--no-install-recommends", deb, timeout=600)
    assert installed.returncode == 0, installed.stderr
    files = [Path(line) for line in run("dpkg", "-L", "traywatch").stdout.splitlines()]
    assert run("/usr/bin/traywatch", "--version", timeout=60).returncode == 0
    assert list(Path("/usr/lib/traywatch").rglob("__pycache__"))  # postinst compiled it
    purged = run("apt-get", "purge", "-y", "-q", "traywatch", timeout=600)
    assert purged.returncode == 0, purged.stderr
    left = [f for f in files if f.exists() and not f.is_dir()]
    assert left == []
    assert not Path("/usr/lib/traywatch").exists()
    assert run("dpkg-query", "-W", "traywatch").returncode != 0
