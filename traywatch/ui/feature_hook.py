"""Keeps PySide6's ``__feature__`` import hook from reading the source of every module.

Once PySide6 is loaded, the hook looks at each module an ``import`` statement names, the first
time it is named, and reads that module's whole source to see whether it mentions PySide6 (only
such a module may say ``from __feature__ import snake_case``). ``linecache`` then keeps every one
of those sources for the life of the process: for this app about 2.4 MB of text over 150 modules,
and 7 MB of resident memory in all (docs/performance.md).

traywatch uses no ``__feature__``, so every module other than PySide6's own is decided
beforehand with the hook's own "ignore this module" value: the ones loaded already, and each new
one as it is first imported, by a finder that only takes note and finds nothing. "Ignore" leaves
a module out of feature switching, which changes nothing while no module selects a feature.
What the hook read while PySide6 itself loaded (``typing`` and ``enum``, 0.2 MB of text) is let
go: ``linecache`` reads a file again should a traceback need it. Should a PySide6 release rename
or drop its table, ``skip_source_reads`` does nothing and the hook works as before.
"""

from __future__ import annotations

import linecache
import sys
from collections.abc import MutableMapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

_IGNORE = -1  # the hook's value for "this module does not use __feature__"
_LEFT_TO_THE_HOOK = ("PySide6", "shiboken6")


class _DecideOnImport:
    """A meta path finder by its ``find_spec`` alone: ``importlib.abc`` would bring
    ``importlib.resources`` into memory with it, which nothing else here needs."""

    def __init__(self, decided: MutableMapping[str, int]) -> None:
        self.decided = decided

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not fullname.startswith(_LEFT_TO_THE_HOOK):
            self.decided.setdefault(fullname, _IGNORE)
        return None  # the real finders load it


def skip_source_reads() -> bool:
    """Call once, right after the first PySide6 import. True if the hook's table was found."""
    feature = sys.modules.get("PySide6.support.feature")
    decided = getattr(feature, "pyside_feature_dict", None)
    if not isinstance(decided, dict):
        return False
    for name in list(sys.modules):
        if not name.startswith(_LEFT_TO_THE_HOOK):
            decided.setdefault(name, _IGNORE)
    if not any(isinstance(finder, _DecideOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _DecideOnImport(decided))
    linecache.clearcache()
    return True
