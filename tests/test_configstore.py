"""Config persistence: atomic saves, corrupt files kept aside, migrations, unknown keys kept."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traywatch.catalog import Control, Endpoint, Service, shipped_catalog
from traywatch.config import SCHEMA_VERSION, load_config, migrate
from traywatch.configstore import CatalogEdits, atomic_write_text, load_or_recover, move_aside, render, save
from traywatch.errors import ConfigError
from traywatch.model import Role
from traywatch.settings import SETTINGS, defaults

V1_FILE = """# my traywatch settings
[monitor]
interval = 120   # every two minutes is enough for me
recheck = 15

[check]
timeout = 3
max_redirects = 4

[future_feature]
colour = "teal"
"""


def test_migration_v1_to_v2_moves_settings_and_keeps_the_rest() -> None:
    import tomllib

    data, started = migrate(tomllib.loads(V1_FILE))
    assert started == 1
    assert data["version"] == 2 == SCHEMA_VERSION
    assert data["general"] == {"interval": 120, "recheck": 15}
    assert data["network"] == {"timeout": 3}
    assert data["check"] == {"max_redirects": 4}  # not a setting any more, but the user's
    assert data["future_feature"] == {"colour": "teal"}
    assert "monitor" not in data


def test_current_version_is_not_migrated() -> None:
    data, started = migrate({"version": 2, "general": {"interval": 30}})
    assert started == 2 and data == {"version": 2, "general": {"interval": 30}}


def test_app_load_migrates_the_file_after_keeping_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(V1_FILE)
    loaded = load_or_recover(path)
    assert loaded.config["general.interval"] == 120
    assert loaded.config.check.timeout == 3
    assert (tmp_path / "config.toml.v1-backup").read_text() == V1_FILE
    text = path.read_text()
    assert "version = 2" in text
    assert "# every two minutes is enough for me" in text  # comments survive
    assert 'colour = "teal"' in text
    assert load_config(path).migrated_from is None


def test_broken_config_is_kept_aside_and_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[general]\ninterval = 30\n[[service]]\nid = 'x'\n")  # a service with no endpoint
    loaded = load_or_recover(path)
    assert loaded.config["general.interval"] == 60  # defaults
    kept = list(tmp_path.glob("config.toml.broken-*"))
    assert len(kept) == 1
    assert kept[0].read_text() == "[general]\ninterval = 30\n[[service]]\nid = 'x'\n"
    assert str(kept[0]) in loaded.notice and "service" in loaded.notice  # its folder too
    assert loaded.title == "traywatch: settings file set aside"
    assert not path.exists()  # nothing overwrote it; the next save starts afresh


def test_two_broken_files_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    for text in ("x = [", "y = ["):
        path.write_text(text)
        load_or_recover(path)
    assert sorted(p.read_text() for p in tmp_path.glob("config.toml.broken-*")) == ["x = [", "y = ["]


def test_files_set_aside_in_the_same_second_are_numbered_in_turn(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    now = dt.datetime(2026, 11, 27, 14, 5, 9)
    names = []
    for text in ("a = [", "b = [", "c = ["):
        path.write_text(text)
        names.append(move_aside(path, now).name)
    stamp = "config.toml.broken-20261127-140509"
    assert names == [stamp, f"{stamp}-1", f"{stamp}-2"]
    assert [(tmp_path / name).read_text() for name in names] == ["a = [", "b = [", "c = ["]


def test_a_file_set_aside_says_where_its_problem_is(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[general]\ninterval = 30\n[[service]]\nid = 'x'\n")
    assert "(line 3, key service[0])" in load_or_recover(path).notice
    path.write_text("x = [")  # TOML that cannot be read says no line
    assert "(whole file)" in load_or_recover(path).notice


@pytest.mark.parametrize(
    ("lines", "named", "more"),
    [
        ("interval = 0\nrecheck = 0\n", 2, ""),
        ("interval = 0\nrecheck = 0\nmetered_interval = 0\n", 2, "; and 1 more"),
        ("interval = 0\nrecheck = 0\nmetered_interval = 0\nzzz = 1\n", 2, "; and 2 more"),
    ],
)
def test_the_notice_names_two_problems_and_counts_the_rest(tmp_path: Path, lines: str, named: int, more: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text("version = 2\n[general]\n" + lines)
    notice = load_or_recover(path).notice
    assert notice.count("line ") == named
    assert notice.endswith(f"{more}. Everything else in it is in use.")
    assert ("more." in notice) == bool(more)


def test_saving_some_settings_writes_those_and_leaves_the_rest_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("version = 2\n[network]\ntimeout = 9\n")
    config = save(path, {"general.interval": 30})
    assert config.monitor.interval == 30 and config["network.timeout"] == 9
    assert "interval = 30" in path.read_text() and "timeout = 9" in path.read_text()


def test_a_shipped_control_switched_off_is_written_and_switched_on_again_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    first = shipped_catalog().controls[0].id
    config = save(path, defaults(), CatalogEdits({}, (), (), frozenset(), control_toggles={first: False}))
    assert first not in [c.id for c in config.catalog.controls]
    config = save(path, defaults(), CatalogEdits({}, (), (), frozenset(), control_toggles={first: True}))
    assert first in [c.id for c in config.catalog.controls]
    assert first not in path.read_text()


def test_huge_config_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with path.open("wb") as handle:
        handle.write(b"# " + b"x" * (3 << 20) + b"\n")
    loaded = load_or_recover(path)
    assert "too big" in loaded.notice
    assert loaded.config["general.interval"] == 60


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(blob)
    loaded = load_or_recover(path)
    assert loaded.config.values  # started, on the file's settings or on defaults
    for stray in tmp_path.glob("config.toml.broken-*"):
        assert stray.read_bytes() == blob
        stray.unlink()


toml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from([s.section for s in SETTINGS] + ["catalog", "service", "control"]),
        st.dictionaries(st.sampled_from([s.name for s in SETTINGS] + ["id", "url"]), toml_values, max_size=4),
        max_size=3,
    )
)
def test_wrong_types_never_crash(tmp_path: Path, document: dict[str, object]) -> None:
    import tomlkit

    path = tmp_path / "config.toml"
    try:
        path.write_text(tomlkit.dumps(_drop_none(document)))
    except Exception:  # something TOML cannot hold: nothing to test
        return
    loaded = load_or_recover(path)
    assert loaded.config.values
    for stray in tmp_path.glob("config.toml.broken-*"):
        stray.unlink()


def _drop_none(value: object) -> object:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


def test_save_keeps_comments_unknown_keys_and_writes_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\nversion = 2\n\n[general]\ninterval = 90 # slower\n\n[plugins]\nmagic = true\n")
    values = {**defaults(), "general.interval": 30.0, "network.timeout": 7.5}
    config = save(path, values)
    text = path.read_text()
    assert "# mine" in text and "magic = true" in text
    assert "interval = 30.0" in text
    assert "timeout = 7.5" in text
    assert "recheck" not in text  # still the default: not pinned
    assert config.check.timeout == 7.5


def test_save_refuses_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="keyring"):
        save(tmp_path / "config.toml", {"forwarding.token": "hunter2"})
    assert not (tmp_path / "config.toml").exists()


def test_save_refuses_invalid_values_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("version = 2\n")
    with pytest.raises(ConfigError):
        save(path, {**defaults(), "network.proxy": "manual"})
    assert path.read_text() == "version = 2\n"


def test_catalog_edits_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    control = Control("office", "Office", "", Endpoint("check", Role.CONTROL, "http://192.0.2.1/ok", (200,), "ok"))
    edits = CatalogEdits(toggles={"threads": False}, services=(), controls=(control,), removed=frozenset())
    config = save(path, defaults(), edits)
    assert "threads" not in [s.id for s in config.catalog.services]
    assert "office" in [c.id for c in config.catalog.controls]
    # Switching Threads back on and removing the control leaves no trace of either.
    config = save(path, defaults(), CatalogEdits({"threads": True}, (), (), frozenset({"office"})))
    assert "threads" in [s.id for s in config.catalog.services]
    assert "office" not in path.read_text()


def test_a_service_with_a_chat_connection_and_the_api_expectation_round_trips(tmp_path: Path) -> None:
    chat = Endpoint("chat", Role.EDGE, "wss://chat.example/ws", (401,), origin="https://www.example")
    api = Endpoint("api", Role.EDGE, "https://api.example/me", expect_json=(("status", "fail"), ("ok", False)))
    web = Endpoint("web", Role.WEB, "https://www.example/")
    service = Service("work", "Work chat", ("example",), (web, chat, api), status_page=("graph-api",))
    config = save(tmp_path / "config.toml", defaults(), CatalogEdits({}, (service,), (), frozenset()))
    assert next(s for s in config.catalog.services if s.id == "work") == service


def test_render_of_empty_file_is_loadable() -> None:
    text = render("", defaults())
    assert text.strip() == "version = 2"


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    atomic_write_text(path, "a = 1\n")
    atomic_write_text(path, "b = 2\n")
    assert path.read_text() == "b = 2\n"
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp files left


SAVER = """
import sys
from pathlib import Path
from traywatch.configstore import atomic_write_text
path = Path(sys.argv[1])
texts = [Path(sys.argv[2]).read_text(), Path(sys.argv[3]).read_text()]
print("ready", flush=True)
i = 0
while True:
    atomic_write_text(path, texts[i % 2])
    i += 1
