"""One verifying TLS context for the app's whole life: system trust (honouring SSL_CERT_FILE and
SSL_CERT_DIR, as OpenSSL does), an optional extra CA bundle, certifi only where the system has none.

It offers each host the session its last handshake left (a TLS 1.3 ticket), so a check a minute
later resumes instead of receiving the certificate chain again: about 4 KB less per host and
cycle. A server that declines simply does a full handshake, verified as always; a network that
intercepts TLS cannot resume a session it did not issue, so it still shows its own certificate."""

from __future__ import annotations

import logging
import os
import ssl
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


def _system_has_trust() -> bool:
    paths = ssl.get_default_verify_paths()
    return any(p and os.path.exists(p) for p in (paths.cafile, paths.capath))


class ResumingContext(ssl.SSLContext):
    """An SSLContext that offers each new connection to a host the newest session a finished
    handshake with that host left. Each connection's session is read once, when the next one
    to its host starts: connections made at the same moment offer the last finished one."""

    _sessions: dict[str, ssl.SSLSession]
    _newest: dict[str, ssl.SSLObject]

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
        finished = _resumable(newest.pop(server_hostname, None))
        if finished is not None:
            sessions[server_hostname] = finished
        if session is None:
            session = sessions.get(server_hostname)
        made = super().wrap_bio(incoming, outgoing, server_side, server_hostname, session)
        newest[server_hostname] = made  # its session is read when the next connection starts
        return made


def _resumable(previous: ssl.SSLObject | None) -> ssl.SSLSession | None:
    """The session a finished handshake left, if it can be offered again."""
    # A handshake still under way has no version yet, and reading a session costs a copy of it.
    if previous is None or previous.version() is None:
        return None
    try:
        offered = previous.session  # raises when that handshake never finished
    except (ValueError, ssl.SSLError):
        return None
    return offered if offered is not None and offered.has_ticket else None


@lru_cache(maxsize=4)
def _context(cert_file: str | None, cert_dir: str | None, extra_ca: str | None) -> ssl.SSLContext:
    # The environment values are part of the cache key, so a changed SSL_CERT_FILE is seen.
    del cert_file, cert_dir
    context = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names
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
