"""Typed reads from parsed TOML that fail with the file, the key, its line and what was expected."""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from traywatch.errors import ConfigError

KeyPath = tuple[str | int, ...]
MAX_BYTES = 1 << 20  # a settings file is a few KB; anything this big is not one


class TomlDocument:
    """A parsed TOML file that can say on which line a key path is written."""

    def __init__(self, path: Path | str, text: str) -> None:
        self.path = Path(path)
        self.text = text
        try:
            self.data: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # tomllib's message already carries "(at line N, column M)".
            raise ConfigError(self.path, "", f"not valid TOML: {exc}") from None
        except RecursionError:
            raise ConfigError(self.path, "", "not a settings file: its values are nested too deep") from None

    @classmethod
    def read(cls, path: Path | str) -> TomlDocument:
        """Read a regular file of at most ``MAX_BYTES``: a FIFO would hang the reader, a device
        or a huge file would fill memory."""
        path = Path(path)
        try:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError(path, "", "is not a regular file")
            if info.st_size > MAX_BYTES:
                raise ConfigError(path, "", f"is {info.st_size} bytes, too big to be a settings file")
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise ConfigError(path, "", f"cannot be read ({exc.strerror or exc})") from None
        if len(raw) > MAX_BYTES:
            raise ConfigError(path, "", f"is more than {MAX_BYTES} bytes, too big to be a settings file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(path, "", f"is not UTF-8 text (byte {exc.start})") from None
        return cls(path, text)

    def root(self) -> Node:
        return Node(self, self.data, ())

    def line_of(self, keypath: KeyPath) -> int | None:
        """Best-effort line number (1-based) of a key written in block style."""
        lines = self.text.splitlines()
        start = 0
        prefix: list[str] = []
        i = 0
        while i < len(keypath):
            part = keypath[i]
            if not isinstance(part, str):
                return None
            nxt = keypath[i + 1] if i + 1 < len(keypath) else None
            dotted = ".".join([*prefix, part])
            if isinstance(nxt, int):
                found = _nth_line(lines, start, rf"^\s*\[\[\s*{re.escape(dotted)}\s*\]\]", nxt)
                if found is None:
                    return None
                start, prefix = found + 1, [*prefix, part]
                i += 2
                continue
            if nxt is None:
                found = _nth_line(lines, start, rf"^\s*{re.escape(part)}\s*=", 0, stop_at_header=True)
                return None if found is None else found + 1
            found = _nth_line(lines, start, rf"^\s*\[\s*{re.escape(dotted)}\s*\]", 0)
            if found is None:
                return None
            start, prefix = found + 1, [*prefix, part]
            i += 1
        return start if start else None


def _nth_line(lines: list[str], start: int, pattern: str, n: int, stop_at_header: bool = False) -> int | None:
    regex = re.compile(pattern)
    seen = 0
    for index in range(start, len(lines)):
        if stop_at_header and lines[index].lstrip().startswith("["):
            return None
        if regex.match(lines[index]):
            if seen == n:
                return index
            seen += 1
    return None


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def _describe(value: object) -> str:
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


class Node:
    """One table of a document, read with types checked."""

    def __init__(self, doc: TomlDocument, data: Mapping[str, Any], path: KeyPath) -> None:
        self.doc = doc
        self.data = data
        self.path = path

    def where(self, key: str | int | None = None) -> str:
        keypath = self.path if key is None else (*self.path, key)
        text = ""
        for part in keypath:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        line = self.doc.line_of(keypath)
        return f"line {line}, key {text}" if line else f"key {text}"

    def error(self, key: str | None, problem: str) -> ConfigError:
        return ConfigError(self.doc.path, self.where(key), problem)

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, kinds: tuple[type, ...], expected: str, default: Any) -> Any:
        if key not in self.data:
            if default is _REQUIRED:
                raise self.error(None, f"missing key '{key}' ({expected})")
            return default
        value = self.data[key]
        # bool is an int in Python, but `timeout = true` is a mistake, not 1.
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(key, f"expected {expected}, got {_describe(value)}")
        if not isinstance(value, kinds):
            raise self.error(key, f"expected {expected}, got {_describe(value)}")
        return value

    def string(self, key: str, default: Any = None, *, required: bool = False) -> Any:
        value = self._get(key, (str,), "a string", _REQUIRED if required else default)
        if isinstance(value, str) and required and not value.strip():
            raise self.error(key, "expected a non-empty string")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value: bool = self._get(key, (bool,), "true or false", default)
        return value

    def strings(self, key: str, default: Iterable[str] = ()) -> tuple[str, ...]:
        value = self._get(key, (list,), "a list of strings", list(default))
        for item in value:
            if not isinstance(item, str):
                raise self.error(key, f"expected a list of strings, found {_describe(item)}")
        return tuple(value)

    def integers(self, key: str, default: Iterable[int] = ()) -> tuple[int, ...]:
        value = self._get(key, (list,), "a list of integers", list(default))
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int):
                raise self.error(key, f"expected a list of integers, found {_describe(item)}")
        return tuple(value)

    def table(self, key: str) -> Node | None:
        value = self._get(key, (dict,), "a table", None)
        return None if value is None else Node(self.doc, value, (*self.path, key))

    def tables(self, key: str) -> list[Node]:
        value = self._get(key, (list,), f"an array of tables ([[{key}]])", [])
        nodes = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.error(key, f"expected an array of tables ([[{key}]])")
            nodes.append(Node(self.doc, item, (*self.path, key, index)))
        return nodes

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        allowed_set = set(allowed)
        for key in self.data:
            if key not in allowed_set:
                known = ", ".join(sorted(allowed_set))
                raise self.error(key, f"unknown key '{key}' (known keys: {known})")


_REQUIRED: Any = object()
