"""Chat-connection (wss://) probes and the api expectation, against real local servers."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests import servers
from tests.helpers import cycle
from tests.servers import LocalServer
from traywatch import USER_AGENT
from traywatch.catalog import BodyMatch, Endpoint, Service
from traywatch.model import Layer, Outcome, ProbeResult, Role
from traywatch.probes.websocket import accept_for
from traywatch.verdict import ServiceState, VerdictKind, decide


def _probe(endpoint: Endpoint, timeout: float = 2.0) -> ProbeResult:
    return cycle([Service("svc", "Svc", (), (endpoint,))], [], timeout=timeout).services[0]


def chat(server: LocalServer, path: str, route: servers.Route, **fields: object) -> ProbeResult:
    server.route(path.split("?", maxsplit=1)[0], route)
    url = f"wss://127.0.0.1:{server.port}{path}"
    timeout = float(fields.pop("timeout", 2.0))  # type: ignore[arg-type]
    return _probe(Endpoint("chat", Role.EDGE, url, **fields), timeout)  # type: ignore[arg-type]


def test_101_is_the_chat_service_answering(https_server: LocalServer) -> None:
    result = chat(https_server, "/ws/ok", servers.ws_accept(), origin="https://web.example")
    assert (result.outcome, result.layer, result.status_code) == (Outcome.OK, Layer.CHAT, 101)
    assert Layer.TLS in dict(result.layer_ms) and Layer.CHAT in dict(result.layer_ms)


def test_upgrade_is_what_a_web_client_sends_and_nothing_more(https_server: LocalServer) -> None:
    https_server.upgrades.clear()
    chat(https_server, "/ws/chat?x=1", servers.ws_accept(), origin="https://web.example")
    (headers,) = https_server.upgrades
    assert headers["origin"] == "https://web.example"
    assert headers["user-agent"] == USER_AGENT and "traywatch" in headers["user-agent"]
    assert headers["upgrade"].lower() == "websocket" and headers["sec-websocket-version"] == "13"
    assert "cookie" not in headers and "authorization" not in headers
    assert len(base64.b64decode(headers["sec-websocket-key"], validate=True)) == 16  # RFC 6455, 4.1


def test_origin_defaults_to_the_endpoints_own(https_server: LocalServer) -> None:
    https_server.upgrades.clear()
    chat(https_server, "/ws/default", servers.ws_accept())
    assert https_server.upgrades[0]["origin"] == "https://127.0.0.1"


def test_frames_after_101_are_neither_read_nor_waited_for(https_server: LocalServer) -> None:
    started = time.perf_counter()
    result = chat(https_server, "/ws/push", servers.ws_accept(push=servers.FRAME * 50), timeout=3.0)
    assert result.outcome is Outcome.OK
    assert time.perf_counter() - started < 1.5  # the server keeps the socket open; the probe leaves


def test_frames_instead_of_an_answer_are_not_success(https_server: LocalServer) -> None:
    started = time.perf_counter()
    result = chat(https_server, "/ws/frames", servers.ws_frames_first, timeout=3.0)
    assert (result.outcome, result.layer) == (Outcome.MALFORMED, Layer.CHAT)
    assert time.perf_counter() - started < 1.5


def test_101_without_the_handshake_is_not_success(https_server: LocalServer) -> None:
    result = chat(https_server, "/ws/fake", servers.ws_accept(accept="bm90IHRoZSBhbnN3ZXI="))
    assert (result.outcome, result.layer) == (Outcome.MALFORMED, Layer.CHAT)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599, 408])
def test_server_errors_mean_the_chat_service_fails(https_server: LocalServer, status: int) -> None:
    result = chat(https_server, f"/ws/fail{status}", servers.ws_refuse(status, b"upstream error"))
    assert (result.outcome, result.layer, result.status_code) == (Outcome.HTTP_STATUS, Layer.CHAT, status)
    assert "chat service behind the edge fails" in result.detail


def test_a_proxy_error_page_is_named(https_server: LocalServer) -> None:
    page = b"<html><body><h1>500 Internal Server Error</h1>nginx</body></html>"
    result = chat(https_server, "/ws/proxy", servers.ws_refuse(500, page, "text/html"))
    assert result.outcome is Outcome.HTTP_STATUS
    assert "HTML error page" in result.detail


def test_429_is_throttled_and_never_down(https_server: LocalServer) -> None:
    result = chat(https_server, "/ws/busy", servers.ws_refuse(429, b"slow down"))
    assert result.outcome is Outcome.THROTTLED
    assert result.attempts == 1  # a throttled door is not knocked on again
    assert not result.counted


def test_a_throttled_answer_ends_the_probe_whichever_attempt_meets_it(https_server: LocalServer) -> None:
    # A failure, then 429: no third attempt; a hang, then 429 alongside: no waiting for the hang.
    failed = chat(
        https_server, "/ws/fail-busy", servers.in_turn(servers.ws_refuse(502, b"x"), servers.ws_refuse(429, b""))
    )
    assert (failed.outcome, failed.attempts) == (Outcome.THROTTLED, 2)
    assert https_server.hits.count("/ws/fail-busy") == 2
    started = time.perf_counter()
    hung = chat(https_server, "/ws/hang-busy", servers.in_turn(servers.hang, servers.ws_refuse(429, b"")), timeout=2.0)
    assert (hung.outcome, hung.attempts) == (Outcome.THROTTLED, 2)
    assert time.perf_counter() - started < 1.4  # the second starts at 1 s and is answered at once


def test_documented_refusal_with_its_own_body_answers(https_server: LocalServer) -> None:
    body = json.dumps({"error": "no session", "code": 1357001}).encode()
    fields = {"expect_status": (400,), "expect_body": '"code": 1357001', "body_match": BodyMatch.CONTAINS}
    result = chat(https_server, "/ws/refuse", servers.ws_refuse(400, body), **fields)
    assert result.outcome is Outcome.OK, result.detail
    assert "refuses an anonymous connection" in result.detail


def test_refusal_status_without_the_services_body_is_not_an_answer(https_server: LocalServer) -> None:
    fields = {"expect_status": (400,), "expect_body": "1357001", "body_match": BodyMatch.CONTAINS}
    result = chat(
        https_server, "/ws/proxy400", servers.ws_refuse(400, b"<html>Bad Request</html>", "text/html"), **fields
    )
    assert result.outcome is Outcome.UNEXPECTED_BODY


_REFUSAL = {"expect_status": (400,), "expect_body": "1357001", "body_match": BodyMatch.CONTAINS}


def _refuse_later(body: bytes, after: float) -> servers.Route:
    """A refusal's status and headers at once, its body ``after`` seconds later, then silence."""

    def route(h: servers.Handler) -> None:
        h.send_response(400)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.flush()
        if not h.server.stopping.wait(after):
            h.wfile.write(body)
        servers.hold_open(h)

    return route


