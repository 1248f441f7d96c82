"""State of one import: the inspected model, the extra catalog facts, the chosen schemas and
flavor, the spec keys given to tables and enums, and the losses recorded on the way."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from generator.importer.catalog import Catalog
from generator.importer.losses import Loss, Obj
from generator.model import Schema, Table
from generator.db.types import split_qualified
from generator.model.types import TYPE_ALIASES

_KEY_CHARS = re.compile(r"[^A-Za-z0-9_]+")
_ENUM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_START = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NEXTVAL = re.compile(r"^nextval\('((?:[^']|'')+)'::regclass\)$")


@dataclass
class ImportCtx:
    model: Schema                       # inspected, not normalized
    catalog: Catalog
    schemas: list[str]                  # PostgreSQL schemas imported
    main: str                           # database.schema of the spec
    flavor: str = "plain"
    version: int = 16
    losses: list[Loss] = field(default_factory=list)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)         # table -> entity key
    enum_keys: dict[tuple[str, str], str] = field(default_factory=dict)    # enum -> spec key
    raw_tables: set[tuple[str, str]] = field(default_factory=set)          # no trait/preset recognition
    roles: set[str] = field(default_factory=set)                           # roles the spec names
    generated_functions: set[tuple[str, str]] = field(default_factory=set) # made again by traits/presets
    auth: dict = field(default_factory=dict)                               # the spec's auth: block
    serials: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)  # column -> sequence
    type_keys: dict[tuple[str, str], str] = field(default_factory=dict)   # domain/composite/range -> spec key
    function_keys: dict[tuple[str, str, str], str] = field(default_factory=dict)  # function -> spec key
    convention: str = "gen"                                                # naming.convention
    leftovers: dict = field(default_factory=dict)                          # sql: raw objects, by name
    leftover_roles: set[str] = field(default_factory=set)                  # roles the raw objects name

    hidden_extensions: set[str] = field(default_factory=set)             # installed by a stand-in
    prefix: str = ""                                                       # naming.table_prefix
    absorbed_triggers: set[tuple[str, str, str]] = field(default_factory=set)  # made again by created_from
    tenancy: object = None                                                 # importer.tenancy.Tenancy, once known
    guards: dict = field(default_factory=dict)                             # table -> protected column -> writable_by
    soft_deleted: dict = field(default_factory=dict)                       # table -> importer.soft_delete.SoftDeleted
    memo: dict = field(default_factory=dict)   # facts derived from the whole model, made once: see memo_of()

    def lose(self, obj: Obj, part: str | None, what: str, carried: str, listed: bool = True) -> None:
        self.losses.append(Loss(obj, part, what, carried, listed))

    def key_of(self, t: Table) -> str:
        return self.keys[t.key]

    def table_name(self, key: str) -> str:
        """The table name the resolver gives an entity key (prefix + key)."""
        return f"{self.prefix}{key}"

    @property
    def default_roles(self) -> tuple[str, ...]:
        """The roles policies apply to when they name none: `auth.roles` once the import found
        one role set most policies use, else the flavor's default."""
        if self.auth.get("roles"):
            return tuple(self.auth["roles"])
        return ("authenticated",) if self.flavor == "supabase" else ("public",)


def memo_of(ctx: ImportCtx, name: str, sources: tuple, make):
    """A fact derived from `sources` (the model, the tenancy found), made once per import rather
    than once per table (the per-table calls made a 1000-table import quadratic); made again when
    any source is another object."""
    hit = ctx.memo.get(name)
    if hit is not None and len(hit[0]) == len(sources) and all(a is b for a, b in zip(hit[0], sources)):
        return hit[1]
    value = make()
    ctx.memo[name] = (sources, value)
    return value


def table_obj(t: Table) -> Obj:
    return ("table", t.schema, t.name)


def common_prefix(names: list[str]) -> str:
    """A table prefix every name shares (`chatapp_`), cut after its last '_'; three tables or more."""
    if len(names) < 3:
        return ""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    cut = first[:n].rfind("_") + 1
    prefix = first[:cut]
    ok = len(prefix) >= 2 and all(_KEY_START.match(x[len(prefix):]) for x in names)
    return prefix if ok else ""


