"""What is shipped: the wheel and sdist (built, checked, installed with pipx into a clean
environment and run offline), the desktop entry and the AppStream metainfo, under one app id."""

from __future__ import annotations

import json
import os
import plistlib
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from traywatch import APP_ID, __version__
from traywatch.notices import Notification, Urgency
from traywatch.notify import hints_for
from traywatch.view import PAUSE_BADGE, Display

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist, built from this checkout with python -m build."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def test_wheel_contains_icons_and_catalog(dist: Path) -> None:
    (wheel,) = dist.glob("traywatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "traywatch/data/catalog.toml" in names
    assert "traywatch/py.typed" in names
    for icon in (*(d.value for d in Display), PAUSE_BADGE):
        assert f"traywatch/_resources/icons/{icon}.svg" in names
    assert f"traywatch/_resources/app/{APP_ID}.svg" in names
    assert not any(name.startswith("tests/") for name in names)


DESKTOP = ROOT / "packaging" / f"{APP_ID}.desktop"
METAINFO = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"


def test_desktop_entry_is_valid() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    assert f"Icon={APP_ID}\n" in DESKTOP.read_text()
    assert (ROOT / "resources" / "app" / f"{APP_ID}.svg").is_file()


def test_metainfo_is_valid_and_names_the_app_as_everything_else_does() -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.find("content_rating") is not None
    releases = [r.get("version") for r in root.iter("release")]
    assert releases[0] == __version__  # the newest release is this version
    hints = hints_for(Notification("Messenger is down", "", Urgency.CRITICAL))
    assert hints["desktop-entry"] == ("s", APP_ID)


def test_wheel_and_sdist_pass_twine_check(dist: Path) -> None:
    files = sorted(str(p) for p in dist.iterdir())
    assert sorted(Path(f).suffix for f in files) == [".gz", ".whl"]
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.netns
def test_pipx_installs_a_working_traywatch_that_finds_its_files_outside_the_source(
    dist: Path, tmp_path: Path, netns: str
) -> None:
    (wheel,) = dist.glob("traywatch-*.whl")
    # As a user's shell runs it: a PYTHONPATH pointing at a checkout would hide what the wheel lacks.
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "HOME": str(tmp_path / "home"),
    }
    subprocess.run(
        [sys.executable, "-m", "pipx", "install", str(wheel)], env=env, check=True, capture_output=True, timeout=900
    )
    traywatch = tmp_path / "bin" / "traywatch"
    away = tmp_path / "elsewhere"  # not the checkout: nothing may be found next to the source
    away.mkdir()
    version = subprocess.run([traywatch, "--version"], cwd=away, env=env, capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"traywatch {__version__}"
    where = subprocess.run(
        [
            tmp_path / "pipx" / "venvs" / "traywatch" / "bin" / "python",
            "-c",
            "import traywatch.resources as r, traywatch.catalog as c; "
            "print(r.resources_dir()); print(len(c.shipped_catalog().services))",
        ],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    resources, services = where.stdout.split()
    assert str(tmp_path / "pipx") in resources and str(ROOT) not in resources
    assert int(services) >= 4
    proc = subprocess.run(
        ["ip", "netns", "exec", netns, traywatch, "check", "--json"],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3, proc.stderr
    assert json.loads(proc.stdout)["verdict"]["kind"] == "offline"


# macOS and Windows, as far as they can be checked here.


def test_the_macos_bundle_is_a_menu_bar_app_under_the_app_id() -> None:
    info = plistlib.loads((ROOT / "packaging" / "macos" / "Info.plist").read_bytes())
    assert info["LSUIElement"] is True  # no Dock icon: it lives in the menu bar
    assert info["CFBundleIdentifier"] == APP_ID
    assert info["CFBundleShortVersionString"] == __version__


class Shell32:
    def __init__(self, result: int) -> None:
        self.result = result
        self.named: list[str] = []

    def SetCurrentProcessExplicitAppUserModelID(self, app_id: str) -> int:
        self.named.append(app_id)
        return self.result


def test_on_windows_the_process_is_named_for_its_notifications() -> None:
    from traywatch.ui.app import name_the_process_for_windows

    shell32 = Shell32(0)
    assert name_the_process_for_windows(shell32)
    assert shell32.named == [APP_ID]
    assert not name_the_process_for_windows(Shell32(-2147024809))  # E_INVALIDARG: said, not raised
    assert not name_the_process_for_windows(object())  # a Windows without it
    assert not name_the_process_for_windows()  # not Windows: nothing to do
