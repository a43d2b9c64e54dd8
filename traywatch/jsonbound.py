"""JSON from a server, parsed within bounds: a document nested deeper than any honest answer is
refused before the parser recurses into it (60,000 brackets would otherwise raise RecursionError
in the middle of a cycle)."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class TooDeep(ValueError):
    pass


def _depth(text: bytes, limit: int) -> int:
    """How deep ``text`` nests, counted no further than one level past ``limit``."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def loads(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` for an answer already capped in size; raises ValueError (TooDeep for
    nesting past ``max_depth``) on anything that is not such a document."""
    if _depth(data, max_depth) > max_depth:
        raise TooDeep(f"nested deeper than {max_depth}")
    try:
        return json.loads(data)
    except RecursionError:
        raise TooDeep("nested too deep") from None
