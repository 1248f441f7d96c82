"""Strings that match a (simple) regular expression, so a check like `key_hash ~ '^[0-9a-f]{64}$'`
or `url ~ '^https?://'` can be satisfied by a built row. Uses Python's regex parser; patterns
it cannot read, or constructs it does not know, give no sample."""
from __future__ import annotations

import random
import re

try:                                    # Python 3.11+
    from re import _constants as C, _parser as P
except ImportError:                     # pragma: no cover - older Pythons
    import sre_constants as C          # type: ignore
    import sre_parse as P              # type: ignore

MAX_REPEAT = 8                          # extra repetitions for *, + and {m,n}
_CATEGORIES = {
    C.CATEGORY_DIGIT: "0123456789",
    C.CATEGORY_WORD: "abcdefghijklmnopqrstuvwxyz0123456789_",
    C.CATEGORY_SPACE: " ",
    C.CATEGORY_NOT_SPACE: "abcdefghijklmnopqrstuvwxyz",
    C.CATEGORY_NOT_DIGIT: "abcdefghijklmnopqrstuvwxyz",
    C.CATEGORY_NOT_WORD: "-",
}


class _Unsupported(Exception):
    pass


def sample(pattern: str, seed: int) -> str | None:
    """One string matching `pattern` (chosen by `seed`), or None when we cannot make one."""
    try:
        parsed = P.parse(pattern)
        text = _emit(parsed, random.Random(seed))
    except (re.error, _Unsupported, RecursionError, IndexError, ValueError):
        return None
    try:
        return text if re.search(pattern, text) else None
    except re.error:
        return None


def _emit(items, rnd: random.Random) -> str:
    return "".join(_item(op, av, rnd) for op, av in items)


def _item(op, av, rnd: random.Random) -> str:
    if op is C.LITERAL:
        return chr(av)
    if op is C.AT:
        return ""
    if op is C.ANY:
        return "x"
    if op is C.NOT_LITERAL:
        return "x" if chr(av) != "x" else "y"
    if op is C.IN:
        return rnd.choice(_class_chars(av))
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, body = av
        count = low if low == high else min(high, low + MAX_REPEAT)
        return "".join(_emit(body, rnd) for _ in range(count))
    if op is C.SUBPATTERN:
        return _emit(av[-1], rnd)
    if op is C.BRANCH:
        return _emit(av[1][0], rnd)
    raise _Unsupported(str(op))


def _class_chars(av) -> str:
    """Characters a [...] class allows (negated classes fall back to plain letters)."""
    if av and av[0][0] is C.NEGATE:
        allowed = "abcdefghijklmnopqrstuvwxyz"
        banned = _class_chars(av[1:])
        return "".join(ch for ch in allowed if ch not in banned) or "#"
    chars = ""
    for op, arg in av:
        if op is C.LITERAL:
            chars += chr(arg)
        elif op is C.RANGE:
            chars += "".join(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 40) + 1))
        elif op is C.CATEGORY and arg in _CATEGORIES:
            chars += _CATEGORIES[arg]
        else:
            raise _Unsupported(str(op))
    return chars or "x"