"""


def test_killed_mid_save_leaves_old_or_new_file(tmp_path: Path) -> None:
    # Big files make each write take long enough to be interrupted in the middle.
    old = "version = 2\n" + "".join(f"# old line {i} {'o' * 60}\n" for i in range(12000))
    new = "version = 2\n[general]\ninterval = 30\n" + "".join(f"# new {i} {'n' * 60}\n" for i in range(12000))
    (tmp_path / "old").write_text(old)
    (tmp_path / "new").write_text(new)
    path = tmp_path / "config.toml"
    path.write_text(old)
    rng = random.Random(7)
    for _ in range(40):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path), str(tmp_path / "old"), str(tmp_path / "new")],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.001, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert path.read_text() in (old, new)
        load_config(path)  # and it still loads
    for stray in tmp_path.glob(".config.toml.*.tmp"):
        stray.unlink()  # a killed writer may leave its temp file; the config itself is whole


def test_a_bad_value_falls_back_alone_and_is_named_with_the_full_path(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("version = 2\n[general]\ninterval = 0\nrecheck = 7\n[network]\ntimeout = 9\n")
    loaded = load_or_recover(path)
    assert path.exists()  # not set aside: one value was wrong, not the file
    config = loaded.config
    assert config.monitor.interval == 60  # the bad one: its default
    assert config.monitor.recheck == 7 and config["network.timeout"] == 9  # the rest: kept
    assert str(path) in loaded.notice and "general.interval" in loaded.notice
    assert "using the default, 60" in loaded.notice
    assert loaded.title == "traywatch: some settings were not used"


def test_an_unknown_key_is_named_with_a_guess(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("version = 2\n[general]\nintervall = 30\n")
    loaded = load_or_recover(path)
    assert "unknown key 'general.intervall' (did you mean 'interval'?)" in loaded.notice
    assert loaded.config.monitor.interval == 60


def test_check_stays_strict_and_names_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("version = 2\n[general]\ninterval = 0\n")
    with pytest.raises(ConfigError, match=r"general\.interval"):
        load_config(path)
    path.write_text("version = 2\n[network]\ntimout = 3\n")
    assert load_config(path).problems == (
        "line 3, key network.timout: unknown key 'network.timout' (did you mean 'timeout'?); it is ignored",
    )
