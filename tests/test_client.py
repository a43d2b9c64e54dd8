"""The probes' own HTTP client and URLs: what reaches the server, what a hostile Location becomes,
and that a direct cycle loads no proxy-capable client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests import servers
from tests.helpers import probe, service
from tests.servers import LocalServer
from traywatch.catalog import Catalog
from traywatch.model import Outcome, ProbeSettings
from traywatch.probes import proxies, run_cycle
from traywatch.probes.client import Request
from traywatch.probes.tls import verifying_context
from traywatch.probes.transport import DirectClient
from traywatch.urls import InvalidUrl, parse

ROOT = Path(__file__).resolve().parent.parent
PROXY_NAMES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)


@pytest.mark.parametrize(
    ("text", "host", "port", "target", "shown"),
    [
        ("https://Example.COM", "example.com", None, "/", "https://example.com/"),
        ("https://example.com:443/a?b=c#frag", "example.com", None, "/a?b=c", "https://example.com/a?b=c"),
        ("http://example.com:8080/", "example.com", 8080, "/", "http://example.com:8080/"),
        ("https://[::1]:8443/x", "::1", 8443, "/x", "https://[::1]:8443/x"),
        ("https://[fe80::1%25eth0]/", "fe80::1", None, "/", "https://[fe80::1]/"),  # the zone left out
        ("https://bücher.example/", "xn--bcher-kva.example", None, "/", "https://xn--bcher-kva.example/"),
        ("https://a.example/a b/ü?q=x y", "a.example", None, "/a%20b/%C3%BC?q=x%20y", None),
        ("https://a.example/already%20escaped", "a.example", None, "/already%20escaped", None),
    ],
)
def test_a_url_becomes_an_ascii_host_and_an_escaped_target(
    text: str, host: str, port: int | None, target: str, shown: str | None
) -> None:
    url = parse(text)
    assert (url.host, url.port, url.target) == (host, port, target)
    if shown is not None:
        assert str(url) == shown


@pytest.mark.parametrize(
    "text",
    [
        "https://☃.com/",
        "https://exa$mple.com/",
        "https://a..b/",
        f"https://{'a' * 64}.example/",  # a label DNS cannot carry
        f"https://{'a.' * 126}ab/",  # 254 characters
        "https://[::zz]/",
        "https://h:99999/",
        "/no/host",
        "//host.example/no-scheme",
        "https:///no-host",
    ],
)
def test_a_url_the_client_cannot_send_is_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidUrl) as info:
        parse(text)
    assert text not in str(info.value)


def test_a_host_name_as_long_as_dns_allows_is_kept() -> None:
    longest_label = "a" * 63
    assert parse(f"https://{longest_label}.example/").host == f"{longest_label}.example"
    longest = "a." * 125 + "abc."  # 253 characters and the root's dot
    assert len(longest.rstrip(".")) == 253 and parse(f"https://{longest}/").host == longest


@pytest.mark.parametrize(
    ("text", "port"),
    [("http://a.example/", 80), ("https://a.example/", 443), ("wss://a.example/", 443), ("tls://a.example", 443)],
)
def test_each_scheme_has_its_standard_port(text: str, port: int) -> None:
    assert parse(text).effective_port == port


def test_a_location_is_joined_and_escaped_and_a_query_is_added_to() -> None:
    base = parse("https://a.example/dir/page?x=1")
    assert str(base.join("other")) == "https://a.example/dir/other"
    assert str(base.join("//b.example/p q")) == "https://b.example/p%20q"
    assert str(base.join("http://c.example:80/")) == "http://c.example/"
    assert str(base.with_query({"name": "m.example", "type": "A"})) == (
        "https://a.example/dir/page?x=1&name=m.example&type=A"
    )
    assert parse("https://a.example/q").with_query({"n": "a b"}).target == "/q?n=a+b"


def test_a_redirect_to_a_location_that_is_no_url_is_a_malformed_answer(http_server: LocalServer) -> None:
    url = http_server.route("/odd-location", servers.redirect("http://[::1"))
    result = probe(url, domains=("127.0.0.1",))
    assert result.outcome is Outcome.MALFORMED
    assert "redirect" in result.detail and "[::1" not in result.detail


def test_the_direct_client_sends_one_request_with_its_headers_and_body(https_server: LocalServer) -> None:
    seen: list[tuple[str, dict[str, str], bytes]] = []

    def record(h: servers.Handler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        seen.append((h.command, {k.lower(): v for k, v in h.headers.items()}, h.rfile.read(length)))
        h.reply(201, b"made", {"ETag": '"1"', "X-Twice": "a"})

    url = parse(https_server.route("/made", record).replace("127.0.0.1", "localhost"))

    async def go() -> tuple[int, dict[str, str], bytes]:
        async with DirectClient(verifying_context(), 2.0, {"User-Agent": "ua/1"}) as client:
            headers = (("Content-Type", "application/json"),)
            answer = await client.send(Request("POST", url, headers, b'{"a":1}', connect_to=("127.0.0.1",)))
            body = b"".join([chunk async for chunk in answer.raw()])
            await answer.aclose()
            return answer.status_code, answer.headers, body

    status, headers, body = asyncio.run(go())
    assert (status, headers["etag"], body) == (201, '"1"', b"made")
    method, sent, received = seen[0]
    assert (method, received) == ("POST", b'{"a":1}')
    assert sent["host"] == f"localhost:{https_server.port}"  # the name, not the address connected to
    assert (sent["user-agent"], sent["accept"], sent["connection"]) == ("ua/1", "*/*", "close")
    assert sent["content-length"] == "7"


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"https_proxy": "http://p.example:3128"},
        {"HTTP_PROXY": "http://upper.example:1", "http_proxy": "http://lower.example:2"},
        {"ALL_PROXY": "socks5://s.example:1080", "NO_PROXY": "localhost,.internal"},
        {"no_proxy": "*"},
        {"https_proxy": ""},
    ],
)
def test_system_proxies_are_the_standard_librarys(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    for name in PROXY_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert proxies.system_proxies() == urllib.request.getproxies()


def test_a_direct_cycle_loads_neither_httpx_nor_urllib_request_nor_the_idna_codec(
    tmp_path: Path, http_server: LocalServer, https_server: LocalServer
) -> None:
    # Each is resident for as long as the app runs (docs/performance.md): httpx megabytes, the
    # idna codec 0.3 MB to pass a name that is ASCII already to the resolver and to ssl.
    plain = http_server.route("/plain", servers.ok(b"success"))
    secure = https_server.route("/secure", servers.ok(b"hi"))
    script = (
        "import asyncio, json, sys\n"
        "from traywatch.catalog import Catalog, Control, Endpoint, Service\n"
        "from traywatch.model import ProbeSettings, Role\n"
        "from traywatch.probes import run_cycle\n"
        f"web = Endpoint('web', Role.WEB, {secure!r})\n"
        f"ctl = Control('c', 'C', 'op', Endpoint('c', Role.CONTROL, {plain!r}, expect_body='success'))\n"
        "catalog = Catalog((Service('s', 'S', (), (web,)),), (ctl,), ())\n"
        "obs = asyncio.run(run_cycle(catalog, ProbeSettings(timeout=2)))\n"
        "from traywatch.probes.dns import resolve\n"
        "assert asyncio.run(resolve('localhost', 80)).addresses\n"  # the addresses above need no lookup
        "print(json.dumps([[p.ok for p in obs.services + obs.controls],"
        " sorted(m for m in ('httpx', 'httpcore', 'anyio', 'urllib.request', 'html', 'encodings.idna', 'stringprep')"
        " if m in sys.modules)]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in PROXY_NAMES}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    oks, loaded = json.loads(done.stdout)
    assert oks == [True, True]
    assert loaded == []


@pytest.mark.parametrize(
    ("answer", "outcome", "words"),
    [
        (b"this is not HTTP\r\n\r\n", Outcome.MALFORMED, "malformed HTTP answer"),
        (b"", Outcome.RESET, "closed the connection early"),
    ],
)
def test_a_broken_proxy_is_named_like_a_broken_server(answer: bytes, outcome: Outcome, words: str) -> None:
    # Through a proxy the probes' failures come from httpx: they are named by the same steps.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    conn.recv(65536)
                    conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        settings = ProbeSettings(timeout=2, proxy="manual", proxy_url=f"http://127.0.0.1:{port}")
        catalog = Catalog((service("a", "http://behind.invalid/page"),), (), ())
        result = asyncio.run(run_cycle(catalog, settings)).services[0]
    finally:
        listener.close()
    assert result.outcome is outcome, result.detail
    assert words in result.detail
    assert "not HTTP" not in result.detail  # the proxy's bytes are never quoted


@pytest.mark.parametrize(("size", "kept", "cut"), [(100, 100, False), (101, 100, True), (99, 99, False)])
def test_a_body_is_read_up_to_its_cap_and_said_to_be_cut_only_past_it(
    https_server: LocalServer, size: int, kept: int, cut: bool
) -> None:
    url = parse(https_server.route(f"/sized-{size}", servers.ok(b"b" * size)))

    async def go() -> tuple[bytes, bool]:
        client = DirectClient(verifying_context(), 2.0, {})
        answer = await client.send(Request("GET", url))
        try:
            return await answer.read(100)
        finally:
            await answer.aclose()

    body, was_cut = asyncio.run(go())
    assert (len(body), was_cut) == (kept, cut)


@pytest.mark.parametrize(
    ("char", "refused"),
    [(" ", True), ("\x1f", True), ("\x7f", True), ("\x00", True), ("!", False), ("~", False)],
)
def test_a_configured_url_with_spaces_or_control_characters_is_refused(char: str, refused: bool) -> None:
    from traywatch.urls import url_problem

    problem = url_problem(f"https://a.example/x{char}y", ("https",))
    assert (problem is not None and "spaces or control characters" in problem) is refused
    if not refused:
        assert problem is None


def test_the_address_given_is_the_one_connected_to_and_connection_is_always_close(http_server: LocalServer) -> None:
    seen: list[dict[str, str]] = []
    connection: list[str] = []

    def record(h: servers.Handler) -> None:
        seen.append({k.lower(): v for k, v in h.headers.items()})
        connection.extend(h.headers.get_all("Connection") or [])
        h.reply(200, b"ok")

    # A name that resolves nowhere: only the address given can reach the server.
    url = parse(http_server.route("/addressed", record).replace("127.0.0.1", "nowhere.invalid"))

    async def go() -> int:
        async with DirectClient(verifying_context(), 2.0, {}) as client:
            asked = Request("GET", url, (("Connection", "keep-alive"),), connect_to=("127.0.0.1",))
            answer = await client.send(asked)
            await answer.aclose()
            return answer.status_code

    assert asyncio.run(go()) == 200
    assert seen[0]["host"] == f"nowhere.invalid:{http_server.port}"
    assert connection == ["close"]  # one request a connection, whatever the caller asked
