"""One verifying TLS context for the app's whole life: system trust (honouring SSL_CERT_FILE and
SSL_CERT_DIR, as OpenSSL does; from a hashed CA folder, issuers are read only as they are needed),
an optional extra CA bundle, certifi only where the system has none.

It offers each host the session its last handshake left (a TLS 1.3 ticket), so a check a minute
later resumes instead of receiving the certificate chain again: about 4 KB less per host and
cycle. A server that declines simply does a full handshake, verified as always; a network that
intercepts TLS cannot resume a session it did not issue, so it still shows its own certificate."""

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
# hung up before the ticket came), its host's next connections are not read: this many of them.
SKIP_AFTER_NO_TICKET = 15
# A read that finds no ticket may just be early: a connection to the same host made at the same
# moment can finish its handshake a moment before the server's ticket arrives. Only this many
# misses running say the host gives none.
MISSES_BEFORE_SKIP = 2


class ResumingContext(ssl.SSLContext):
    """An SSLContext that offers each new connection to a host the session a finished handshake
    with that host left, for as long as the host resumes it.

    The session is read out of a connection only when there is none for its host yet, or when
    the host did not resume the one offered (its ticket expired, its keys changed): in CPython
    3.11 each read of a TLS 1.3 session leaks about 6 KB (docs/performance.md), and a tray app
    makes some 30,000 connections a day. Connections made at the same moment all offer the last
    one known."""

    _sessions: dict[str, ssl.SSLSession]
    _newest: dict[str, ssl.SSLObject]
    _skip: dict[str, int]  # connections to a host not to read, after reads found no ticket
    _misses: dict[str, int]  # reads running that found no ticket
    reads = 0  # sessions read out of connections, for tests and benchmarks

    def offered(self, host: str) -> ssl.SSLSession | None:
        """The session the next connection to ``host`` will offer."""
        sessions: dict[str, ssl.SSLSession] = self.__dict__.get("_sessions", {})
        return sessions.get(host)

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
        sessions = self.__dict__.setdefault("_sessions", {})
        newest = self.__dict__.setdefault("_newest", {})
        skip = self.__dict__.setdefault("_skip", {})
        misses = self.__dict__.setdefault("_misses", {})
        previous = newest.pop(server_hostname, None)
        # A handshake still under way (no version yet) has nothing to read; one that resumed
        # the session offered leaves it as good as it was.
        if previous is not None and previous.version() is not None and not previous.session_reused:
            if skip.get(server_hostname, 0) > 0:
                skip[server_hostname] -= 1  # a host that gave no ticket lately: not read every time
            else:
                self.reads += 1
                fresh = _ticketed(previous)
                if fresh is not None:
                    sessions[server_hostname] = fresh
                    misses.pop(server_hostname, None)
                else:
                    misses[server_hostname] = misses.get(server_hostname, 0) + 1
                    if misses[server_hostname] >= MISSES_BEFORE_SKIP:
                        skip[server_hostname] = SKIP_AFTER_NO_TICKET
                        misses[server_hostname] = 0
        if session is None:
            session = sessions.get(server_hostname)
        made = super().wrap_bio(incoming, outgoing, server_side, wire_name(server_hostname), session)
        newest[server_hostname] = made  # looked at when the next connection to its host starts
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
