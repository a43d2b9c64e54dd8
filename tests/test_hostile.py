"""Hostile answers and configs, met as an attacker would send them: each finding of the
security review has its test here."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st

from tests import servers
from tests.desktop import Desktop
from tests.helpers import config_text, control, cycle, probe, resolver, service
from tests.servers import LocalServer
from traywatch.catalog import Catalog, Endpoint, Service
from traywatch.config import load_config
from traywatch.configstore import Loaded, load_or_recover
from traywatch.errors import ConfigError
from traywatch.forwarding import Outcome as Forwarded
from traywatch.forwarding import Target, request_for
from traywatch.model import Outcome, ProbeSettings, Role
from traywatch.notices import Notification, Urgency
from traywatch.probes import run_cycle
from traywatch.text import markless, markup, plain, redact, slack, terminal, unmention

ROOT = Path(__file__).resolve().parent.parent
EVIL = '<a href="https://evil.example/login">Click here to restore Messenger</a> <img src=x> @everyone <!channel>'


def _raw_server(answer: bytes) -> tuple[int, threading.Event]:
    """A TCP server on 127.0.0.1 that answers every connection with ``answer`` and closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(answer)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1]), stop


# 1. Server text reaches notifications and webhooks only through one way out.


def test_a_malformed_status_line_is_plain_text_in_the_probe_detail() -> None:
    port, stop = _raw_server(f"HTTP/1.1 2x {EVIL}\r\n\r\n".encode())
    try:
        result = probe(f"http://127.0.0.1:{port}/")
    finally:
        stop.set()
    assert result.outcome is Outcome.MALFORMED
    assert result.detail == "malformed HTTP answer (bad status line)"  # no byte of the server's in it


def test_webhook_bodies_neutralise_mentions_and_markup() -> None:
    note = Notification("It's not your wifi — Messenger is down", EVIL, Urgency.CRITICAL)
    _, body = request_for(Target("https://discord.example/api/webhooks/1/x"), note)
    assert body["allowed_mentions"] == {"parse": []}  # Discord: nobody is pinged
    assert "<!channel>" not in body["text"] and "&lt;!channel&gt;" in body["text"]  # Slack: no broadcast
    assert "<a href" not in body["text"]
    assert "@everyone" not in body["content"]  # nor in what Discord and Matrix show


# 2. A password in an endpoint URL never leaks.


def test_a_password_in_a_redirecting_url_is_redacted_everywhere(tmp_path: Path, http_server: LocalServer) -> None:
    loop_url = http_server.route("/loop-pw", servers.redirect("/loop-pw"))
    secret_url = loop_url.replace("http://", "http://alice:s3cret@")
    result = probe(secret_url, domains=["127.0.0.1"])
    assert result.outcome is Outcome.REDIRECT_LOOP
    assert "s3cret" not in result.detail and "s3cret" not in result.url
    assert "s3cret" not in (result.redirect_to or "")


