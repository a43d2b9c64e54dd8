"""TCP connect and TLS handshake probes, for edges that do not speak plain HTTP."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from traywatch.model import Layer
from traywatch.probes.eyeballs import first_link
from traywatch.probes.link import Link
from traywatch.probes.progress import Progress


@asynccontextmanager
async def opened(
    host: str, addresses: tuple[str, ...], port: int, context: ssl.SSLContext | None, progress: Progress
) -> AsyncIterator[Link]:
    """Connect to the first address that answers (``eyeballs``), then (with a context) verify
    TLS for ``host``.

    Raises the socket or ssl error of the layer that failed; ``progress`` says which layer.
    """
    progress.enter(Layer.TCP)
    link = await first_link(addresses, port, tls=context is not None)
    try:
        progress.done()
        if context is not None:
            progress.enter(Layer.TLS)
            await link.start_tls(context, host, port)
            progress.done()
        yield link
    finally:
        # Abort rather than close: a probe has nothing more to say, and waits for no goodbye.
        link.abort()


async def connect(
    host: str, addresses: tuple[str, ...], port: int, context: ssl.SSLContext | None, progress: Progress
) -> None:
    """Connect (and verify TLS) only; raises the error of the layer that failed."""
    async with opened(host, addresses, port, context, progress) as link:
        link.flush()  # the handshake's last message, so that the server sees it finished
