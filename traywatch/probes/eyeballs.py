"""One connection to a host that has several addresses, made as browsers make it (Happy Eyeballs,
RFC 8305): the addresses are tried in the resolver's order with the two families taking turns,
each ``ATTEMPT_DELAY`` after the one before (at once if that one failed), and the first to
connect wins. A family whose packets vanish (IPv6 announced by the router but not carried
upstream, a VPN that swallows one family) then costs a quarter of a second, as it does the user's
browser, instead of the probe's whole deadline: without this, every name with an IPv6 address
timed out on such a network, the controls too, and the tray said "It's your connection" while
every browser worked."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from itertools import zip_longest

from traywatch.probes.link import Link

ATTEMPT_DELAY = 0.25  # seconds: RFC 8305's recommended Connection Attempt Delay


def interleaved(addresses: Sequence[str]) -> tuple[str, ...]:
    """The addresses in the resolver's order, but the families taking turns, the first address's
    family first; names that are not addresses keep their place in the first family's turns."""
    families: dict[int | None, list[str]] = {}
    for address in addresses:
        families.setdefault(_version(address), []).append(address)
    turns = zip_longest(*families.values())
    return tuple(address for turn in turns for address in turn if address is not None)


def _version(address: str) -> int | None:
    """4 or 6; None for a name, which asyncio looks up."""
    try:
        return ipaddress.ip_address(address).version  # "fe80::1%eth0" included
    except ValueError:
        return None


async def _connect(address: str, port: int, tls: bool) -> Link:
    _, link = await asyncio.get_running_loop().create_connection(lambda: Link(tls=tls), address, port)
    return link


async def first_link(addresses: Sequence[str], port: int, *, tls: bool) -> Link:
    """A link to the first of ``addresses`` that takes the connection; the others are cancelled,
    and any that connected meanwhile are closed. Raises the last address's error if none does."""
    order = interleaved(addresses)
    if not order:
        raise OSError("no address to connect to")
    if len(order) == 1:
        return await _connect(order[0], port, tls)
    attempts: list[asyncio.Task[Link]] = []
    winner: Link | None = None
    try:
        for index, address in enumerate(order):
            attempts.append(asyncio.ensure_future(_connect(address, port, tls)))
            last = index == len(order) - 1
            winner = await _first_connected(attempts, None if last else ATTEMPT_DELAY)
            if winner is not None:
                return winner
        raise attempts[-1].exception() or OSError("no address took the connection")
    finally:
        for attempt in attempts:
            attempt.cancel()
        for result in await asyncio.gather(*attempts, return_exceptions=True):
            if isinstance(result, Link) and result is not winner:
                result.abort()  # connected, but another was first


async def _first_connected(attempts: list[asyncio.Task[Link]], wait: float | None) -> Link | None:
    """The first attempt to connect, waiting at most ``wait`` seconds (None: until every attempt
    has ended); None when the time is up or every attempt so far has failed."""
    loop = asyncio.get_running_loop()
    until = None if wait is None else loop.time() + wait
    while True:
        for attempt in attempts:
            if attempt.done() and not attempt.cancelled() and attempt.exception() is None:
                return attempt.result()
        running = [a for a in attempts if not a.done()]
        left = None if until is None else until - loop.time()
        if not running or (left is not None and left <= 0):
            return None
        await asyncio.wait(running, timeout=left, return_when=asyncio.FIRST_COMPLETED)