def test_a_refusal_body_that_comes_within_half_a_second_is_read(https_server: LocalServer) -> None:
    result = chat(https_server, "/ws/late-body", _refuse_later(b'{"code": 1357001}', 0.2), **_REFUSAL)
    assert result.outcome is Outcome.OK, result.detail
    assert dict(result.layer_ms)[Layer.CHAT] < 450  # the whole body is there: no more waiting


def test_a_refusal_body_later_than_half_a_second_is_not_waited_for(https_server: LocalServer) -> None:
    result = chat(https_server, "/ws/later-body", _refuse_later(b'{"code": 1357001}', 0.9), timeout=3.0, **_REFUSAL)
    assert result.outcome is Outcome.UNEXPECTED_BODY, result.detail
    assert dict(result.layer_ms)[Layer.CHAT] < 800


def test_no_body_is_waited_for_where_none_is_expected(https_server: LocalServer) -> None:
    """A refusal judged by its status alone, and a 101 whatever the endpoint expects of a
    refusal, are judged on the head: the server holding the connection costs no time."""

    def refuse_and_hold(h: servers.Handler) -> None:
        h.send_response(403)
        h.send_header("Content-Length", "100")
        h.end_headers()
        servers.hold_open(h)

    refused = chat(https_server, "/ws/hold403", refuse_and_hold, timeout=3.0)
    accepted = chat(https_server, "/ws/hold101", servers.ws_accept(push=servers.FRAME), timeout=3.0, **_REFUSAL)
    assert (refused.outcome, accepted.outcome) == (Outcome.HTTP_STATUS, Outcome.OK)
    assert dict(refused.layer_ms)[Layer.CHAT] < 300 and dict(accepted.layer_ms)[Layer.CHAT] < 300


