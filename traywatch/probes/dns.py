"""The system resolver, with a deadline it cannot overrun, and a test for sinkholed answers."""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import ipaddress
import socket
from dataclasses import dataclass

from traywatch.model import Outcome
from traywatch.probes.classify import classify_gaierror
from traywatch.urls import wire_name


@dataclass(frozen=True)
class Lookup:
    outcome: Outcome
    addresses: tuple[str, ...] = ()
    detail: str = ""


async def resolve(host: str, port: int) -> Lookup:
    """getaddrinfo in a daemon thread: a resolver that hangs can neither hold the cycle past its
    deadline (the caller's timeout cancels the wait) nor keep the process from exiting. An
    address needs no lookup and gets none."""
    literal = _literal(host)
    if literal is not None:
        return Lookup(Outcome.OK, (literal,))
    name = wire_name(host)
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[tuple[object, ...]]] = loop.create_future()

    def deliver(result: list[tuple[object, ...]] | BaseException) -> None:
        if future.done():
            return
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)

    def work() -> None:
        result: list[tuple[object, ...]] | BaseException
        try:
            # AI_ADDRCONFIG: no AAAA query where this machine has no IPv6 address to use.
            result = list(socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG))
        except BaseException as exc:  # handed to the event loop, never lost in the thread
            result = exc
        # If the loop has closed, nobody waits for this answer any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(deliver, result)

    # A bare thread: threading.Thread.start() would hold the event loop until the thread runs,
    # about half a millisecond a lookup, and a thread that never ends must not be waited for at exit.
    _thread.start_new_thread(work, ())
    try:
        infos = await future
    except socket.gaierror as exc:
        outcome, detail = classify_gaierror(exc)
        return Lookup(outcome, detail=detail)
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))  # type: ignore[index]
    if not addresses:
        return Lookup(Outcome.NO_ADDRESS, detail="name has no address")
    return Lookup(Outcome.OK, addresses)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def is_sinkhole(address: str) -> bool:
    """0.0.0.0, loopback, private and link-local answers for a public name mean a filter. A
    link-local answer comes with its interface (``fe80::1%eth0``), which ipaddress reads."""
    ip = ipaddress.ip_address(address)
    return ip.is_unspecified or ip.is_loopback or ip.is_private or ip.is_link_local
