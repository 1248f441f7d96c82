"""Characters that hide what a name says, and UTS #39 skeletons that tell look-alike names
apart, from the confusables data shipped in the confusable-homoglyphs package."""
from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) outside category Cf: rendered as
# nothing (Hangul fillers, variation selectors, the combining grapheme joiner, Khmer vowels
# inherent, Mongolian free variation selectors).
_IGNORABLE = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
              (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0x1D173, 0x1D17A), (0xE0100, 0xE01EF))
# Bidirectional formatting characters: reorder how text is shown (Trojan Source, CVE-2021-42574).
BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def hidden(ch: str) -> str | None:
    """Why a character in an identifier hides what it says, or None for a visible one."""
    cp = ord(ch)
    cat = unicodedata.category(ch)
    if cp in BIDI:
        return "a bidirectional control"
    if cp == 0xFEFF:
        return "a byte-order mark"
    if cat == "Cf":
        return "an invisible format character"
    if cat == "Cc":
        return "a control character"
    if cat in ("Zs", "Zl", "Zp") and ch != " ":
        return "a space that is not U+0020"
    if cat == "Co":
        return "a private-use character"
    if cat in ("Cn", "Cs"):
        return "an unassigned code point"
    if any(lo <= cp <= hi for lo, hi in _IGNORABLE):
        return "a character displayed as nothing"
    return None


def char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}"


def hidden_in(text: str) -> list[str]:
    """The hidden characters of a text, each once, in order (printable ASCII has none)."""
    if text.isascii() and text.isprintable():
        return []
    return [c for c in dict.fromkeys(text) if hidden(c)]


def visible(text: str) -> str:
    """The text with every hidden character written as <U+XXXX>."""
    return "".join(f"<U+{ord(c):04X}>" if hidden(c) else c for c in text)


@lru_cache(maxsize=1)
def prototypes() -> dict[str, str]:
    """Character -> its UTS #39 prototype. confusables.json lists each pair of confusables.txt
    in both directions; a prototype is the centre of its star (it maps to all the others),
    a multi-character string, or for a lone pair the ASCII (else lower) side."""
    import confusable_homoglyphs
    path = Path(confusable_homoglyphs.__file__).with_name("confusables.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    clean = lambda s: s.replace("\u200e", "")  # noqa: E731 - the data wraps RTL glyphs in LRMs
    graph: dict[str, set[str]] = {}
    for key, items in data.items():
        k = clean(key)
        for item in items:
            v = clean(item["c"])
            if k and v and k != v:
                graph.setdefault(k, set()).add(v)
                graph.setdefault(v, set()).add(k)
    out: dict[str, str] = {}
    for node, near in graph.items():
        if len(node) != 1:
            continue
        centre = _centre(node, near, graph)
        if centre != node:
            out[node] = centre
    return out


def _centre(node: str, near: set[str], graph: dict[str, set[str]]) -> str:
    if len(near) > 1:
        return node                               # a star's centre: itself the prototype
    (other,) = near
    if len(graph[other]) > 1 or len(other) > 1:
        return other                              # other is the centre (or a multi-char prototype)
    if other.isascii() != node.isascii():
        return other if other.isascii() else node
    return min(node, other)


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    return {ord(c): p for c, p in prototypes().items()}


# The prototypes of ASCII characters (what prototypes() derives for them from the data; a test
# holds the two equal): an ASCII name's skeleton needs neither NFD nor the 6,000-entry table.
ASCII_PROTOTYPES = {"`": "'", '"': "''", "|": "l", "1": "l", "I": "l", "0": "O", "%": "º/₀", "m": "rn"}
# str.translate keeps to its fast path while every mapping is one ASCII character: those go in one
# table, the others (`"`, `%`, `m`) are replaced after it (no prototype holds a character either
# step maps, so the result is translate(ASCII_PROTOTYPES)'s).
_ONE_TO_ONE = str.maketrans({c: p for c, p in ASCII_PROTOTYPES.items() if len(p) == 1 and p.isascii()})
_WIDER = tuple((c, p) for c, p in ASCII_PROTOTYPES.items() if not (len(p) == 1 and p.isascii()))


def _ascii_mapped(text: str) -> str:
    text = text.translate(_ONE_TO_ONE)
    for c, p in _WIDER:
        if c in text:
            text = text.replace(c, p)
    return text


@lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again."""
    if text.isascii():          # NFD leaves ASCII as it is
        mapped = _ascii_mapped(text)
    else:
        mapped = unicodedata.normalize("NFD", text).translate(_table())
    return mapped if mapped.isascii() else unicodedata.normalize("NFD", mapped)


def skeletons(texts: Iterable[str]) -> dict[str, str]:
    """skeleton() of each text: the ASCII ones (most names) translated in one pass over them all,
    joined by newlines (which no prototype holds)."""
    distinct = dict.fromkeys(texts)
    plain = [t for t in distinct if t.isascii() and "\n" not in t]
    mapped = _ascii_mapped("\n".join(plain)).split("\n") if plain else []
    out = {t: m if m.isascii() else unicodedata.normalize("NFD", m) for t, m in zip(plain, mapped)}
    out.update((t, skeleton(t)) for t in distinct if t not in out)
    return out


# Names a look-alike could pass for: PostgreSQL's built-in types, roles and schemas, and the
# functions access predicates call.
BUILTIN_TYPES = frozenset("""
bigint int8 bigserial serial8 bit varbit boolean bool box bytea char character varchar cidr circle date
float4 float8 inet integer int int4 int2 interval json jsonb jsonpath line lseg macaddr macaddr8 money numeric
decimal path pg_lsn point polygon real smallint smallserial serial serial2 serial4 text time timetz timestamp
timestamptz tsquery tsvector uuid xml oid regclass regproc regtype name record void trigger citext vector
halfvec sparsevec ltree int4range int8range numrange tsrange tstzrange daterange
""".split()) | {"double precision", "character varying", "bit varying", "timestamp with time zone",
                "timestamp without time zone", "time with time zone", "time without time zone"}
BUILTIN_ROLES = frozenset({"public", "anon", "authenticated", "service_role", "postgres", "supabase_admin",
                           "current_user", "session_user", "pg_read_all_data", "pg_write_all_data"})
BUILTIN_SCHEMAS = frozenset({"public", "auth", "extensions", "storage", "pg_catalog", "information_schema"})
BUILTIN_FUNCTIONS = frozenset({"current_setting", "set_config", "now", "uid", "jwt", "role", "email",
                               "coalesce", "nullif", "gen_random_uuid", "pg_has_role", "has_table_privilege",
                               "current_user", "session_user", "current_role"})
BUILTINS = {"type": ("built-in type", BUILTIN_TYPES), "role": ("built-in role", BUILTIN_ROLES),
            "schema": ("built-in schema", BUILTIN_SCHEMAS), "function": ("built-in function", BUILTIN_FUNCTIONS)}


@lru_cache(maxsize=None)
def builtin_skeletons(namespace: str) -> dict[str, str]:
    label, names = BUILTINS[namespace]
    return {skeleton(n): n for n in sorted(names)}
