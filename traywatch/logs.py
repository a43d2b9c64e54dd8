"""Logging to a rotated file in the platform's log folder, and to stderr.

The log is private (0600 in a 0700 folder) and names hosts, never whole URLs: webhook URLs hold
their secret in the path, and a library's request log would otherwise write it out."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from pathlib import Path

LOG_BYTES = 1_000_000  # each file stays under this
LOG_BACKUPS = 3  # rotated files kept beside the current one
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


class PrivateRotatingFileHandler(logging.FileHandler):
    """A log file that stays under ``max_bytes``: before a record would reach it, the file
    becomes ``.1``, ``.1`` becomes ``.2`` and so on up to ``backups`` (at least 1); the oldest
    is dropped. Each file is created readable by its owner only.

    The standard library's rotating handler does the same, but ``logging.handlers`` brings
    ``pickle`` with it: 0.6 MB resident for the tray app's life."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.max_bytes = max_bytes
        self.backups = backups
        super().__init__(path, mode="a", encoding="utf-8", delay=True)

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # an older file, made before logs were private
        return io.TextIOWrapper(io.FileIO(fd, "a"), encoding="utf-8", errors="backslashreplace")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + self.terminator
            if self.stream is None:
                self.stream = self._open()
            size = self.stream.seek(0, os.SEEK_END)  # another writer may have added to it
            # A record longer than a whole file starts a new one rather than rotating empties.
            if size > 0 and size + len(text.encode("utf-8", "backslashreplace")) >= self.max_bytes:
                self._rotate(self.stream)
            self.stream.write(text)
            self.stream.flush()
        except Exception:
            self.handleError(record)

    def _rotate(self, stream: io.TextIOWrapper) -> None:
        stream.close()
        with contextlib.suppress(OSError):  # a rename refused: the log goes on in the same file
            for number in range(self.backups - 1, 0, -1):
                older = f"{self.baseFilename}.{number}"
                if os.path.exists(older):
                    os.replace(older, f"{self.baseFilename}.{number + 1}")
            os.replace(self.baseFilename, f"{self.baseFilename}.1")
        self.stream = self._open()


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
        handler = PrivateRotatingFileHandler(path, max_bytes=LOG_BYTES, backups=LOG_BACKUPS)
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
