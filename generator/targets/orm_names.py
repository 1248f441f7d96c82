"""Naming for the ORM targets: a small deterministic singularizer/pluralizer, PascalCase and
camelCase, and an allocator that keeps generated names unique within one scope."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from generator.model import Table

_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman",
              "mice": "mouse", "geese": "goose", "teeth": "tooth", "feet": "foot"}
_IRREGULAR_PLURAL = {v: k for k, v in _IRREGULAR.items()}
_SUFFIXES = {"statuses": "status", "bonuses": "bonus", "campuses": "campus", "viruses": "virus",
             "aliases": "alias", "analyses": "analysis", "indices": "index", "matrices": "matrix", "buses": "bus"}
_UNCOUNTABLE = {"data", "media", "metadata", "news", "series", "species", "information", "equipment",
                "analytics", "statistics", "feedback"}
_KEEP_S = ("ss", "us", "is")
# Every table has its id, name, created_at ...: the pure word functions keep their recent answers.
_memo = lru_cache(maxsize=1 << 16)


@_memo
def singular(word: str) -> str:
    """Singular of an English plural (last `_` segment only): companies -> company."""
    head, _, last = word.rpartition("_")
    low = last.lower()
    if low in _UNCOUNTABLE or not low:
        single = last
    elif low in _IRREGULAR:
        single = _IRREGULAR[low]
    elif suffix := next((k for k in _SUFFIXES if low.endswith(k)), None):
        single = last[: len(last) - len(suffix)] + _SUFFIXES[suffix]
    elif low.endswith("ies") and len(low) > 3:
        single = last[:-3] + "y"
    elif re.search(r"(ss|x|ch|sh|z)es$", low):
        single = last[:-2]
    elif low.endswith("s") and not low.endswith(_KEEP_S):
        single = last[:-1]
    else:
        single = last
    return f"{head}_{single}" if head else single


@_memo
def plural(word: str) -> str:
    """Plural of an English singular (last `_` segment only): company -> companies."""
    head, _, last = word.rpartition("_")
    low = last.lower()
    if low in _UNCOUNTABLE or not low:
        many = last
    elif low in _IRREGULAR_PLURAL:
        many = _IRREGULAR_PLURAL[low]
    elif suffix := next((k for k, v in _SUFFIXES.items() if low.endswith(v)), None):
        many = last[: len(last) - len(_SUFFIXES[suffix])] + suffix
    elif re.search(r"[^aeiou]y$", low):
        many = last[:-1] + "ies"
    elif re.search(r"(s|x|ch|sh|z)$", low):
        many = last + "es"
    else:
        many = last + "s"
    return f"{head}_{many}" if head else many


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


@_memo
def pascal(name: str) -> str:
    """PascalCase identifier; a leading digit gets an `N` in front."""
    out = "".join(w[:1].upper() + w[1:].lower() for w in _words(name)) or "X"
    return "N" + out if out[0].isdigit() else out


@_memo
def camel(name: str) -> str:
    """camelCase identifier; a leading digit gets an `n` in front."""
    p = pascal(name)
    if p.startswith("N") and len(p) > 1 and p[1].isdigit():
        return "n" + p[1:]
    return p[:1].lower() + p[1:]


def entity(table: Table) -> str:
    """The spec entity a table came from (its name without the table prefix)."""
    return table.meta.entity or table.name


class Names:
    """Hands out unique names within one scope: a taken name gets a numeric suffix."""

    def __init__(self, reserved: set[str] | frozenset[str] = frozenset()):
        self._taken = {n.lower() for n in reserved}

    def take(self, wanted: str) -> str:
        name, n = wanted, 2
        while name.lower() in self._taken:
            name, n = f"{wanted}{n}", n + 1
        self._taken.add(name.lower())
        return name


def unique_names(objects, make, reserved=frozenset(), name_of=lambda o: o.name) -> dict:
    """One name per object (keyed by `.key`): `make("", name)`, or `make(schema, name)` for an
    object outside `public` whose plain name another object shares; then numeric suffixes."""
    plain = {o.key: make("", name_of(o)) for o in objects}
    counts = Counter(n.lower() for n in plain.values())
    names, out = Names(reserved), {}
    for o in objects:
        base = plain[o.key]
        if counts[base.lower()] > 1 and o.schema != "public":
            base = make(o.schema, name_of(o))
        out[o.key] = names.take(base)
    return out
