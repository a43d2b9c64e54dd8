"""One connection's bytes for the probes' client: TCP from asyncio, TLS on memory BIOs in the
protocol itself, and the plaintext handed to one reader.

asyncio's own TLS (``start_tls``) puts a second protocol and transport between the socket and
the reader and sends the handshake's last message by itself; here the client's TLS Finished
waits for the request and leaves in the same segment, and a connection costs fewer objects and
system calls (docs/performance.md, "50 endpoints vs 1")."""

from __future__ import annotations

import asyncio
import ssl

from traywatch.probes.tls import ResumingContext

READ_SIZE = 64 * 1024  # plaintext held before the socket is no longer read


class Link(asyncio.Protocol):
    def __init__(self, tls: bool) -> None:
        # With TLS to come, every byte received is TLS, even one that comes before the
        # handshake starts: plaintext a server or a meddler sends first is never read as the
        # answer.
        self._tls_expected = tls
        self._transport: asyncio.Transport | None = None
        self._tls: ssl.SSLObject | None = None
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._shaken: asyncio.Future[None] | None = None
        self._held = b""  # the handshake's last flight, which leaves with the request
        self._plain = bytearray()
        self._eof = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False

    # What the client calls.

    async def start_tls(self, context: ssl.SSLContext, host: str, port: int) -> None:
        """Shake hands for ``host`` on ``port``; the last handshake message waits for the first
        ``write``."""
        if self._error is not None:
            raise self._error
        if self._eof:
            raise ConnectionResetError("the connection closed before the TLS handshake")
        if isinstance(context, ResumingContext):
            self._tls = context.wrap_client(self._incoming, self._outgoing, host, port)
        else:
            self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=host)
        loop = asyncio.get_running_loop()
        self._shaken = loop.create_future()
        # Started from the loop rather than here: when many connections open at once, their
        # ClientHellos are then written one after another, which costs less CPU than each
        # written between two session copies (docs/performance.md).
        loop.call_soon(self._shake)
        await self._shaken

    def write(self, data: bytes) -> None:
        """Send ``data`` (with the handshake's last flight). The transport buffers what the
        socket does not take at once; a probe's request is a few hundred bytes, so nothing
        waits for it to drain."""
        if self._error is not None:
            raise self._error
        assert self._transport is not None
        if self._tls is None:
            self._transport.write(data)
            return
        self._tls.write(data)
        self._transport.write(self._held + self._outgoing.read())
        self._held = b""

    def flush(self) -> None:
        """Send the handshake's last flight now: for a connection that sends nothing else."""
        if self._held and self._transport is not None and self._error is None:
            self._transport.write(self._held)
            self._held = b""

    async def read(self, most: int = READ_SIZE) -> bytes:
        """Up to ``most`` bytes of the plaintext received, or b"" at the end; raises what broke it."""
        while not self._plain:
            if self._error is not None:
                raise self._error
            if self._eof:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = bytes(self._plain[:most])
        del self._plain[:most]
        if self._reading_paused and len(self._plain) < READ_SIZE and self._transport is not None:
            self._reading_paused = False
            self._transport.resume_reading()
        return data

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    # What asyncio calls.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if not self._tls_expected:
            self._plain += data
        else:
            self._incoming.write(data)  # before the handshake starts, kept for it
            if self._shaken is not None and not self._shaken.done():
                self._shake()
            if self._shaken is not None and self._shaken.done() and self._error is None:
                self._decrypt()
        if len(self._plain) >= READ_SIZE and not self._reading_paused and self._transport is not None:
            self._reading_paused = True
            self._transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # the transport closes: connection_lost follows, and ends a handshake under way

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._fail(exc)
        elif self._shaken is not None and not self._shaken.done():
            self._fail(ConnectionResetError("the connection closed during the TLS handshake"))
        self._eof = True
        self._wake()

    # Inside.

    def _shake(self) -> None:
        assert self._tls is not None and self._shaken is not None and self._transport is not None
        if self._shaken.done():  # failed meanwhile, or the server spoke first and it is over
            return
        try:
            self._tls.do_handshake()
        except ssl.SSLWantReadError:
            if self._outgoing.pending:
                self._transport.write(self._outgoing.read())
            return
        except ssl.SSLError as exc:
            self._fail(exc)
            return
        # Done: what is left to send (the client's Finished) goes out with the request.
        self._held = self._outgoing.read()
        self._shaken.set_result(None)

    def _decrypt(self) -> None:
        assert self._tls is not None and self._transport is not None
        try:
            while True:
                data = self._tls.read(READ_SIZE)
                if not data:  # the server's close_notify: CPython answers it with b""
                    self._eof = True
                    break
                self._plain += data
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:
            self._eof = True
        except ssl.SSLError as exc:
            self._fail(exc)
        if self._outgoing.pending and self._error is None:
            self._transport.write(self._held + self._outgoing.read())  # a key update's answer, say
            self._held = b""

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        if self._shaken is not None and not self._shaken.done():
            self._shaken.set_exception(exc)
        if self._transport is not None:
            self._transport.abort()
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
