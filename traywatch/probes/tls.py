"""One verifying TLS context for the app's whole life: system trust (honouring SSL_CERT_FILE and
SSL_CERT_DIR, as OpenSSL does; from a hashed CA folder, issuers are read only as they are needed),
an optional extra CA bundle, certifi only where the system has none.

It offers each server (a host and port) the session its last handshake left (a TLS 1.3 ticket),
so a check a minute later resumes instead of receiving the certificate chain again: about 4 KB
less per server and cycle. A server that declines simply does a full handshake, verified as
always; a network that intercepts TLS cannot resume a session it did not issue, so it still
shows its own certificate."""

from __future__ import annotations

import logging
import os
import re
import ssl
from functools import lru_cache
from pathlib import Path

from traywatch.urls import wire_name

log = logging.getLogger(__name__)


def _system_has_trust() -> bool:
    paths = ssl.get_default_verify_paths()
    return any(p and os.path.exists(p) for p in (paths.cafile, paths.capath))


_HASHED_NAME = re.compile(r"[0-9a-f]{8}\.[0-9]+")


def _hashed_folder() -> str | None:
    """The system's CA folder when OpenSSL can look issuers up in it by name hash (Debian and
    Ubuntu keep it so), unless SSL_CERT_FILE names a bundle to use."""
    if os.environ.get("SSL_CERT_FILE"):
        return None
    folder = ssl.get_default_verify_paths().capath
    try:
        names = os.listdir(folder) if folder else []
    except OSError:
        return None
    return folder if any(_HASHED_NAME.fullmatch(name) for name in names) else None


# After finished handshakes left no ticket twice running (a server without them, or probes that
# hung up before the ticket came), that server's next connections are not read: this many of them.
SKIP_AFTER_NO_TICKET = 15
# A read that finds no ticket may just be early: a connection to the same server made at the same
# moment can finish its handshake a moment before the server's ticket arrives. Only this many
# misses running say the server gives none.
MISSES_BEFORE_SKIP = 2

_Server = tuple[str, int | None]  # a host name and a port (None: not known)


class ResumingContext(ssl.SSLContext):
    """An SSLContext that offers each new connection to a server the session a finished
    handshake with that server left, for as long as the server resumes it.

    A server is a host and a port: one name can front two servers (a web front on 443, a chat
    server on 5222) with ticket keys of their own, and each would refuse the other's session.
    Connections wrapped by ``wrap_bio`` alone (asyncio's own TLS) name no port.

    The session is read out of a connection only when there is none for its server yet, or when
    the server did not resume the one offered (its ticket expired, its keys changed): in CPython
    3.11 each read of a TLS 1.3 session leaks about 6 KB (docs/performance.md), and a tray app
    makes some 30,000 connections a day. Connections made at the same moment all offer the last
    one known."""

    _sessions: dict[_Server, ssl.SSLSession]
    _newest: dict[_Server, ssl.SSLObject]
    _skip: dict[_Server, int]  # connections to a server not to read, after reads found no ticket
    _misses: dict[_Server, int]  # reads running that found no ticket
    reads = 0  # sessions read out of connections, for tests and benchmarks

    def offered(self, host: str, port: int | None = None) -> ssl.SSLSession | None:
        """The session the next connection to ``host`` on ``port`` will offer."""
        sessions: dict[_Server, ssl.SSLSession] = self.__dict__.get("_sessions", {})
        return sessions.get((host, port))

    def wrap_bio(  # type: ignore[override]
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        if server_side or not server_hostname:
            return super().wrap_bio(incoming, outgoing, server_side, server_hostname, session)
        return self._resuming(incoming, outgoing, (server_hostname, None), session)

    def wrap_client(self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO, host: str, port: int) -> ssl.SSLObject:
        """The client side of a connection to ``host`` on ``port``."""
        return self._resuming(incoming, outgoing, (host, port), None)

    def _resuming(
        self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO, server: _Server, session: ssl.SSLSession | None
    ) -> ssl.SSLObject:
        sessions = self.__dict__.setdefault("_sessions", {})
        newest = self.__dict__.setdefault("_newest", {})
        skip = self.__dict__.setdefault("_skip", {})
        misses = self.__dict__.setdefault("_misses", {})
        previous = newest.pop(server, None)
        # A handshake still under way (no version yet) has nothing to read; one that resumed
        # the session offered leaves it as good as it was.
        if previous is not None and previous.version() is not None and not previous.session_reused:
            if skip.get(server, 0) > 0:
                skip[server] -= 1  # a server that gave no ticket lately: not read every time
            else:
                self.reads += 1
                fresh = _ticketed(previous)
                if fresh is not None:
                    sessions[server] = fresh
                    misses.pop(server, None)
                else:
                    misses[server] = misses.get(server, 0) + 1
                    if misses[server] >= MISSES_BEFORE_SKIP:
                        skip[server] = SKIP_AFTER_NO_TICKET
                        misses[server] = 0
        if session is None:
            session = sessions.get(server)
        made = super().wrap_bio(incoming, outgoing, False, wire_name(server[0]), session)
        newest[server] = made  # looked at when the next connection to its server starts
        return made


def _ticketed(finished: ssl.SSLObject) -> ssl.SSLSession | None:
    """The session a finished handshake left, if it carries a ticket to offer again."""
    try:
        offered = finished.session
    except (ValueError, ssl.SSLError):
        return None
    return offered if offered is not None and offered.has_ticket else None


@lru_cache(maxsize=4)
def _context(cert_file: str | None, cert_dir: str | None, extra_ca: str | None) -> ssl.SSLContext:
    # The environment values are part of the cache key, so a changed SSL_CERT_FILE is seen.
    del cert_file, cert_dir
    context = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names
    folder = _hashed_folder()
    if folder is not None:
        # Issuers read as handshakes need them: the whole bundle parsed up front is 144
        # certificates and 2.5 MB resident for the app's life (docs/performance.md).
        context.load_verify_locations(capath=folder)
    else:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    if not _system_has_trust():
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    if extra_ca:
        try:
            context.load_verify_locations(cafile=extra_ca)
        except (OSError, ssl.SSLError, ValueError) as exc:
            # Checked when the config was read; if the file changed since, probe on system trust.
            log.warning("the extra CA bundle could not be loaded (%s): using system trust only", type(exc).__name__)
    return context


def verifying_context(extra_ca: Path | None = None) -> ssl.SSLContext:
    return _context(
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("SSL_CERT_DIR"),
        str(extra_ca) if extra_ca else None,
    )
