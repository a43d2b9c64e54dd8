"""Secrets (webhook token, proxy password) in the OS keyring, and nowhere else.

Only backends that keep secrets encrypted by the system are allowed; if none is usable the store
says why and refuses to save: there is no plaintext fallback. Library errors are turned into
TraywatchError with a title and a message for people, and never carry the secret itself.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any, Protocol

from traywatch.errors import TraywatchError

log = logging.getLogger(__name__)

SERVICE = "traywatch"

# (module, class, what to call it): in order of preference.
_ALLOWED = (
    ("keyring.backends.SecretService", "Keyring", "Secret Service (GNOME Keyring, KWallet, KeePassXC)"),
    ("keyring.backends.libsecret", "Keyring", "Secret Service (libsecret)"),
    ("keyring.backends.kwallet", "DBusKeyring", "KWallet"),
    ("keyring.backends.macOS", "Keyring", "macOS Keychain"),
    ("keyring.backends.Windows", "WinVaultKeyring", "Windows Credential Manager"),
)


class SecretStore(Protocol):
    available: bool
    description: str  # which store is used, or why none is

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


def _translate(action: str, exc: Exception) -> TraywatchError:
    name = type(exc).__name__
    if name == "KeyringLocked":
        return TraywatchError("Keyring locked", f"Unlock your keyring to {action}.")
    if name in ("InitError", "NoKeyringError"):
        return TraywatchError("Keyring unavailable", f"The system keyring could not be opened to {action}.")
    # The library's own text could quote what was being stored: say only what kind of failure it was.
    return TraywatchError("Keyring error", f"The system keyring failed to {action} ({name}).")


class KeyringStore:
    available = True

    def __init__(self, backend: Any, description: str) -> None:
        self._backend = backend
        self.description = description
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            try:
                value = self._backend.get_password(SERVICE, key)
            except Exception as exc:
                raise _translate("read a saved secret", exc) from None
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        if not value:
            self.delete(key)
            return
        with self._lock:
            try:
                self._backend.set_password(SERVICE, key, value)
            except Exception as exc:
                raise _translate("save the secret", exc) from None
        log.info("saved %s in %s", key, self.description)

    def delete(self, key: str) -> None:
        with self._lock:
            try:
                self._backend.delete_password(SERVICE, key)
            except Exception as exc:
                if type(exc).__name__ == "PasswordDeleteError":
                    return  # nothing was saved: nothing to delete
                raise _translate("delete the secret", exc) from None


class NullStore:
    """No usable keyring: every field that needs one is disabled, with this reason beside it."""

    available = False

    def __init__(self, reason: str) -> None:
        self.description = reason

    def get(self, key: str) -> str | None:
        return None

    def set(self, key: str, value: str) -> None:
        if value:
            raise TraywatchError("No keyring", self.description)

    def delete(self, key: str) -> None:
        return None


def open_secret_store() -> SecretStore:
    """The first allowed keyring backend that works here, or a NullStore saying why not."""
    reasons = []
    for module_name, class_name, label in _ALLOWED:
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            priority = cls.priority  # raises when the backend cannot work on this system
        except Exception as exc:
            reasons.append(f"{label}: {type(exc).__name__}")
            continue
        if priority <= 0:
            continue
        store = KeyringStore(cls(), label)
        try:
            store.get("availability-check")
        except TraywatchError as exc:
            reasons.append(f"{label}: {exc.message}")
            continue
        return store
    reason = "No secure system keyring is available, so secrets cannot be saved (no plaintext fallback)."
    log.warning("%s Tried: %s", reason, "; ".join(reasons) or "nothing")
    return NullStore(reason)