def _refuse_until_close(body: bytes) -> servers.Route:
    """A refusal whose body has no stated length: it ends where the server closes."""

    def route(h: servers.Handler) -> None:
        h.send_response(400)
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body)
        h.close_connection = True

    return route


@pytest.mark.parametrize("length", ["stated", "unstated"])
@pytest.mark.parametrize(("size", "truncated"), [(4096, False), (4097, True)])
def test_a_refusal_body_is_cut_past_4_kib(https_server: LocalServer, size: int, truncated: bool, length: str) -> None:
    body = b'{"code": 1357001}'.ljust(size, b" ")
    route = servers.ws_refuse(400, body) if length == "stated" else _refuse_until_close(body)
    result = chat(https_server, f"/ws/refuse{size}{length}", route, **_REFUSAL)
    assert (result.outcome, result.body_truncated) == (Outcome.OK, truncated)


@pytest.mark.parametrize("status", [403, 499, 407])
def test_undocumented_refusal_is_a_failure(https_server: LocalServer, status: int) -> None:
    result = chat(https_server, f"/ws/{status}", servers.ws_refuse(status, b"{}"))
    assert result.outcome is Outcome.HTTP_STATUS
    assert "instead of opening a chat connection" in result.detail


def test_plain_200_page_is_not_a_chat_connection(https_server: LocalServer) -> None:
    result = chat(https_server, "/ws/page", servers.ok(b"<html>hello</html>", content_type="text/html"))
    assert (result.outcome, result.status_code) == (Outcome.HTTP_STATUS, 200)


def test_hang_after_accepting_times_out_at_the_chat_layer(https_server: LocalServer) -> None:
    started = time.perf_counter()
    result = chat(https_server, "/ws/hang", servers.hang, timeout=0.6)
    assert (result.outcome, result.layer) == (Outcome.TIMEOUT, Layer.CHAT)
    assert time.perf_counter() - started < 1.5


def test_closed_without_answer_is_reset(https_server: LocalServer) -> None:
    def close(h: servers.Handler) -> None:
        h.close_connection = True

    result = chat(https_server, "/ws/close", close)
    assert (result.outcome, result.layer) == (Outcome.RESET, Layer.CHAT)


@pytest.mark.parametrize("writes", [1, 2])
@pytest.mark.parametrize(("size", "outcome"), [(16 * 1024, Outcome.OK), (16 * 1024 + 1, Outcome.MALFORMED)])
def test_the_header_cap_is_16_kib(https_server: LocalServer, size: int, outcome: Outcome, writes: int) -> None:
    """An answer's head of exactly the cap is read; one byte more is not an answer, whether it
    comes at once or its first bytes come ahead of the rest."""

    def padded(h: servers.Handler) -> None:
        key = h.headers.get("Sec-WebSocket-Key", "")
        start = f"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {accept_for(key)}\r\nX-Pad: ".encode()
        end = b"\r\n\r\n"
        head = start + b"a" * (size - len(start) - len(end)) + end
        cut = 100 if writes == 2 else 0
        for piece in (head[:cut], head[cut:]):
            h.wfile.write(piece)
            h.wfile.flush()
            time.sleep(0.05)
        h.server.stopping.wait()

    result = chat(https_server, f"/ws/pad{size}-{writes}", padded)
    assert result.outcome is outcome, result.detail


