"""TCP connect and TLS handshake probes, for edges that do not speak plain HTTP."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from traywatch.model import Layer
from traywatch.probes.progress import Progress

# How much of an answer a stream probe buffers at most (asyncio's line limit).
READ_LIMIT = 16 * 1024


@asynccontextmanager
async def opened(
    host: str, addresses: tuple[str, ...], port: int, context: ssl.SSLContext | None, progress: Progress
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """Connect to the first address that answers, then (with a context) verify TLS for ``host``.

    Raises the socket or ssl error of the layer that failed; ``progress`` says which layer.
    """
    progress.enter(Layer.TCP)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    last: OSError | None = None
    for address in addresses:
        try:
            reader, writer = await asyncio.open_connection(address, port, limit=READ_LIMIT)
            break
        except OSError as exc:
            # An unreachable IPv6 route fails at once; the next (IPv4) address may work.
            last = exc
    if reader is None or writer is None:
        raise last if last is not None else OSError("no address to connect to")
    try:
        progress.done()
        if context is not None:
            progress.enter(Layer.TLS)
            await writer.start_tls(context, server_hostname=host)
            progress.done()
        yield reader, writer
    finally:
        # Abort rather than close: a TLS close waits for the peer's close_notify (30 s by
        # default), and a probe has nothing more to say.
        writer.transport.abort()


async def connect(
    host: str, addresses: tuple[str, ...], port: int, context: ssl.SSLContext | None, progress: Progress
) -> None:
    """Connect (and verify TLS) only; raises the error of the layer that failed."""
    async with opened(host, addresses, port, context, progress):
        pass
