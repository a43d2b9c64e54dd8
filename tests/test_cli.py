"""``traywatch check`` as a process: text, JSON, exit codes, and a real offline network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import servers
from tests.helpers import config_text
from tests.servers import LocalServer
from traywatch.model import Layer, Observations, Outcome, ProbeResult, Role
from traywatch.report import to_text
from traywatch.verdict import decide

ROOT = Path(__file__).resolve().parent.parent


def run_check(
    *args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = (), timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "traywatch", "check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or dict(os.environ),
        cwd=ROOT,
    )


def local_config(tmp_path: Path, http_server: LocalServer, https_server: LocalServer, *, messenger_status: int) -> Path:
    web = https_server.route(f"/cli-web-{messenger_status}", servers.ok(b"hi", status=messenger_status))
    ctl = http_server.route("/cli-control", servers.ok(b"success"))
    path = tmp_path / "local.toml"
    edge = f"tls://127.0.0.1:{https_server.port}"
    # A version 1 file ([check]), as written before settings were grouped: still read.
    path.write_text(config_text("[check]\ntimeout = 2", {"messenger": [web, edge]}, [ctl]), encoding="utf-8")
    return path


def test_check_json_all_clear(tmp_path: Path, http_server: LocalServer, https_server: LocalServer) -> None:
    config = local_config(tmp_path, http_server, https_server, messenger_status=200)
    proc = run_check("--json", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == 1
    assert doc["verdict"]["kind"] == "all_clear"
    assert doc["exit_code"] == 0
    assert doc["controls"] == {"ok": 1, "total": 1, "results": doc["controls"]["results"]}
    endpoints = doc["services"][0]["endpoints"]
    assert [(e["id"], e["role"]) for e in endpoints] == [("e0", "web"), ("e1", "edge")]
    assert endpoints[0]["layer"] == "http" and endpoints[0]["status_code"] == 200
    assert endpoints[1]["layer"] == "tls" and endpoints[1]["outcome"] == "ok"
    assert set(endpoints[0]["layers_ms"]) == {"tcp", "tls", "http"}


def test_check_text_service_down(tmp_path: Path, http_server: LocalServer, https_server: LocalServer) -> None:
    config = local_config(tmp_path, http_server, https_server, messenger_status=503)
    proc = run_check("--config", str(config))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "It's not your wifi — Messenger is down"
    assert "answers HTTP 503" in lines[1]
    row = next(line for line in lines if line.startswith("Messenger"))
    assert "http_status" not in row and "http status" in row and " http " in row


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_terminal_that_cannot_show_a_dash_gets_plain_ascii_not_a_crash(
    tmp_path: Path, http_server: LocalServer, https_server: LocalServer, encoding: str
) -> None:
    config = local_config(tmp_path, http_server, https_server, messenger_status=503)
    proc = run_check("--config", str(config), env={**os.environ, "PYTHONIOENCODING": encoding})
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0] == "It's not your wifi - Messenger is down"


def test_check_bad_config_exits_2_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[check]\ntimeout = 'soon'\n", encoding="utf-8")
    proc = run_check("--config", str(bad))
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "check.timeout" in proc.stderr and "expected a number" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_usage_error_exits_2() -> None:
    proc = run_check("--timeout", "-1")
    assert proc.returncode == 2


def test_credentials_in_urls_never_reach_output(tmp_path: Path, http_server: LocalServer) -> None:
    ctl = http_server.route("/cli-secret", servers.ok(b"success"))
    config = tmp_path / "secret.toml"
    config.write_text(
        f"""