@pytest.mark.parametrize("line", [b"X-No-Colon", b": no name", b"   : blank name"])
def test_a_header_without_a_name_and_colon_is_malformed(https_server: LocalServer, line: bytes) -> None:
    def broken(h: servers.Handler) -> None:
        key = h.headers.get("Sec-WebSocket-Key", "")
        h.wfile.write(
            b"HTTP/1.1 101 Switching Protocols\r\n"
            + f"Sec-WebSocket-Accept: {accept_for(key)}\r\n".encode()
            + line
            + b"\r\n\r\n"
        )
        servers.hold_open(h)

    result = chat(https_server, f"/ws/broken{len(line)}", broken)
    assert (result.outcome, result.layer) == (Outcome.MALFORMED, Layer.CHAT), result.detail


def test_an_answer_that_comes_in_pieces_is_read_whole(https_server: LocalServer) -> None:
    def slow(h: servers.Handler) -> None:
        key = h.headers.get("Sec-WebSocket-Key", "")
        head = f"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {accept_for(key)}\r\n\r\n".encode()
        for piece in (head[:5], head[5:30], head[30:-2], head[-2:]):
            h.wfile.write(piece)
            h.wfile.flush()
            time.sleep(0.05)
        servers.hold_open(h)

    result = chat(https_server, "/ws/pieces", slow)
    assert (result.outcome, result.status_code) == (Outcome.OK, 101), result.detail


@pytest.mark.parametrize(("sent", "then"), [(70000, "close"), (70000, "hold"), (16 * 1024, "hold")])
def test_headers_past_the_cap_are_malformed(https_server: LocalServer, sent: int, then: str) -> None:
    """At the cap with no end of the head in sight, the answer is judged at once, not read on
    until the server stops sending."""

    def huge(h: servers.Handler) -> None:
        start = b"HTTP/1.1 101 Switching Protocols\r\nX-Pad: "
        h.wfile.write(start + b"a" * (sent - len(start)))
        if then == "hold":
            servers.hold_open(h)
        else:
            h.wfile.write(b"\r\n\r\n")
            h.close_connection = True

    result = chat(https_server, f"/ws/huge-{sent}-{then}", huge, timeout=3.0)
    assert result.outcome is Outcome.MALFORMED, result.detail


def test_a_body_in_the_same_read_as_the_head_is_read_from_its_first_byte(https_server: LocalServer) -> None:
    def at_once(h: servers.Handler) -> None:
        h.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\n\r\n1357001")
        servers.hold_open(h)

    fields = {"expect_status": (400,), "expect_body": "1357001", "body_match": BodyMatch.EXACT}
    result = chat(https_server, "/ws/at-once", at_once, **fields)
    assert result.outcome is Outcome.OK, result.detail


# The api expectation: an application's own structured refusal is its healthy answer.

_APP_REFUSAL = json.dumps({"message": "login_required", "status": "fail"}).encode()


def api(server: LocalServer, path: str, route: servers.Route) -> ProbeResult:
    url = server.route(path, route)
    return _probe(Endpoint("api", Role.EDGE, url, expect_json=(("status", "fail"),)))


def test_api_refusal_in_its_own_json_is_up(https_server: LocalServer) -> None:
    result = api(https_server, "/api/v1/me", servers.ok(_APP_REFUSAL, 403, "application/json"))
    assert result.outcome is Outcome.OK, result.detail
    assert "own JSON" in result.detail


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Sorry, something went wrong</html>",  # an HTML page where JSON belongs
        json.dumps({"status": "ok"}).encode(),  # the wrong JSON
        json.dumps(["status", "fail"]).encode(),  # not an object
        b'{"status": "fail"',  # cut short
    ],
)
def test_api_wrong_answer_is_not_up(https_server: LocalServer, body: bytes) -> None:
    result = api(https_server, f"/api/wrong{hash(body)}", servers.ok(body, 400, "application/json"))
    assert result.outcome is Outcome.UNEXPECTED_BODY


