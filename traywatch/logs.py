"""Logging to a rotated file in the platform's log folder, and to stderr.

The log is private (0600 in a 0700 folder) and names hosts, never whole URLs: webhook URLs hold
their secret in the path, and a library's request log would otherwise write it out."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# scheme://[userinfo@]host[:port] and whatever path, query or fragment follows.
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)(?:[^/\s@]*@)?(\[[^\]\s]*\]|[^/\s:?#\"'<>]+)(:\d+)?[^\s\"'<>]*")


def hosts_only(text: str) -> str:
    """Every URL in ``text`` cut to its scheme and host: ``https://discord.com/…``."""
    return _URL.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}/…", text)


class HostsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = hosts_only(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Each log file, rotated ones too, is created readable by its owner only."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # an older file, made before logs were private
        return io.TextIOWrapper(io.FileIO(fd, "a"), encoding=self.encoding or "utf-8")


def private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def setup_logging(log_dir: Path, verbose: bool = False) -> Path | None:
    """Returns the log file, or None if the folder cannot be written (then stderr only)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("traywatch: %(levelname)s: %(message)s"))
    console.addFilter(HostsOnly())
    root.addHandler(console)
    path = log_dir / "traywatch.log"
    try:
        private_dir(log_dir)
        handler = PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write logs to %s: %s", log_dir, exc)
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(HostsOnly())
    root.addHandler(handler)
    # httpx logs every request at INFO: one line per probe is noise at a minute's interval.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.INFO)
    return path
