"""The compact column grammar (`slug: text! unique`, `source_id: uuid! -> sources cascade`,
`created_at: timestamptz! = now()`) and type strings, turned into full-form fields."""
from __future__ import annotations

import re
from functools import lru_cache

from generator.model.sqltext import top_level
from generator.model.types import MODIFIER_ARITY, SERIAL_TYPES, TYPE_ALIASES, DataType

_TYPE_RE = re.compile(
    r"^\s*(?P<base>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?(?:\s+[A-Za-z_][A-Za-z0-9_]*)*?)\s*"
    r"(?:\(\s*(?P<mods>\d+(?:\s*,\s*\d+)?)\s*\))?\s*(?P<tz>with(?:out)?\s+time\s+zone)?\s*(?P<arr>(?:\[\])*)\s*$",
    re.IGNORECASE,
)
_ACTIONS = {"cascade": "cascade", "restrict": "restrict", "set null": "set null",
            "set default": "set default", "no action": "no action"}


class ColumnSyntaxError(ValueError):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


@lru_cache(maxsize=1024)
def _split_type(text: str) -> tuple[str, tuple[int, ...], int] | None:
    """(base name, modifiers, array dimensions) of a type string, or None; once per distinct text
    (the regular expression backtracks, and a spec repeats a handful of types on every table)."""
    m = _TYPE_RE.match(text)
    if not m:
        return None
    raw = " ".join(m.group("base").split())
    if m.group("tz"):
        raw = f"{raw} {' '.join(m.group('tz').lower().split())}"
    mods = tuple(int(x) for x in m.group("mods").split(",")) if m.group("mods") else ()
    return raw, mods, m.group("arr").count("[")


# PostgreSQL's own types beyond the aliases above, and extension types, spelled as PostgreSQL does.
OTHER_TYPES = frozenset("""
box circle line lseg path polygon pg_lsn pg_snapshot txid_snapshot name regclass regproc regprocedure regtype
regrole regnamespace regconfig regdictionary int2vector oidvector jsonpath macaddr8 tid xid xid8 cid aclitem
hstore geometry geography box2d box3d cube seg lquery ltxtquery isbn isbn13 issn ean13 upc ismn citext
""".split())


def parse_type(text: str, enums: dict[str, tuple[str, str]],
               user_types: dict[str, tuple[str, str]] | None = None) -> tuple[DataType, bool]:
    """Parse a type string into a DataType; `enums` maps spec enum keys to (schema, db name),
    `user_types` the spec's domains, composite and range types. A schema-qualified name
    (`app.year`) is taken as the type the database has under that name. Returns the type and
    whether it was a serial pseudo-type."""
    split = _split_type(text)
    if split is None:
        raise ColumnSyntaxError(f"cannot read type '{text}'", "write e.g. text, varchar(255), numeric(10,2), text[]")
    raw, mods, dims = split
    if raw in enums:
        schema, name = enums[raw]
        if mods:
            raise ColumnSyntaxError(f"enum type '{raw}' takes no modifiers")
        return DataType(name, (), dims, True, schema), False
    if user_types and raw in user_types:
        schema, name = user_types[raw]
        return DataType(name, mods, dims, schema=None if schema == "public" else schema), False
    key = raw.lower()
    if key in OTHER_TYPES or key == '"char"':
        return DataType(key, mods, dims), False
    if "." in raw and " " not in raw:
        schema, _, name = raw.partition(".")
        return DataType(name.strip('"'), mods, dims, schema=None if schema == "public" else schema.strip('"')), False
    base = TYPE_ALIASES.get(key)
    if base is None:
        import difflib
        close = difflib.get_close_matches(key, list(TYPE_ALIASES) + list(enums), n=1)
        raise ColumnSyntaxError(f"unknown type '{raw}'",
                                (f"did you mean '{close[0]}'? " if close else "") + "use a PostgreSQL type (text, uuid, integer, numeric(p,s), timestamptz, jsonb, "
                                "vector(n), …) or an enum declared under enums:")
    if mods and len(mods) > MODIFIER_ARITY.get(base, 0):
        raise ColumnSyntaxError(f"type '{raw}' does not take {len(mods)} modifier(s)")
    if base in ("vector", "halfvec") and not mods:
        raise ColumnSyntaxError(f"{base} needs its dimension, e.g. {base}(1536)")
    return DataType(base, mods, dims), key in SERIAL_TYPES


def _tokens(text: str) -> list[str]:
    """Split on spaces, keeping quoted strings and parenthesised groups whole."""
    out, cur, depth, quote = [], "", 0, ""
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote, cur = ch, cur + ch
        elif ch in "([":
            depth, cur = depth + 1, cur + ch
        elif ch in ")]":
            depth, cur = depth - 1, cur + ch
        elif ch.isspace() and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if quote or depth:
        raise ColumnSyntaxError("unbalanced quote or parenthesis", "check the quotes and parentheses")
    if cur:
        out.append(cur)
    return out


def _split_default(text: str) -> tuple[str, str | None]:
    """Split at the first '=' outside quotes/parentheses: left is the column, right the default."""
    for i, ch, depth in top_level(text):
        if ch == "=" and depth == 0:
            return text[:i], text[i + 1:].strip()
    return text, None


def parse_compact(text: str) -> dict:
    """`<type>[!] [pk] [unique] [index] [-> target[(col)] [action]] [= default]` -> full-form dict."""
    head, default = _split_default(text)
    if default == "":
        raise ColumnSyntaxError("'=' is not followed by a default", "write e.g. `= now()` or drop the '='")
    toks = _tokens(head)
    if not toks:
        raise ColumnSyntaxError("empty column definition", "write a type, e.g. `text!`")
    out: dict = {"type": toks[0]}
    if out["type"].endswith("!"):
        out["type"], out["nullable"] = out["type"][:-1], False
    elif out["type"].endswith("?"):
        out["type"], out["nullable"] = out["type"][:-1], True
    if default is not None:
        out["default"] = default
    rest = toks[1:]
    i = 0
    while i < len(rest):
        tok = rest[i].lower()
        if tok == "!":
            out["nullable"] = False
        elif tok in ("pk", "unique", "index"):
            out[tok] = True
        elif tok == "->":
            if i + 1 >= len(rest):
                raise ColumnSyntaxError("'->' needs a target entity", "write e.g. `-> companies cascade`")
            out["ref"] = rest[i + 1]
            i += 1
        elif tok in _ACTIONS or (i + 1 < len(rest) and f"{tok} {rest[i + 1].lower()}" in _ACTIONS):
            if "ref" not in out:
                raise ColumnSyntaxError(f"'{rest[i]}' must follow a reference", "write `-> target cascade`")
            if tok not in _ACTIONS:
                tok = f"{tok} {rest[i + 1].lower()}"
                i += 1
            out["on_delete"] = _ACTIONS[tok]
        else:
            raise ColumnSyntaxError(
                f"unexpected '{rest[i]}' in column definition",
                "compact form: `<type>[!] [pk] [unique] [index] [-> target [cascade|set null|restrict]] [= default]`; "
                "use the mapping form for anything else")
        i += 1
    return out


def split_ref(ref: str) -> tuple[str, str | None]:
    """`companies(id)` -> ('companies', 'id'); `auth.users` -> ('auth.users', None)."""
    m = re.match(r"^([A-Za-z_][\w.]*)(?:\((\w+)\))?$", ref.strip())
    if not m:
        raise ColumnSyntaxError(f"cannot read reference '{ref}'", "write `entity` or `entity(column)`")
    return m.group(1), m.group(2)