def assign_keys(ctx: ImportCtx) -> None:
    """Entity keys: the table name (less a common prefix) where it is a plain identifier and
    unique, else a cleaned one."""
    ctx.prefix = common_prefix([t.name for t in ctx.model.tables])
    counts = Counter(t.name for t in ctx.model.tables)
    used: set[str] = set()
    for t in sorted(ctx.model.tables, key=lambda t: (t.schema != ctx.main, t.key)):
        name = t.name[len(ctx.prefix):]
        base = name if counts[t.name] == 1 or t.schema == ctx.main else f"{t.schema}_{name}"
        key = _clean(base)
        n = 2
        while key in used:
            key, n = f"{_clean(base)}_{n}", n + 1
        used.add(key)
        ctx.keys[t.key] = key
    _enum_keys(ctx)
    _type_keys(ctx)


def _type_keys(ctx: ImportCtx) -> None:
    """Spec keys of domains, composite and range types: the name (schema-prefixed when taken)."""
    used = set(ctx.enum_keys.values())
    for t in (*ctx.model.domains, *ctx.model.composites, *ctx.model.ranges):
        key = t.name if t.name not in used and _ENUM_NAME.match(t.name) else _clean(f"{t.schema}_{t.name}")
        used.add(key)
        ctx.type_keys[t.key] = key


def find_serials(ctx: ImportCtx) -> None:
    """Columns that are exactly what `serial` makes: a default nextval() of a sequence owned by
    the column, named <table>_<column>_seq, of the column's type, with default options. The
    spec writes them as serial; every other sequence is a `sequences:` entry."""
    from generator.model.naming import shorten
    from generator.model.objects import sequence_bounds

    by_key = {s.key: s for s in ctx.model.sequences}
    for t in ctx.model.tables:
        for c in t.columns:
            seq = by_key.get(_nextval(c.default) or ("", ""))
            if seq is None or c.type.array_dims or c.type.base not in SERIAL_OF:
                continue
            low, high = sequence_bounds(c.type.base)
            if (seq.owned_by == (t.schema, t.name, c.name) and seq.name == shorten(f"{t.name}_{c.name}_seq")
                    and seq.schema == t.schema and seq.type == c.type.base
                    and seq.unlogged == (t.unlogged and ctx.version >= 15)
                    and (seq.start, seq.increment, seq.min_value, seq.max_value, seq.cache, seq.cycle)
                    == (low, 1, low, high, 1, False) and seq.comment is None and c.default == _serial_default(seq)):
                ctx.serials[(t.schema, t.name, c.name)] = seq.key


SERIAL_OF = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}


def _serial_default(seq) -> str:
    from generator.model.naming import quote_literal
    return f"nextval({quote_literal(seq.qname)}::regclass)"


def _nextval(default: str | None) -> tuple[str, str] | None:
    m = _NEXTVAL.match(default or "")
    if not m:
        return None
    schema, name = split_qualified(m.group(1).replace("''", "'"))
    return schema or "public", name


def _clean(name: str) -> str:
    key = _KEY_CHARS.sub("_", name).strip("_") or "t"
    return key if key[0].isalpha() or key[0] == "_" else f"t_{key}"


def _enum_keys(ctx: ImportCtx) -> None:
    counts = Counter(e.name for e in ctx.model.enums)
    for e in ctx.model.enums:
        obj = ("enum", e.schema, e.name)
        if not _ENUM_NAME.match(e.name) or e.name.lower() in TYPE_ALIASES:
            ctx.lose(obj, None, "an enum name the spec cannot spell as a type", "not imported (nor columns of it)")
        elif counts[e.name] > 1:
            ctx.lose(obj, None, "an enum name used in two schemas (spec enum keys are their type names)",
                     "not imported (nor columns of it)")
        else:
            ctx.enum_keys[e.key] = e.name