def test_check_output_never_shows_the_password(tmp_path: Path, http_server: LocalServer) -> None:
    loop_url = http_server.route("/loop-pw2", servers.redirect("/loop-pw2"))
    ok = http_server.route("/ok", servers.ok(b"success"))
    config = tmp_path / "c.toml"
    config.write_text(config_text("", {"svc": [loop_url.replace("http://", "http://alice:s3cret@")]}, [ok]))
    for args in (["--json"], []):
        proc = subprocess.run(
            [sys.executable, "-m", "traywatch", "check", "--config", str(config), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert proc.returncode == 1, proc.stderr
        assert "s3cret" not in proc.stdout + proc.stderr


# 13. Terminal escapes from a config reach the terminal visibly, never raw.


def test_terminal_escapes_in_a_service_name_are_shown_not_obeyed(tmp_path: Path, http_server: LocalServer) -> None:
    ok = http_server.route("/ok", servers.ok(b"success"))
    config = tmp_path / "c.toml"
    text = config_text("", {"svc": [ok]}, [ok]).replace('name = "Svc"', 'name = "Evil\\u001b]0;pwned\\u0007\\u001b[2J"')
    config.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "traywatch", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "Evil" in proc.stdout
    json_proc = subprocess.run(
        [sys.executable, "-m", "traywatch", "check", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert "\x1b" not in json_proc.stdout  # JSON escapes it: \u001b
    assert json.loads(json_proc.stdout)["services"][0]["name"].startswith("Evil")


# The one way out, whatever comes in.


@given(st.text(), st.integers(min_value=2, max_value=300))
def test_plain_is_one_printable_line_within_its_limit(text: str, limit: int) -> None:
    line = plain(text, limit)
    assert len(line) <= limit
    assert not any(unicodedata.category(c)[0] == "C" for c in line)
    assert "\n" not in line and "\r" not in line


def test_plain_keeps_a_line_of_its_limit_whole_and_cuts_one_more() -> None:
    assert plain("x" * 120) == "x" * 120  # the default limit
    assert plain("x" * 121) == "x" * 119 + "…"
    assert plain("ab cd", 5) == "ab cd" and plain("ab cde", 5) == "ab c…"


_USERINFO_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:%"


@given(st.text(alphabet=_USERINFO_CHARS, min_size=1, max_size=30))
def test_credentials_never_survive_in_any_url(secret: str) -> None:
    text = f"redirect loop at https://alice:{secret}@example.com/x, then wss://{secret}@h.example/"
    cleaned = redact(text)
    assert f"{secret}@" not in cleaned and "alice" not in cleaned
    assert cleaned == "redirect loop at https://example.com/x, then wss://h.example/"


@given(st.text())
def test_terminal_obeys_no_control_character(text: str) -> None:
    shown = terminal(text)
    assert not any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" for c in shown)


def test_each_way_out_escapes_for_its_reader() -> None:
    assert markup("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert markless("<a href=x>y</a> & z") == "\u2039a href=x\u203ay\u2039/a\u203a \uff06 z"
    assert slack("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    assert "@everyone" not in unmention("hi @everyone @Here @room @channel")
    assert unmention("mail me@example.com") == "mail me@example.com"
    assert terminal("a\x1b[2Jb\u202ec") == "a\\x1b[2Jb\\u202ec"
    assert terminal("soft\xadhyphen\x9b") == "soft\\xadhyphen\\x9b"  # below U+0100: two digits


def test_notification_bodies_follow_what_the_server_says_it_reads() -> None:
    from traywatch.notify import body_text

    assert body_text(EVIL, reads_markup=True).startswith("&lt;a href=")
    assert "<" not in body_text(EVIL, reads_markup=False) and "&lt;" not in body_text(EVIL, reads_markup=False)


# 3. One odd answer or accepted value never kills the cycle: the probe says what went wrong.


def _ok_control(http_server: LocalServer) -> list[object]:
    return [control("c", http_server.route("/ok", servers.ok(b"success")))]


def test_a_redirect_to_an_impossible_port_is_that_probes_failure(http_server: LocalServer) -> None:
    bad = http_server.route("/to-99999", servers.redirect("http://127.0.0.1:99999/"))
    good = http_server.route("/fine", servers.ok(b"hi"))
    obs = cycle([service("a", bad, domains=["127.0.0.1"]), service("b", good)], _ok_control(http_server))  # type: ignore[list-item]
    first, second = obs.services
    assert not first.ok and first.outcome in (Outcome.REDIRECT_OFFSITE, Outcome.MALFORMED, Outcome.ERROR)
    assert second.ok  # the rest of the cycle stands


def test_a_doh_answer_nested_30000_deep_is_unavailable(http_server: LocalServer, https_server: LocalServer) -> None:
    https_server.route("/deep-doh", servers.ok(b"[" * 30000 + b"]" * 30000, 200, "application/dns-json"))
    obs = cycle(
        [service("a", "https://no-such-name.invalid/")],
        _ok_control(http_server),  # type: ignore[arg-type]
        [resolver("deep", https_server.url("/deep-doh"))],
    )
    assert obs.doh and all(a.status.value == "unavailable" for a in obs.doh)


@pytest.mark.parametrize(("extra", "status"), [(0, "noerror"), (1, "unavailable")])
def test_a_doh_answer_larger_than_its_cap_is_unavailable(
    http_server: LocalServer, https_server: LocalServer, extra: int, status: str
) -> None:
    from traywatch.probes.doh import _ANSWER_CAP

    assert _ANSWER_CAP == 64 * 1024  # docs/verdicts.md
    head, tail = b'{"Status": 0, "Answer": [], "pad": "', b'"}'
    answer = head + b"x" * (_ANSWER_CAP + extra - len(head) - len(tail)) + tail  # the cap, or one byte more
    https_server.route(f"/doh-{extra}", servers.ok(answer, 200, "application/dns-json"))
    obs = cycle(
        [service("a", "https://no-such-name.invalid/")],
        _ok_control(http_server),  # type: ignore[arg-type]
        [resolver("big", https_server.url(f"/doh-{extra}"))],
    )
    assert obs.doh and all(a.status.value == status for a in obs.doh)
    if extra:
        assert all(a.detail == "answer too large" for a in obs.doh)


def test_a_url_httpx_cannot_take_is_that_probes_error(http_server: LocalServer) -> None:
    odd = Endpoint("web", Role.WEB, "https://☃.com/")
    obs = cycle([Service("a", "A", (), (odd,))], _ok_control(http_server))  # type: ignore[arg-type]
    assert obs.services[0].outcome is not Outcome.OK


def test_an_extra_ca_that_is_not_pem_is_refused_when_read_and_never_kills_a_cycle(
    tmp_path: Path, http_server: LocalServer
) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("this is not a certificate\n")
    config = tmp_path / "c.toml"
    config.write_text(f'[network]\nextra_ca = "{junk}"\n')
    with pytest.raises(ConfigError, match="extra_ca"):
        load_config(config)
    ok = http_server.route("/fine2", servers.ok(b"hi"))
    catalog = Catalog((service("a", ok),), tuple(_ok_control(http_server)), ())  # type: ignore[arg-type]
    obs = asyncio.run(run_cycle(catalog, ProbeSettings(timeout=2.0, extra_ca=junk)))
    assert obs.services[0].ok


def _refused_by_check_then_recovered(path: Path, text: str, expected: str) -> Loaded:
    """``traywatch check`` refuses the file, naming ``expected``; then the tray loads it as it starts."""
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    return load_or_recover(path)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("[[resolver]]\nid = 'r'\nurl = 'https://1.1.1.1:99999/dns-query'\n", "65535"),
        ("[[service]]\nid = 'a'\n[[service.endpoint]]\nid = 'w'\nurl = 'https://☃.com/'\n", "host name"),
        ("[[service]]\nid = 'a'\n[[service.endpoint]]\nid = 'w'\nurl = 'https://[oops/'\n", "not a valid URL"),
        ("[forwarding]\nurl = 'http://[oops/'\n", "not a valid URL"),
        ("[network]\nproxy = 'manual'\nproxy_url = 'http://[::1'\n", "not a valid URL"),
    ],
)
def test_urls_are_checked_when_the_config_is_read(tmp_path: Path, entry: str, expected: str) -> None:
    path = tmp_path / "c.toml"
    loaded = _refused_by_check_then_recovered(
        path, entry, expected
    )  # the tray: a bad setting falls back alone; a bad entry sets the file aside
    if entry.startswith(("[forwarding]", "[network]")):
        assert "using the default" in loaded.notice and path.exists()
    else:
        assert "kept as" in loaded.notice and not path.exists()


@given(st.binary(max_size=2048))
def test_any_doh_answer_parses_to_an_answer(payload: bytes) -> None:
    from traywatch.probes.doh import parse_answer

    answer = parse_answer("r", "h.example", payload, 1.0)
    assert answer.name == "h.example"


@given(st.integers(min_value=1, max_value=50_000), st.sampled_from([b"[", b'{"a":']))
def test_deep_json_is_refused_before_the_parser_recurses(depth: int, opener: bytes) -> None:
    from traywatch import jsonbound

    closer = b"]" if opener == b"[" else b"}"
    document = opener * depth + b"1" + closer * depth
    if depth <= jsonbound.MAX_DEPTH:
        assert jsonbound.loads(document) is not None
    else:
        with pytest.raises(jsonbound.TooDeep):
            jsonbound.loads(document)


def test_brackets_inside_strings_are_not_depth() -> None:
    from traywatch import jsonbound

    assert jsonbound.loads(json.dumps({"s": "[" * 1000 + '\\"{'}).encode()) == {"s": "[" * 1000 + '\\"{'}


# 4, 5 and 9. Every config problem is a config error: kept aside by the tray, exit 2 for check.


def _check_config(path: Path, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "traywatch", "check", "--config", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[general]\ninterval = nan\n", "finite"),
        ("[network]\ntimeout = nan\n", "finite"),
        ("[network]\ntimeout = inf\n", "finite"),
        ("[general]\nhold_down = -inf\n", "finite"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
        ("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n", "nested"),
    ],
)
def test_odd_numbers_and_deep_nesting_are_config_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    loaded = _refused_by_check_then_recovered(
        path, text, expected
    )  # the tray: the value alone falls back, or the file is kept aside
    if "nested" in expected:
        assert "kept as" in loaded.notice and not path.exists()
    else:
        assert "using the default" in loaded.notice and expected in loaded.notice and path.exists()
    assert loaded.config.monitor.interval == 60


def test_special_files_are_refused_at_once(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        proc = _check_config(path)  # would hang on the FIFO, or grow without end on /dev/zero
        assert proc.returncode == 2, proc.stderr
        assert "not a regular file" in proc.stderr


def test_an_oversize_config_is_refused_by_check_too(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("# padding\n" * 200_000)
    proc = _check_config(path)
    assert proc.returncode == 2 and "too big" in proc.stderr


def test_catalogs_beyond_the_bound_are_refused_quickly(tmp_path: Path) -> None:
    import time

    from traywatch.catalog import MAX_ENDPOINTS

    assert MAX_ENDPOINTS == 200  # docs/catalog.md, and the error people read
    many = "".join(f"[[control]]\nid='{i}'\nurl='http://h/'\n" for i in range(26_000))  # under 1 MB
    path = tmp_path / "many.toml"
    path.write_text(many)
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=f"at most {MAX_ENDPOINTS}"):
        load_config(path)
    assert time.perf_counter() - started < 3.0  # linear, not 8.9 s of duplicate checks
    at_bound = "".join(f"[[control]]\nid = 'c{i}'\nurl = 'http://h{i}.example/'\n" for i in range(MAX_ENDPOINTS))
    path.write_text("[catalog]\ninclude_defaults = false\n" + at_bound)
    assert len(load_config(path).catalog.controls) == MAX_ENDPOINTS
    path.write_text("[catalog]\ninclude_defaults = false\n" + at_bound + "[[control]]\nid = 'x'\nurl = 'http://x/'\n")
    with pytest.raises(ConfigError):
        load_config(path)


# 7. A hostile webhook costs a bounded amount of memory and time.


def _bomb(body: bytes) -> servers.Route:
    def route(h: servers.Handler) -> None:
        h.rfile.read(int(h.headers.get("Content-Length", "0")))
        h.reply(200, body, {"Content-Encoding": "gzip", "Content-Type": "application/json"})

    return route


def _drip(h: servers.Handler) -> None:
    import time

    h.rfile.read(int(h.headers.get("Content-Length", "0")))
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    for _ in range(100):
        if h.server.stopping.wait(0.3):
            return
        try:
            h.wfile.write(b"x")
            h.wfile.flush()
        except OSError:
            return
    time.sleep(0)


def test_a_gzip_bomb_from_a_webhook_is_never_unpacked(http_server: LocalServer) -> None:
    import gzip
    import tracemalloc

    from traywatch.forwarding import forward

    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB of zeros in about 64 KiB
    url = http_server.route("/bomb", _bomb(bomb))
    # Once first, so that only the answer is measured, not the client's modules loading (8-10 MB
    # when this test runs on its own).
    assert asyncio.run(forward(Target(http_server.route("/plain", servers.ok(b""))), Notification("t", "b"))).ok
    tracemalloc.start()
    outcome = asyncio.run(forward(Target(url), Notification("t", "b"), attempts=1))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert outcome.ok
    assert peak < 8 << 20  # not 64 MiB, let alone 2 GB


def test_a_webhook_that_drips_its_answer_is_cut_at_the_deadline(http_server: LocalServer) -> None:
    import time

    from traywatch.forwarding import forward

    url = http_server.route("/drip", _drip)
    started = time.perf_counter()
    outcome = asyncio.run(forward(Target(url), Notification("t", "b"), attempts=1, deadline=1.0))
    assert time.perf_counter() - started < 2.0  # one byte every 0.3 s would never hit a 5 s read timeout
    assert not outcome.ok or outcome.detail


def test_slow_webhooks_cannot_pile_up(http_server: LocalServer) -> None:
    from traywatch.forwarding import ANSWER_CAP, QUEUE_LIMIT, WebhookSink
    from traywatch.loop_thread import LoopThread

    assert (QUEUE_LIMIT, ANSWER_CAP) == (8, 4096)  # docs/settings.md: at most 8 waiting, 4 KiB read
    url = http_server.route("/slow-hook", servers.slow(0.3, b"ok"))
    outcomes: list[object] = []
    loop = LoopThread()
    loop.start()
    try:
        sink = WebhookSink(
            loop.submit, lambda: {"forwarding.url": url, "forwarding.format": "json"}, lambda: "", outcomes.append
        )
        for i in range(QUEUE_LIMIT * 3):
            sink.deliver(Notification(f"note {i}", ""))
        assert sink.pending() <= QUEUE_LIMIT
        servers.wait_until(lambda: sink.pending() == 0 and not sink.busy(), timeout=30)
    finally:
        loop.stop()
    assert len(outcomes) <= QUEUE_LIMIT + 1
    assert sink.dropped >= QUEUE_LIMIT * 2 - 1
    assert any("dropped" in getattr(o, "detail", "") for o in outcomes)


# 11 and 12. The log is private and names hosts only, --verbose included.


def test_verbose_logs_name_hosts_never_urls_and_the_log_is_private(tmp_path: Path, root_logger: logging.Logger) -> None:
    import stat

    from traywatch.logs import setup_logging

    path = setup_logging(tmp_path / "log", verbose=True)
    assert path is not None
    hook = "https://discord.com/api/webhooks/123/sEcReTtOkEn?wait=true"
    logging.getLogger("httpx").info('HTTP Request: POST %s "HTTP/1.1 204 No Content"', hook)
    logging.getLogger("traywatch.x").info("redirect loop at http://alice:s3cret@h.example:8080/p")
    for handler in root_logger.handlers:
        handler.flush()
    text = path.read_text()
    assert "sEcReTtOkEn" not in text and "s3cret" not in text and "/api/webhooks" not in text
    assert "https://discord.com/…" in text and "http://h.example:8080/…" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# 10 and 11. History survives torn lines and odd records; files are private and links kept.

from traywatch.history import History  # noqa: E402


def test_a_torn_last_line_costs_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text('{"at": 1800000000, "kind": "outage", "title": "A", "body": ""}\n{"at": 18000')  # disk was full
    history = History(path)
    history.record("recovery", "B", "")
    recent = history.recent()
    assert [e.title for e in recent.events] == ["A", "B"] and recent.unreadable == 1


def test_a_huge_torn_line_then_a_record_keeps_the_record(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"at": 1, "title": "' + b"x" * (8 << 20))  # 8 MB with no end (100 MB in the report)
    history = History(path)
    history.record("outage", "after the tear", "")
    assert [e.title for e in history.recent().events] == ["after the tear"]


@pytest.mark.parametrize("at", ["1e400", "-1e400", "NaN", "Infinity", "1e300", "-5"])
def test_impossible_times_are_unreadable_lines_not_crashes(tmp_path: Path, at: str) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(f'{{"at": {at}, "kind": "outage", "title": "odd", "body": ""}}\n')
    History(path).record("outage", "fine", "")
    recent = History(path).recent()
    assert [e.title for e in recent.events] == ["fine"] and recent.unreadable == 1
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    state = tmp_path / "state" / "traywatch"
    state.mkdir(parents=True)
    (state / "history.jsonl").write_text(path.read_text())
    import os

    for args in (["history", "--events"], ["history", "--events", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "traywatch", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **env},
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
    assert [e["title"] for e in json.loads(proc.stdout)] == ["fine"]  # strict JSON: no NaN, no Infinity


def test_history_is_private(tmp_path: Path) -> None:
    import stat

    path = tmp_path / "state" / "history.jsonl"
    History(path).record("outage", "x", "")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_trims_killed_midway_leave_no_temp_file_behind(tmp_path: Path) -> None:
    import os
    import random
    import signal
    import time

    path = tmp_path / "history.jsonl"
    script = (
        "import sys\nfrom pathlib import Path\nfrom traywatch.history import History\n"
        "h = History(Path(sys.argv[1]), max_bytes=4096)\n"
        "while True:\n    h.record('outage', 'x' * 200, 'y' * 200)\n"
    )
    rng = random.Random(4)
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT)
        time.sleep(0.25 + rng.random() * 0.25)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    History(path).record("outage", "last", "")  # the next writer sweeps what a killed one left
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert History(path).recent(1).events[-1].title == "last"


def test_saving_through_a_symlinked_config_keeps_the_link(tmp_path: Path) -> None:
    from traywatch.configstore import CatalogEdits, save
    from traywatch.settings import defaults

    real = tmp_path / "dotfiles" / "traywatch.toml"
    real.parent.mkdir()
    real.write_text("version = 2\n")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    values = defaults()
    values["general.interval"] = 90.0
    save(link, values, CatalogEdits({}, (), (), frozenset()))
    assert link.is_symlink() and link.resolve() == real
    assert "interval = 90" in real.read_text()


# 8. Another local user cannot take the single-instance name.


def test_without_a_runtime_folder_the_name_is_in_a_private_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import stat

    from traywatch.ui.single_instance import server_name

    monkeypatch.delenv("XDG_RUNTIME_DIR")
    name = Path(server_name())
    folder = name.parent.stat()
    assert name.is_absolute() and folder.st_uid == os.getuid() and stat.S_IMODE(folder.st_mode) == 0o700


def test_a_shared_runtime_folder_is_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os
    import stat

    from traywatch.ui.single_instance import server_name

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    name = Path(server_name())
    assert shared not in name.parents
    assert stat.S_IMODE(name.parent.stat().st_mode) == 0o700 and name.parent.stat().st_uid == os.getuid()


@pytest.mark.skipif(not hasattr(__import__("os"), "getuid") or __import__("os").getuid() != 0, reason="needs root")
def test_a_squatted_fallback_folder_or_socket_is_not_trusted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os
    import pwd
    import socket as sock

    from traywatch.ui import single_instance

    nobody = pwd.getpwnam("nobody").pw_uid
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr(single_instance, "_candidates", lambda: [tmp_path / "squatted"])
    squatted = tmp_path / "squatted"
    squatted.mkdir(mode=0o700)
    with sock.socket(sock.AF_UNIX, sock.SOCK_DGRAM) as other:
        other.bind(str(squatted / "traywatch.sock"))
        os.chown(squatted / "traywatch.sock", nobody, nobody)
        os.chown(squatted, nobody, nobody)
        # Another user's folder and socket: neither a running traywatch nor a place to listen.
        assert not single_instance.ask_running_instance_to_show()
        assert squatted not in Path(single_instance.server_name()).parents


def test_a_show_request_from_another_uid_is_ignored() -> None:
    import os
    import socket as sock

    from traywatch.ui.single_instance import _UCRED, _sent_by_us

    if not hasattr(sock, "SCM_CREDENTIALS"):
        pytest.skip("no SCM_CREDENTIALS here")
    ours = [(sock.SOL_SOCKET, sock.SCM_CREDENTIALS, _UCRED.pack(1, os.getuid(), 0))]
    theirs = [(sock.SOL_SOCKET, sock.SCM_CREDENTIALS, _UCRED.pack(1, os.getuid() + 1, 0))]
    assert _sent_by_us(ours) and not _sent_by_us(theirs) and not _sent_by_us([])


# 6. Secrets go only where they were saved for, and never over plain http.

from traywatch.secretbind import is_secret_url, origin, pack, release, unpack  # noqa: E402


def test_release_follows_where_the_secret_was_saved_for() -> None:
    saved = pack("tok", "https://hooks.example/a")
    assert unpack(saved) == ("tok", "https://hooks.example")
    assert release(saved, "https://hooks.example/b", "token").secret == "tok"  # same origin, other path
    moved = release(saved, "https://evil.example/a", "token")
    assert moved.secret is None and "saved for https://hooks.example" in moved.reason
    assert "https://evil.example" in moved.reason
    other_port = release(saved, "https://hooks.example:8443/a", "token")
    assert other_port.secret is None
    downgraded = release(pack("tok", "http://hooks.example/a"), "http://hooks.example/a", "token")
    assert downgraded.secret is None and "plain http" in downgraded.reason
    proxy = pack("pw", "http://127.0.0.1:3128")
    assert release(proxy, "http://127.0.0.1:3128", "proxy password", loopback_http=True).secret == "pw"
    assert release(pack("pw", "http://proxy.lan:3128"), "http://proxy.lan:3128", "p", loopback_http=True).secret is None
    legacy = release("tok", "https://hooks.example/a", "token")  # saved before secrets were bound
    assert legacy.secret is None and "enter it again" in legacy.reason


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.example:443/a", "https://hooks.example"),  # the scheme's own port is the same place
        ("http://proxy.example:80", "http://proxy.example"),
        ("https://hooks.example:80/a", "https://hooks.example:80"),  # another scheme's port is not
        ("http://proxy.example:443", "http://proxy.example:443"),
        ("//hooks.example/a", ""),  # no scheme
        ("https:///a", ""),  # no host
        ("hooks.example", ""),
    ],
)
def test_an_origin_is_the_scheme_host_and_a_port_only_when_it_is_not_the_scheme_s_own(url: str, expected: str) -> None:
    assert origin(url) == expected


def test_a_secret_saved_with_the_default_port_written_out_is_sent_to_the_same_address_without_it() -> None:
    assert release(pack("tok", "https://hooks.example:443/a"), "https://hooks.example/b", "token").secret == "tok"


@pytest.mark.parametrize(
    "stored",
    ['{"secret": 5, "for": "https://hooks.example"}', '{"secret": "tok"}', '{"for": "https://hooks.example"}', "[1]"],
)
def test_a_keyring_entry_of_another_shape_is_read_as_a_secret_saved_before_binding(stored: str) -> None:
    # Whatever else sits in the keyring under our name is never taken for a bound secret.
    assert unpack(stored) == (stored, None)


def test_a_legacy_secret_for_a_setting_with_no_address_yet_names_no_empty_place() -> None:
    reason = release("tok", "", "token").reason
    assert reason == "The token is not sent: enter it again in Settings, to tie it to its address."


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://hooks.slack.com/services/T00/B00/XXXX", True),
        ("https://discord.com/api/webhooks/1/abc", True),
        ("https://matrix.example/_matrix/hook?access_token=abc", True),
        ("https://ntfy.sh/my-alerts", False),
        ("https://discord.com/channels/1", False),
    ],
)
def test_which_webhook_urls_are_credentials(url: str, secret: bool) -> None:
    assert is_secret_url(url) is secret
    assert origin(url).startswith("https://")


def _recorder(seen: list[dict[str, str]]) -> servers.Route:
    def route(h: servers.Handler) -> None:
        h.rfile.read(int(h.headers.get("Content-Length", "0")))
        seen.append({k.lower(): v for k, v in h.headers.items()})
        h.reply(204)

    return route


def test_a_token_goes_only_to_the_webhook_it_was_saved_for(
    desktop: Desktop,
    monkeypatch: pytest.MonkeyPatch,
    ca: trustme.CA,
    https_server: LocalServer,
    http_server: LocalServer,
) -> None:
    from traywatch.forwarding import WebhookSink, webhook_credentials
    from traywatch.loop_thread import LoopThread
    from traywatch.secretstore import open_secret_store

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    store = open_secret_store()
    assert store.available
    other = LocalServer(servers.server_context(ca, "127.0.0.1"))  # a second https origin (another port)
    seen: dict[str, list[dict[str, str]]] = {"good": [], "evil": [], "plain": []}
    urls = {
        "good": https_server.route("/hook-good", _recorder(seen["good"])),
        "evil": other.route("/hook-evil", _recorder(seen["evil"])),
        "plain": http_server.route("/hook-plain", _recorder(seen["plain"])),
    }
    outcomes: list[Forwarded] = []
    loop = LoopThread()
    loop.start()

    def send(url: str) -> None:
        values = {"forwarding.url": url, "forwarding.format": "json"}
        sink = WebhookSink(loop.submit, lambda: values, lambda u: webhook_credentials(store, u), outcomes.append)
        sink.deliver(Notification("t", "b"))
        assert servers.wait_until(lambda: sink.pending() == 0 and not sink.busy(), timeout=20)

    try:
        store.set("forwarding.token", pack("tok-42", urls["good"]))
        for name in ("good", "evil", "plain"):
            send(urls[name])
        store.set("forwarding.token", pack("tok-42", urls["plain"]))  # saved for a plain-http address
        send(urls["plain"])
    finally:
        loop.stop()
        other.stop()
        store.delete("forwarding.token")
    assert seen["good"][0].get("authorization") == "Bearer tok-42"
    assert "authorization" not in seen["evil"][0]  # the config was pointed elsewhere: not sent there
    assert all("authorization" not in h for h in seen["plain"])  # never over plain http
    warnings = [o.warning for o in outcomes]
    assert warnings[0] == "" and "was saved for" in warnings[1] and "plain http" in warnings[3]


def test_a_webhook_address_kept_in_the_keyring_is_the_one_posted_to(
    desktop: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traywatch.forwarding import webhook_credentials
    from traywatch.secretbind import SECRET_URL_KEY, stash_secret_url
    from traywatch.secretstore import open_secret_store

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    store = open_secret_store()
    assert store.available
    secret_url = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
    try:
        kept_in_file = stash_secret_url(store, secret_url)
        assert kept_in_file == "https://hooks.slack.com/"  # the file keeps only where it posts
        assert webhook_credentials(store, kept_in_file).url == secret_url
        # The file pointed elsewhere: the kept address is not used for it.
        assert webhook_credentials(store, "https://other.example/").url == "https://other.example/"
    finally:
        store.delete(SECRET_URL_KEY)


def test_the_proxy_password_goes_only_to_the_proxy_it_was_saved_for(
    desktop: Desktop, tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:

    from traywatch.secretstore import open_secret_store

    seen: list[str] = []

    def proxied(h: servers.Handler) -> None:  # the test server is the proxy: it sees the absolute URL
        seen.append(h.headers.get("Proxy-Authorization", ""))
        h.reply(200, b"success")

    ok = http_server.route("/via-proxy", proxied)
    proxy = f"http://127.0.0.1:{http_server.port}"
    config = tmp_path / "proxy.toml"
    config.write_text(
        config_text(
            f'[network]\nproxy = "manual"\nproxy_url = "{proxy}"\nproxy_user = "alice"',
            {"svc": [ok.replace("127.0.0.1", "localhost")]},
            [ok.replace("127.0.0.1", "localhost")],
        )
    )
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    store = open_secret_store()
    try:
        store.set("network.proxy_password", pack("pw-9", "http://127.0.0.1:1"))  # another proxy's
        proc = _check_config(config, timeout=60)
        assert "was saved for http://127.0.0.1:1" in proc.stderr
        assert seen and not any(seen)
        seen.clear()
        store.set("network.proxy_password", pack("pw-9", proxy))
        _check_config(config, timeout=60)
        assert seen and all(h.startswith("Basic ") for h in seen)  # a proxy on this machine: allowed
    finally:
        store.delete("network.proxy_password")


# Whatever bytes come back, parsing them ends in an answer or a named refusal.


@given(st.binary(max_size=512))
def test_any_bytes_as_an_upgrade_answer_parse_or_are_refused(data: bytes) -> None:
    from traywatch.probes.websocket import NotAnAnswer, parse_head

    try:
        status, headers = parse_head(data)
    except NotAnAnswer:
        return
    assert 100 <= status <= 599 and all(isinstance(k, str) for k, _ in headers)


@given(st.text(max_size=300))
def test_any_history_line_parses_to_an_event_or_nothing(line: str) -> None:
    from traywatch.history import _parse

    event = _parse(line)
    assert event is None or (0 <= event.at <= 1e11)


@given(st.binary(max_size=1024))
def test_any_status_page_answer_is_products_or_unavailable(data: bytes) -> None:
    from traywatch.statuspage import StatusPageError, parse_orgs, parse_outage_start

    try:
        products = parse_orgs(data)
    except StatusPageError:
        products = ()
    assert all(len(p.text) <= 60 and len(p.name) <= 60 for p in products)
    start = parse_outage_start(data)
    assert start is None or 0 < start < 1e10


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+00:01",  # before the first moment a datetime holds, once in UTC
        "9999-12-31T23:59:59-23:59",  # after the last
        "1970-01-01T00:00:00Z",
        "2286-11-20T17:46:40Z",  # 10**10 s: the bound numbers already had
    ],
)
def test_an_outage_start_no_clock_shows_is_no_start(moment: str) -> None:
    # Shown as "major disruptions since 14:02", such a date raised where the words are made.
    from traywatch.statuspage import Level, ProductStatus, parse_outage_start

    assert parse_outage_start(json.dumps([{"status": "major disruption", "time": moment}]).encode()) is None
    for inside, seconds in (("1970-01-01T00:00:01Z", 1), ("2286-11-20T17:46:39Z", 10**10 - 1)):
        start = parse_outage_start(json.dumps([{"status": "major disruption", "time": inside}]).encode())
        assert start == seconds
        assert ProductStatus("messenger", "Messenger", Level.MAJOR, "Major disruptions", start).describe()


def test_json_at_the_depth_bound_parses_and_one_deeper_does_not() -> None:
    from traywatch import jsonbound

    at_bound = b"[" * jsonbound.MAX_DEPTH + b"]" * jsonbound.MAX_DEPTH
    assert jsonbound.loads(at_bound) is not None
    with pytest.raises(jsonbound.TooDeep):
        jsonbound.loads(b"[" + at_bound + b"]")


@pytest.mark.parametrize("item", [b"[]", b"{}", b'{"a": [1]}'])
def test_json_as_wide_as_it_likes_is_as_deep_as_its_deepest_branch(item: bytes) -> None:
    from traywatch import jsonbound

    wide = b"[" + b",".join([item] * 200) + b"]"  # a closing bracket ends a level
    assert len(jsonbound.loads(wide)) == 200


def test_a_branch_after_a_closed_one_is_measured_from_where_it_starts() -> None:
    from traywatch import jsonbound

    deep = b"[" * jsonbound.MAX_DEPTH + b"]" * jsonbound.MAX_DEPTH
    assert jsonbound.loads(b"[[]," + deep[1:-1] + b"]") is not None  # as deep as the bound
    with pytest.raises(jsonbound.TooDeep):
        jsonbound.loads(b"[[]," + deep + b"]")  # one level more, after a closed sibling


def test_an_escaped_quote_does_not_end_a_string_for_the_depth_count() -> None:
    from traywatch import jsonbound

    text = '"' + "[" * 100
    assert jsonbound.loads(json.dumps({"s": text}).encode()) == {"s": text}


@pytest.mark.parametrize("bound", [10, 100])
def test_a_bound_of_the_caller_s_own_holds_above_and_below_the_default(bound: int) -> None:
    from traywatch import jsonbound

    assert jsonbound.loads(b"[" * bound + b"]" * bound, max_depth=bound) is not None
    with pytest.raises(jsonbound.TooDeep):
        jsonbound.loads(b"[" * (bound + 1) + b"]" * (bound + 1), max_depth=bound)