def test_api_huge_json_is_capped_and_not_up(https_server: LocalServer) -> None:
    body = json.dumps({"status": "fail", "pad": "x" * 100_000}).encode()
    result = api(https_server, "/api/huge", servers.ok(body, 400, "application/json"))
    assert result.outcome is Outcome.UNEXPECTED_BODY and result.body_truncated


def test_api_server_error_is_down(https_server: LocalServer) -> None:
    result = api(https_server, "/api/502", servers.ok(_APP_REFUSAL, 502, "application/json"))
    assert result.outcome is Outcome.HTTP_STATUS


def test_api_429_is_throttled(https_server: LocalServer) -> None:
    result = api(https_server, "/api/429", servers.ok(_APP_REFUSAL, 429, "application/json"))
    assert result.outcome is Outcome.THROTTLED and result.attempts == 1


# The verdict on what these probes see.


def test_chat_service_down_behind_a_working_edge(https_server: LocalServer, http_server: LocalServer) -> None:
    from tests.helpers import control

    web = https_server.route("/web", servers.ok(b"<html>app</html>"))
    https_server.route("/ws/lightspeed", servers.ws_refuse(502, b"bad gateway"))
    chat_url = f"wss://127.0.0.1:{https_server.port}/ws/lightspeed"
    ok = http_server.route("/ok", servers.ok(b"success"))
    svc = Service(
        "messenger",
        "Messenger",
        (),
        (Endpoint("web", Role.WEB, web), Endpoint("chat", Role.EDGE, chat_url)),
    )
    verdict = decide(cycle([svc], [control(f"c{i}", ok) for i in range(3)]))
    assert verdict.kind is VerdictKind.SERVICE_DOWN
    assert verdict.headline == "It's not your wifi — Messenger is down"
    assert "site loads" in verdict.explanation and "chat" in verdict.explanation
    (status,) = verdict.services
    assert status.state is ServiceState.DOWN and status.failing_layer is Layer.CHAT


def test_throttled_chat_alone_leaves_the_service_up(https_server: LocalServer, http_server: LocalServer) -> None:
    from tests.helpers import control

    web = https_server.route("/web2", servers.ok(b"<html>app</html>"))
    https_server.route("/ws/busy2", servers.ws_refuse(429))
    chat_url = f"wss://127.0.0.1:{https_server.port}/ws/busy2"
    ok = http_server.route("/ok", servers.ok(b"success"))
    svc = Service("ig", "Instagram", (), (Endpoint("web", Role.WEB, web), Endpoint("dm", Role.EDGE, chat_url)))
    verdict = decide(cycle([svc], [control(f"c{i}", ok) for i in range(3)]))
    assert verdict.kind is VerdictKind.ALL_CLEAR
    assert verdict.services[0].state is ServiceState.UP


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("wss://gateway.example/ws", "gateway.example"),
        ("wss://gateway.example:8443/ws", "gateway.example:8443"),
        ("wss://[2001:db8::1]/ws", "[2001:db8::1]"),
        ("wss://[2001:db8::1]:8443/ws", "[2001:db8::1]:8443"),
    ],
)
def test_the_host_header_names_the_endpoint(url: str, host: str) -> None:
    from traywatch.probes.websocket import request

    lines = request(Endpoint("chat", Role.EDGE, url), "a2V5", "ua").decode().split("\r\n")
    assert lines[0] == "GET /ws HTTP/1.1" and lines[1] == f"Host: {host}"


def test_api_json_nested_past_the_bound_is_not_the_apps_answer(https_server: LocalServer) -> None:
    deep = b"[" * 4000  # inside the 4 KiB body cap: nothing but opening brackets
    result = api(https_server, "/api/deep", servers.ok(deep, 400, "application/json"))
    assert result.outcome is Outcome.UNEXPECTED_BODY  # not an "unexpected error" from a recursion
