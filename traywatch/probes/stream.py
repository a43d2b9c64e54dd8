"""TCP connect and TLS handshake probes, for edges that do not speak plain HTTP."""

from __future__ import annotations

import asyncio
import ssl

from traywatch.model import Layer
from traywatch.probes.progress import Progress


async def connect(
    host: str, addresses: tuple[str, ...], port: int, context: ssl.SSLContext | None, progress: Progress
) -> None:
    """Connect to the first address that answers, then (with a context) verify TLS for ``host``.

    Raises the socket or ssl error of the layer that failed; ``progress`` says which layer.
    """
    progress.enter(Layer.TCP)
    writer: asyncio.StreamWriter | None = None
    last: OSError | None = None
    for address in addresses:
        try:
            _, writer = await asyncio.open_connection(address, port)
            break
        except OSError as exc:
            # An unreachable IPv6 route fails at once; the next (IPv4) address may work.
            last = exc
    if writer is None:
        raise last if last is not None else OSError("no address to connect to")
    try:
        progress.done()
        if context is not None:
            progress.enter(Layer.TLS)
            await writer.start_tls(context, server_hostname=host)
            progress.done()
    finally:
        # Abort rather than close: a TLS close waits for the peer's close_notify (30 s by
        # default), and a probe has nothing more to say.
        writer.transport.abort()
