"""Secrets bound to where they were saved.

A secret is kept in the keyring with the origin (scheme, host and port) it was saved for: the
proxy password with the proxy's address, the webhook token with the webhook's. If the config file
is changed to point elsewhere, the secret is not sent there: the menu and the settings say so and
ask for it again. A secret never goes over plain http (a proxy on this machine excepted: the
traffic never leaves it). Webhook URLs that are themselves credentials (Slack, Discord, a Matrix
access token) are kept in the keyring like tokens, with only their origin in the config file.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from traywatch.secretstore import SecretStore

# Each secret, and the setting naming where it may be sent.
BOUND_TO = {"network.proxy_password": "network.proxy_url", "forwarding.token": "forwarding.url"}
SECRET_URL_KEY = "forwarding.url"  # noqa: S105 - the keyring entry (a name) for a webhook URL that is a credential
_CREDENTIAL_HOSTS = {
    "hooks.slack.com": "/services/",
    "discord.com": "/api/webhooks/",
    "discordapp.com": "/api/webhooks/",
    "ptb.discord.com": "/api/webhooks/",
    "canary.discord.com": "/api/webhooks/",
}
_CREDENTIAL_QUERY = {"access_token", "token", "key", "secret"}


def origin(url: str) -> str:
    """``https://hooks.example:8443/x?y`` → ``https://hooks.example:8443``; "" if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def is_secret_url(url: str) -> bool:
    """A URL that is a credential in itself: whoever has it can post as you."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    prefix = _CREDENTIAL_HOSTS.get((parts.hostname or "").lower())
    if prefix is not None and parts.path.startswith(prefix):
        return True
    return bool(_CREDENTIAL_QUERY & {k.lower() for k in parse_qs(parts.query)})


def pack(secret: str, url: str) -> str:
    """What the keyring keeps: the secret and the origin it may be sent to."""
    return json.dumps({"secret": secret, "for": origin(url)})


def unpack(stored: str) -> tuple[str, str | None]:
    """(secret, origin); origin None for a secret saved before secrets were bound."""
    try:
        document = json.loads(stored)
    except ValueError:
        return stored, None
    if isinstance(document, dict) and isinstance(document.get("secret"), str) and isinstance(document.get("for"), str):
        return document["secret"], document["for"]
    return stored, None


@dataclass(frozen=True)
class Release:
    secret: str | None  # None: not to be sent
    reason: str = ""  # why not, for the menu and the settings; "" when it is sent or none is saved


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def release(stored: str | None, url: str, what: str, *, loopback_http: bool = False) -> Release:
    """May the secret kept as ``stored`` be sent to ``url``? ``what`` names it in the reason."""
    if not stored:
        return Release(None)
    secret, saved_for = unpack(stored)
    if not secret:
        return Release(None)
    target = origin(url)
    if saved_for is None:
        return Release(
            None, f"The {what} is not sent: enter it again in Settings, to tie it to {target or 'its address'}."
        )
    if saved_for != target:
        return Release(
            None,
            f"The {what} was saved for {saved_for}, but the settings now point at {target or 'nothing'}: "
            "it is not sent there. Enter it again in Settings to use it there.",
        )
    if urlsplit(url).scheme != "https" and not (loopback_http and _loopback(url)):
        return Release(None, f"The {what} is not sent over plain http: use an https:// address.")
    return Release(secret)


def stash_secret_url(store: SecretStore, url: str) -> str | None:
    """Keep a webhook URL that is a credential in the keyring; returns what the config file
    keeps instead (its origin), or None when there is no keyring to keep it in."""
    if not store.available:
        return None
    store.set(SECRET_URL_KEY, pack(url, url))
    return origin(url) + "/"