[catalog]
include_defaults = false
[[control]]
id = "c"
url = "{ctl.replace("http://", "http://alice:hunter2@")}"
""",
        encoding="utf-8",
    )
    for args in (("--json",), ()):
        proc = run_check(*args, "--config", str(config))
        assert "hunter2" not in proc.stdout + proc.stderr
        assert proc.returncode == 0, proc.stderr


# A real "no network": a namespace with only loopback (the netns fixture, conftest.py).


@pytest.mark.netns
def test_offline_namespace_says_your_connection(netns: str) -> None:
    started = time.perf_counter()
    proc = run_check("--json", prefix=("ip", "netns", "exec", netns))
    elapsed = time.perf_counter() - started
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"]["kind"] == "offline"
    assert doc["verdict"]["headline"] == "It's your connection"
    assert doc["controls"]["ok"] == 0 and doc["controls"]["total"] >= 5
    assert elapsed < 5.0  # the default probe timeout bounds the cycle


@pytest.mark.netns
def test_offline_with_a_silent_resolver_is_bounded_by_timeout(netns: str) -> None:
    """A resolver that never answers would make getaddrinfo wait 10 s or more; the cycle must not."""
    Path(f"/etc/netns/{netns}").mkdir(parents=True, exist_ok=True)
    Path(f"/etc/netns/{netns}/resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:5 attempts:2\n")
    subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True)
    blackhole = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            netns,
            sys.executable,
            "-c",
            "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 53));"
            "print('ready', flush=True)\nwhile True: s.recv(512)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert blackhole.stdout is not None and blackhole.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        proc = run_check("--json", "--timeout", "1.5", prefix=("ip", "netns", "exec", netns))
        elapsed = time.perf_counter() - started
    finally:
        blackhole.kill()
        blackhole.communicate()
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"]["kind"] == "offline"
    outcomes = {r["outcome"] for r in doc["controls"]["results"]}
    assert "timeout" in outcomes
    assert elapsed < 1.5 + 1.5  # the timeout plus process start-up, not the resolver's 10 s


# traywatch history


def _history(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "traywatch", "history", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_history_lists_what_the_tray_app_recorded() -> None:
    from traywatch.history import History
    from traywatch.paths import Paths

    empty = _history()
    assert empty.returncode == 0 and "No episodes recorded yet" in empty.stdout
    history = History(Paths.default().history_file)  # where the tray app writes (XDG_STATE_HOME)
    history.record("outage", "It's not your wifi — Messenger is down", "answers HTTP 503", at=1000.0)
    history.record("recovery", "Messenger is back (down 2 min)", "", at=1120.0)
    with history.path.open("a", encoding="utf-8") as handle:
        handle.write("{broken\n")

    text = _history("--events")
    assert text.returncode == 0
    assert [line.split("  ", 1)[1] for line in text.stdout.splitlines()] == [
        "It's not your wifi — Messenger is down — answers HTTP 503",
        "Messenger is back (down 2 min)",
    ]
    assert "1 unreadable line(s)" in text.stderr

    as_json = _history("--events", "--json", "--limit", "1")
    assert json.loads(as_json.stdout) == [
        {
            "at": 1120.0,
            "kind": "recovery",
            "title": "Messenger is back (down 2 min)",
            "body": "",
            "marks": [],
            "evidence": "",
        }
    ]
    assert _history("--limit", "0").returncode == 2


def test_check_shows_the_chat_layer_and_the_status_pages_word(
    tmp_path: Path, http_server: LocalServer, https_server: LocalServer
) -> None:
    web = https_server.route("/cli-meta-web", servers.ok(b"hi"))
    https_server.route("/ws/cli-chat", servers.ws_refuse(503, b"<html>upstream</html>", "text/html"))
    page = json.dumps(
        [{"id": "messenger", "name": "Messenger Platform", "services": [{"status": "Major disruptions"}]}]
    )
    https_server.route("/cli-page/data/orgs.json", servers.ok(page.encode(), 200, "application/json"))
    ctl = http_server.route("/cli-control", servers.ok(b"success"))
    text = config_text(
        f'[status_page]\nurl = "{https_server.url("/cli-page")}"\n[network]\ntimeout = 2',
        {"messenger": [web, f"wss://127.0.0.1:{https_server.port}/ws/cli-chat"]},
        [ctl],
    )
    config = tmp_path / "meta.toml"
    config.write_text(text.replace('name = "Messenger"\n', 'name = "Messenger"\nstatus_page = ["messenger"]\n'))

    proc = run_check("--json", "--config", str(config))
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == 1 and doc["verdict"]["kind"] == "service_down"
    chat = doc["services"][0]["endpoints"][1]
    assert (chat["layer"], chat["outcome"], chat["status_code"]) == ("chat", "http_status", 503)
    assert "site loads, but its chat connection fails" in doc["verdict"]["explanation"]
    assert "Meta's status page confirms: Messenger Platform — major disruptions" in doc["verdict"]["explanation"]
    page_doc = doc["status_page"]
    assert page_doc["available"] is True and page_doc["problem"] is None
    assert page_doc["products"] == [
        {
            "id": "messenger",
            "name": "Messenger Platform",
            "status": "Major disruptions",
            "level": "major",
            "since": None,
            "services": ["messenger"],
        }
    ]

    proc = run_check("--config", str(config))
    assert "chat" in proc.stdout
    assert "Meta's status page: Messenger Platform — major disruptions." in proc.stdout


def test_check_without_status_page_products_reads_no_page(
    tmp_path: Path, http_server: LocalServer, https_server: LocalServer
) -> None:
    config = local_config(tmp_path, http_server, https_server, messenger_status=200)
    doc = json.loads(run_check("--json", "--config", str(config)).stdout)
    assert doc["status_page"] is None


def test_without_a_display_the_tray_says_what_to_do_and_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, "-m", "traywatch"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 2  # never Qt's abort (134)
    assert "traywatch needs a desktop session (no DISPLAY or WAYLAND_DISPLAY)" in proc.stderr
    assert "traywatch check" in proc.stderr and "xcb" not in proc.stderr


def test_history_exports_episodes_as_csv_and_json_since_a_span() -> None:
    import csv
    import io
    import time

    from traywatch.history import History
    from traywatch.notices import Mark
    from traywatch.paths import Paths

    now = time.time()
    history = History(Paths.default().history_file)
    day = 86400.0
    old, recent = now - 9 * day, now - 2 * day
    history.record(
        "outage",
        "It's not your wifi — Messenger is down",
        "503",
        at=old + 60,
        marks=(Mark("messenger", "down", "start", old),),
    )
    history.record("recovery", "Messenger is back", "", at=old + 900, marks=(Mark("messenger", "", "end", old + 300),))
    history.record(
        "local", "It's your connection", "no answer", at=recent + 30, marks=(Mark("", "your_side", "start", recent),)
    )
    history.record("online", "You're back online", "", at=recent + 200, marks=(Mark("", "", "end", recent + 120),))
    history.record(
        "outage",
        "Instagram is blocked on this network",
        "451",
        at=now - 50,
        marks=(Mark("instagram", "blocked", "start", now - 100),),
    )

    rows = list(csv.reader(io.StringIO(_history("--csv").stdout)))
    assert rows[0] == ["start", "end", "duration_s", "service", "kind", "headline"]
    assert [(r[3], r[4], r[2]) for r in rows[1:]] == [
        ("messenger", "down", "300"),
        ("", "your_side", "120"),
        ("instagram", "blocked", rows[3][2]),
    ]
    assert rows[3][1] == ""  # still going on
    assert 100 <= int(rows[3][2]) < 200

    week = json.loads(_history("--json", "--since", "7d").stdout)
    assert [(e["service"], e["kind"]) for e in week] == [("", "your_side"), ("instagram", "blocked")]
    assert week[0]["duration_s"] == 120 and week[0]["headline"] == "It's your connection"
    assert week[0]["evidence"] == "no answer"
    assert _history("--since", "soon").returncode == 2
    text = _history().stdout
    assert "your connection" in text and "going on" in text


def test_a_command_ends_on_an_error_in_one_wording() -> None:
    from traywatch.errors import EXIT_INTERNAL, EXIT_USAGE, TraywatchError, ending

    assert ending(TraywatchError("Bad config", "line 3: not a number")) == (
        "traywatch: line 3: not a number",
        EXIT_USAGE,
    )
    words, code = ending(ValueError("https://user:hunter2@proxy.example/"))
    assert code == EXIT_INTERNAL
    assert words == "traywatch: internal error (ValueError); run with --verbose for details"
    assert "hunter2" not in words


def test_the_text_table_cuts_a_long_detail_at_48_characters_with_a_mark_and_nothing_else() -> None:
    def probe(target: str, host: str, role: Role, detail: str) -> ProbeResult:
        return ProbeResult(
            target, host.split(".", maxsplit=1)[0], role, f"https://{host}/", host, Outcome.OK, Layer.HTTP, 42.0, detail
        )

    long_detail = "answers 200 after " + "x" * 100
    just_fits = "y" * 48
    services = (
        probe("messenger", "www.messenger.com", Role.WEB, long_detail),
        probe("messenger", "chat.messenger.com", Role.EDGE, just_fits),
    )
    controls = tuple(probe(f"c{i}", f"c{i}.example", Role.CONTROL, "answers 204") for i in range(3))
    obs = Observations(services, controls, (), 2500, service_names=(("messenger", "Messenger"),))
    lines = to_text(decide(obs), obs).splitlines()
    (row,) = [line for line in lines if "www.messenger.com" in line]
    # The detail cut to 48 with a mark that there is more, two spaces, the latency right-aligned.
    assert row.startswith("Messenger") and row.endswith(long_detail[:47] + "…  " + "42 ms".rjust(len("LATENCY")))
    (fits,) = [line for line in lines if "chat.messenger.com" in line]
    assert fits.endswith(just_fits + "  " + "42 ms".rjust(len("LATENCY")))  # 48 is not cut
    assert lines.index(row) == lines.index(next(line for line in lines if "HOST" in line)) + 1
    control_rows = [line for line in lines if ".example" in line]
    assert [line.startswith("Controls") for line in control_rows] == [True, False, False]


@pytest.mark.parametrize(("duration_ms", "shown"), [(1049.9, "1.0 s"), (1050.1, "1.1 s")])
def test_the_text_says_how_long_the_check_took_in_seconds(duration_ms: float, shown: str) -> None:
    control = ProbeResult("c", "c", Role.CONTROL, "https://c.example/", "c.example", Outcome.OK, Layer.HTTP, 5.0)
    obs = Observations((), (control,), (), 2500, duration_ms=duration_ms)
    assert f"Checked in {shown}; controls 1/1 ok." in to_text(decide(obs), obs)
