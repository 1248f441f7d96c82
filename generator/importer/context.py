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

    hidden_extensions: set[str] = field(default_factory=set)             # installed by a stand-in
    prefix: str = ""                                                       # naming.table_prefix
    absorbed_triggers: set[tuple[str, str, str]] = field(default_factory=set)  # made again by created_from
    tenancy: object = None                                                 # importer.tenancy.Tenancy, once known
    guards: dict = field(default_factory=dict)                             # table -> protected column -> writable_by
    soft_deleted: dict = field(default_factory=dict)                       # table -> importer.soft_delete.SoftDeleted

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


def find_serials(ctx: ImportCtx) -> None:
    """Columns whose default is nextval() of a sequence nothing else uses (serial, or pg_dump's
    separate CREATE SEQUENCE): the spec carries them as identity columns."""
    users: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for t in ctx.model.tables:
        for c in t.columns:
            seq = _nextval(c.default)
            if seq and c.type.base in ("integer", "bigint", "smallint") and not c.type.array_dims:
                users.setdefault(seq, []).append((t.schema, t.name, c.name))
    known = {(s["schema"], s["name"]): s for s in ctx.catalog.sequences}
    for seq, cols in users.items():
        row = known.get(seq)
        if row is None or len(cols) != 1 or row["owned"] == "i":
            continue
        if row["owned"] == "a" and (row["table_schema"], row["table_name"], row["column_name"]) != cols[0]:
            continue
        ctx.serials[cols[0]] = seq


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
