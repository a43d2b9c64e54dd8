"""Turn the exceptions of sockets, ssl, getaddrinfo and the HTTP client into an Outcome and a short detail."""

from __future__ import annotations

import errno
import socket
import ssl

from traywatch.model import Outcome
from traywatch.probes import client

# OpenSSL X509_V_ERR_* codes, as carried by ssl.SSLCertVerificationError.verify_code.
_CERT_CODES = {
    10: Outcome.CERT_EXPIRED,  # certificate has expired
    9: Outcome.CERT_NOT_YET_VALID,  # certificate is not yet valid
    18: Outcome.CERT_UNKNOWN_ISSUER,  # self-signed certificate
    19: Outcome.CERT_UNKNOWN_ISSUER,  # self-signed certificate in chain
    20: Outcome.CERT_UNKNOWN_ISSUER,  # unable to get local issuer certificate
    21: Outcome.CERT_UNKNOWN_ISSUER,  # unable to verify the first certificate
    62: Outcome.CERT_WRONG_HOST,  # hostname mismatch
    64: Outcome.CERT_WRONG_HOST,  # IP address mismatch
}

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ENETDOWN, errno.EHOSTDOWN}

_GAI_NODATA = getattr(socket, "EAI_NODATA", None)


def classify_gaierror(exc: socket.gaierror) -> tuple[Outcome, str]:
    code = exc.errno
    if code == socket.EAI_NONAME:
        return Outcome.NXDOMAIN, "name does not exist (NXDOMAIN)"
    if _GAI_NODATA is not None and code == _GAI_NODATA:
        return Outcome.NO_ADDRESS, "name has no address"
    if code in (socket.EAI_AGAIN, socket.EAI_FAIL):
        return Outcome.SERVFAIL, "resolver failed (SERVFAIL or no answer)"
    return Outcome.ERROR, f"lookup failed: {exc.strerror or exc}"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify_exception(exc: BaseException) -> tuple[Outcome, str]:
    """Name what went wrong, looking through wrapped exceptions to the socket-level cause."""
    chain = _chain(exc)
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            outcome = _CERT_CODES.get(item.verify_code, Outcome.CERT_INVALID)
            return outcome, f"certificate rejected: {item.verify_message}"
        if isinstance(item, socket.gaierror):
            return classify_gaierror(item)
        if isinstance(item, ConnectionRefusedError):
            return Outcome.REFUSED, "connection refused"
        if isinstance(item, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return Outcome.RESET, "connection reset"
        if isinstance(item, ssl.SSLError):
            if "EOF" in str(item):  # UNEXPECTED_EOF_WHILE_READING, or an SSLEOFError
                return Outcome.RESET, "connection closed during the TLS handshake"
            # An SSLError made in Python, not by OpenSSL, carries no reason.
            return Outcome.TLS_ERROR, f"TLS handshake failed: {getattr(item, 'reason', None) or item}"
        if isinstance(item, (TimeoutError, client.TimeoutException)):
            return Outcome.TIMEOUT, "timed out"
        # A refusal or a reset is raised as its own OSError subclass, named above; an unreachable
        # network has none.
        if isinstance(item, OSError) and item.errno in _UNREACHABLE:
            return Outcome.UNREACHABLE, f"network unreachable ({item.strerror})"
    first = chain[0]
    if isinstance(first, client.RemoteProtocolError):
        # Its text quotes the server's bytes: named from a fixed vocabulary instead.
        text = str(first).lower()
        if "without sending" in text or "closed connection" in text:
            return Outcome.RESET, "server closed the connection early"
        return Outcome.MALFORMED, f"malformed HTTP answer ({_protocol_fault(text)})"
    if isinstance(first, (client.ReadError, client.WriteError)):
        return Outcome.RESET, "connection broke while talking"
    if isinstance(first, client.UnsupportedProtocol):
        return Outcome.ERROR, str(first)
    if isinstance(first, client.DecodingError):
        return Outcome.MALFORMED, "malformed HTTP answer (undecodable body)"
    # Never echo arbitrary exception text: it could quote a URL with credentials.
    return Outcome.ERROR, f"unexpected error ({type(first).__name__})"


def _protocol_fault(text: str) -> str:
    # The narrower words first: h11 says "illegal chunk header" and "conflicting Content-Length
    # headers", which are a broken body and a broken length, not a broken header.
    for words, fault in (
        ("chunk", "bad chunked body"),
        ("content-length", "bad length"),
        ("too long", "headers too long"),
        ("status line", "bad status line"),
        ("header", "bad header"),
    ):
        if words in text:
            return fault
    return "not HTTP"
