"""The compact column grammar of `columns.py` as one regular expression (ECMAScript flavour, for
the JSON Schema editors read), so an editor flags `uuid pk uniq` or `texxt!` as the user types.
Enum names are free identifiers, so a type one letter away from a built-in type name (of four or
more letters) is taken for a typo of it."""
from __future__ import annotations

import re
from functools import lru_cache

from generator.model.types import TYPE_ALIASES


def _ci(word: str) -> str:
    """`pk` -> `[pP][kK]`: the grammar's words are case-insensitive; ECMAScript has no (?i)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _near_misses(word: str) -> set[str]:
    """Regular expressions of the names one edit (insert, delete, replace, swap) away from `word`."""
    out = set()
    for i in range(len(word) + 1):
        out.add(re.escape(word[:i]) + "[A-Za-z0-9_]" + re.escape(word[i:]))                 # one more letter
    for i in range(len(word)):
        out.add(re.escape(word[:i] + word[i + 1:]))                                          # one less
        out.add(re.escape(word[:i]) + f"[^{re.escape(word[i])}\\s!?(\\[]" + re.escape(word[i + 1:]))   # replaced
    for i in range(len(word) - 1):
        out.add(re.escape(word[:i] + word[i + 1] + word[i] + word[i + 2:]))                 # swapped
    return out


@lru_cache(maxsize=1)
def compact_column_pattern() -> str:
    words = sorted({k for k in TYPE_ALIASES if " " not in k})
    typos = set()
    for w in (w for w in words if len(w) >= 4):
        typos |= _near_misses(w)
    typos -= {re.escape(w) for w in words}
    known = "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    not_typo = f"(?!(?:{'|'.join(sorted(typos))})(?![A-Za-z0-9_]))"
    ident = r"[A-Za-z_][A-Za-z0-9_]*"
    type_ = (rf"(?:(?:{known})(?![A-Za-z0-9_])|{not_typo}{ident}(?:\.{ident})?)"
             r"(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*[!?]?")
    flag = "(?:" + "|".join([_ci("pk"), _ci("unique"), _ci("index"), "!"]) + ")"
    action = "(?:" + "|".join([_ci("cascade"), _ci("restrict"), _ci("set") + r"\s+" + _ci("null"),
                               _ci("set") + r"\s+" + _ci("default"), _ci("no") + r"\s+" + _ci("action")]) + ")"
    target = rf"{ident}(?:\.{ident})*(?:\({ident}\))?"
    return (rf"^\s*{type_}(?:\s+{flag})*(?:\s+->\s+{target}(?:\s+(?:{flag}|{action}))*)?"
            r"(?:\s*=\s*\S.*)?\s*$")
