"""One verifying TLS context for a cycle: system trust (honouring SSL_CERT_FILE and
SSL_CERT_DIR, as OpenSSL does), an optional extra CA bundle, certifi only where the system has none."""

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


@lru_cache(maxsize=4)
def _context(cert_file: str | None, cert_dir: str | None, extra_ca: str | None) -> ssl.SSLContext:
    # The environment values are part of the cache key, so a changed SSL_CERT_FILE is seen.
    del cert_file, cert_dir
    context = ssl.create_default_context()
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
