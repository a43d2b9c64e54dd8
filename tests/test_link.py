"""The probes' connections (``probes/link.py``): TLS on memory BIOs inside one asyncio protocol,
seen from a real TLS server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator

import pytest
import trustme

from tests import servers
from tests.helpers import probe
from tests.servers import LocalServer
from traywatch.model import Layer, Outcome
from traywatch.probes import stream
from traywatch.probes.classify import classify_exception
from traywatch.probes.client import ConnectError, Request
from traywatch.probes.progress import Progress
from traywatch.probes.tls import verifying_context
from traywatch.probes.transport import DirectClient
from traywatch.urls import parse

# struct tcp_info (linux/tcp.h): tcpi_data_segs_in, segments that carried data, sits at byte 152.
_DATA_SEGS_IN = 152


def _data_segments_in(connection: socket.socket) -> int:
    info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 160)
    return int(struct.unpack_from("I", info, _DATA_SEGS_IN)[0])


def _get(url: str) -> tuple[int, bytes]:
    async def go() -> tuple[int, bytes]:
        client = DirectClient(verifying_context(), 2.0, {})
        answer = await client.send(Request("GET", parse(url)))
        try:
            body, _ = await answer.read(1 << 20)
            return answer.status_code, body
        finally:
            await answer.aclose()

    return asyncio.run(go())


@pytest.mark.timeout(20)
def test_a_body_ended_by_the_servers_tls_close_is_read_to_its_end(https_server: LocalServer) -> None:
    """No length, no chunks: the body ends where the server closes TLS (close_notify), which the
    client must take as the end and not as one more empty read for ever."""
    body = b"x" * 5000

    def close_ends_it(h: servers.Handler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body)
        h.wfile.flush()
        h.close_connection = True
        with contextlib.suppress(OSError):  # the client aborts instead of answering
            h.connection.unwrap()  # type: ignore[attr-defined]  # sends close_notify

    url = https_server.route("/close-ends-it", close_ends_it)
    assert _get(url) == (200, body)


def test_the_handshakes_last_flight_leaves_with_the_request(https_server: LocalServer) -> None:
    """Two segments with data reach the server per HTTPS request: the ClientHello, then the
    client's Finished (and TLS 1.3's compatibility ChangeCipherSpec) with the request. asyncio's
    own TLS sends the Finished in a segment of its own."""
    segments: list[int] = []

    def count(h: servers.Handler) -> None:
        segments.append(_data_segments_in(h.connection))
        h.reply(200, b"ok")

    url = https_server.route("/count", count)
    for _ in range(3):  # the first handshake is a full one, the next ones resume
        assert _get(url) == (200, b"ok")
    assert segments == [2, 2, 2]
    assert https_server.resumed[-2:] == [True, True]


@pytest.fixture
def speaks_first(ca: trustme.CA) -> Iterator[int]:
    """A meddler's bytes ahead of a real TLS server: plaintext sent at once on accept, then a
    TLS handshake with a valid certificate and a 503 to whatever is asked."""
    context = servers.server_context(ca, "127.0.0.1")
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        connection.sendall(INJECTED)
        with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


INJECTED = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_plaintext_sent_before_the_handshake_is_never_read_as_the_answer(speaks_first: int) -> None:
    """Bytes that reach the client before its TLS handshake starts are TLS or nothing: these are
    not, so the request fails; never a "200 OK" read as the server's answer."""

    async def trace(event: str, info: dict[str, object]) -> None:
        if event == "connection.connect_tcp.complete":
            await asyncio.sleep(0.2)  # the early bytes arrive before the handshake starts

    async def go() -> int:
        client = DirectClient(verifying_context(), 2.0, {})
        answer = await client.send(Request("GET", parse(f"https://127.0.0.1:{speaks_first}/")), trace)
        await answer.aclose()
        return answer.status_code

    with pytest.raises(ConnectError) as failed:
        asyncio.run(go())
    assert classify_exception(failed.value)[0] is Outcome.TLS_ERROR


def test_a_stream_probe_takes_no_plaintext_before_its_handshake_either(speaks_first: int) -> None:
    """The same for chat connections (wss://) and TLS probes, which open their own link."""

    class Slow(Progress):
        def done(self) -> None:
            super().done()
            if self.layer is Layer.TCP:
                time.sleep(0.2)  # the early bytes arrive before the handshake starts

    async def go() -> bytes:
        async with asyncio.timeout(5):
            async with stream.opened("127.0.0.1", ("127.0.0.1",), speaks_first, verifying_context(), Slow()) as link:
                return await link.read()

    with pytest.raises(ssl.SSLError):
        asyncio.run(go())


def _tls_server(ca: trustme.CA, after_request: bytes | None) -> tuple[socket.socket, threading.Thread]:
    """A TLS server on memory BIOs: it shakes hands and reads the request, then sends
    ``after_request`` raw (not as TLS); with None it closes once the ClientHello is in. Each
    connection the same way, so that the probe's second attempt meets the same server."""
    context = servers.server_context(ca, "127.0.0.1")
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(connection,), daemon=True).start()

    def serve_one(connection: socket.socket) -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=True)
        request = b""
        with connection, contextlib.suppress(OSError):
            while b"\r\n\r\n" not in request:
                data = connection.recv(65536)
                if not data or after_request is None:
                    return  # a FIN in the middle of the handshake
                incoming.write(data)
                with contextlib.suppress(ssl.SSLWantReadError):
                    tls.do_handshake()
                    request += tls.read(65536)
                connection.sendall(outgoing.read())
            connection.sendall(after_request)
            connection.recv(1)  # until the client gives up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_a_server_that_closes_in_the_middle_of_the_handshake_is_a_reset(ca: trustme.CA) -> None:
    listener, _ = _tls_server(ca, None)
    try:
        result = probe(f"https://127.0.0.1:{listener.getsockname()[1]}/")
    finally:
        listener.close()
    assert (result.outcome, result.layer) == (Outcome.RESET, Layer.TLS)


def test_bytes_that_are_not_tls_after_the_handshake_fail_the_probe_at_once(ca: trustme.CA) -> None:
    # An application-data record whose contents do not decrypt.
    listener, _ = _tls_server(ca, b"\x17\x03\x03\x00\x20" + bytes(32))
    try:
        started = time.monotonic()
        result = probe(f"https://127.0.0.1:{listener.getsockname()[1]}/", timeout=5.0)
    finally:
        listener.close()
    assert result.outcome is Outcome.TLS_ERROR
    assert time.monotonic() - started < 2.0  # failed on arrival, not at the timeout


def test_a_server_that_sends_without_end_fills_no_more_than_the_read_buffer() -> None:
    # A hostile server can make a probe hold at most READ_SIZE of its bytes (plus what one
    # socket read brings) before the socket is no longer read.
    from traywatch.probes.link import READ_SIZE, Link

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def flood() -> None:
        connection, _ = listener.accept()
        connection.settimeout(0.2)
        with contextlib.suppress(OSError):
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    connection.sendall(b"x" * 65536)
        connection.close()

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()

    async def held() -> tuple[int, bool]:
        transport, link = await asyncio.get_running_loop().create_connection(lambda: Link(tls=False), "127.0.0.1", port)
        await asyncio.sleep(0.5)  # the server sends as fast as it can; nothing is read
        buffered, reading = len(link._plain), transport.is_reading()
        transport.abort()
        return buffered, reading

    try:
        buffered, reading = asyncio.run(held())
    finally:
        stop.set()
        listener.close()
        thread.join(5)
    assert not reading
    assert READ_SIZE <= buffered < READ_SIZE + 512 * 1024
