"""Which proxies the system names. On Linux and the BSDs the environment is the only place that
names one, and most environments name none: then nothing more is loaded. Otherwise the standard
library reads them (urllib.request, which brings http.client and the email package: 2.4 MB
resident, docs/performance.md)."""

from __future__ import annotations

import os
import sys


def _named_in_environment() -> bool:
    return any(value and name.lower().endswith("_proxy") for name, value in os.environ.items())


def system_proxies() -> dict[str, str]:
    """What ``urllib.request.getproxies()`` says: scheme → proxy URL (``no`` for the exceptions)."""
    if sys.platform not in ("darwin", "win32") and not _named_in_environment():
        return {}
    import urllib.request

    return urllib.request.getproxies()


def bypassed(host: str) -> bool:
    """True when the system says to reach ``host`` directly despite a proxy."""
    import urllib.request

    return bool(urllib.request.proxy_bypass(host))
