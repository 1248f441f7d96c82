"""Columns of an imported table as the spec writes them: a type the spec language can spell,
serials and domains turned into what the spec can carry (with a loss recorded), and the
compact form (`text! unique`, `uuid pk -> users cascade`) or the full mapping."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from generator.db.types import parse_type
from generator.importer.context import ImportCtx, table_obj
from generator.model import Column, DataType, Table
from generator.model.types import INTEGER_TYPES, MODIFIER_ARITY, TYPE_ALIASES
from generator.resolve.columns import OTHER_TYPES

# Canonical (format_type) base -> the one-word spelling a person writes in a compact column.
SHORT = {"timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
         "time with time zone": "timetz", "time without time zone": "time", "character varying": "varchar",
         "character": "char", "double precision": "float8", "bit varying": "varbit"}
KNOWN_BASES = frozenset(TYPE_ALIASES.values())
_CAST_LITERAL = re.compile(r"^('(?:[^']|'')*')::(.+)$", re.DOTALL)
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NEXTVAL = re.compile(r"\bnextval\(")


@dataclass(frozen=True)
class Ref:
    entity: str                  # entity key, or schema.table outside the spec
    column: str | None           # None: the target's primary key
    on_delete: str | None        # lower case, None for no action
    on_update: str | None
    deferrable: bool = False
    name: str | None = None      # only when not the generated <table>_<column>_fkey
    extra: tuple[tuple[str, object], ...] = ()   # full-form keys: match, not_valid, same_tenant ...

    @property
    def compact(self) -> bool:
        return (self.on_update is None and not self.deferrable and self.name is None and not self.extra
                and (self.column is None or bool(_WORD.match(self.column))))

    def target(self) -> str:
        return self.entity if self.column is None else f"{self.entity}({self.column})"


@dataclass(frozen=True)
class Flags:
    pk: bool = False
    unique: bool = False
    index: bool = False
    ref: Ref | None = None
    protected: object = None          # the column's `protected:` value, when the spec needs one
    privileges: dict | None = None    # the column's `privileges:` value


def type_text(ctx: ImportCtx, t: DataType) -> str | None:
    """One-word spelling of a column type for the spec, or None when the spec cannot hold it."""
    dims = "[]" * t.array_dims
    if t.enum:
        key = ctx.enum_keys.get((t.schema or "public", t.base))
        return f"{key}{dims}" if key else None
    mods = f"({','.join(str(m) for m in t.modifiers)})" if t.modifiers else ""
    user = ctx.type_keys.get((t.schema or "public", t.base))
    if user:
        return f"{user}{mods}{dims}"
    if t.schema and t.schema != "public" and _WORD.match(t.schema) and _WORD.match(t.base):
        return f"{t.schema}.{t.base}{mods}{dims}"
    if t.base in OTHER_TYPES:
        return f"{t.base}{mods}{dims}"
    if t.base not in KNOWN_BASES:
        return None
    if t.base in ("vector", "halfvec") and not t.modifiers:
        return None
    if len(t.modifiers) > MODIFIER_ARITY.get(t.base, 0):
        return None
    mods = f"({','.join(str(m) for m in t.modifiers)})" if t.modifiers else ""
    return f"{SHORT.get(t.base, t.base)}{mods}{dims}"


def prepare_columns(ctx: ImportCtx, t: Table) -> list[tuple[Column, str]]:
    """(column as the spec will carry it, its type text) for each column the spec can hold;
    serial and domain columns are adjusted, the rest recorded as losses and left out."""
    out = []
    for col in t.columns:
        serial = (t.schema, t.name, col.name) in ctx.serials
        col = _serial(ctx, t, col)
        col, text = _typed(ctx, t, col)
        if serial and text is not None:
            from generator.importer.context import SERIAL_OF
            text = SERIAL_OF[col.type.base]
        if text is None:
            ctx.lose(table_obj(t), f"column {col.name}", f"type {col.type.sql} is not in the spec language",
                     "column not imported (nor constraints, indexes and policies naming it)")
            continue
        out.append((_collation(ctx, t, col), text))
    return out


def _typed(ctx: ImportCtx, t: Table, col: Column) -> tuple[Column, str | None]:
    text = type_text(ctx, col.type)
    if text is not None:
        return col, text
    return col, None


def _serial(ctx: ImportCtx, t: Table, col: Column) -> Column:
    """A column exactly like `serial` makes it: written as serial (the sequence comes with it)."""
    if (t.schema, t.name, col.name) not in ctx.serials:
        return col
    return replace(col, default=None, nullable=True)


def _collation(ctx: ImportCtx, t: Table, col: Column) -> Column:
    if not col.collation or "." not in col.collation:
        return col
    schema, _, name = col.collation.partition(".")
    return replace(col, collation=name) if schema in ("public", "pg_catalog") else col


def literal_default(col: Column) -> str | None:
    """The default without a cast to the column's own type: `'a'::status` -> `'a'`."""
    if col.default is None:
        return None
    m = _CAST_LITERAL.match(col.default.strip())
    if m and m.group(2) == col.type.sql:
        return m.group(1)
    return col.default


def implied_by_pk(col: Column, default: str | None) -> tuple[str | None, str | None]:
    """(default, identity) left to write once `pk` is on the column (which implies some)."""
    plain = not col.type.is_array and not col.type.enum
    if (plain and col.type.base in INTEGER_TYPES and col.identity == "by default" and default is None
            and not col.identity_options):
        return None, None
    if plain and col.type.base == "uuid" and col.identity is None and default == "gen_random_uuid()":
        return None, None
    return default, col.identity


def pk_flag_ok(col: Column) -> bool:
    """`pk` on the column adds a default to uuid and identity to integer columns that have none."""
    bare = col.default is None and col.identity is None and col.generated is None
    implied = not col.type.is_array and not col.type.enum and (col.type.base == "uuid"
                                                               or col.type.base in INTEGER_TYPES)
    return not (bare and implied)


def column_entry(col: Column, text: str, f: Flags) -> str | dict:
    default, identity = literal_default(col), col.identity
    if f.pk:
        default, identity = implied_by_pk(col, default)
    full = bool(col.generated or identity or col.collation or col.comment or (f.ref and not f.ref.compact)
                or f.protected is not None or f.privileges)
    if not full:
        return _compact(col, text, f, default)
    out: dict = {"type": text}
    if not col.nullable and not f.pk and not identity:
        out["nullable"] = False
    if default is not None:
        out["default"] = default
    for flag in ("pk", "unique"):
        if getattr(f, flag):
            out[flag] = True
    if f.ref:
        out.update(_ref_full(f.ref))
    if col.generated:
        out["generated"] = col.generated
    if identity:
        out["identity"] = identity
        if col.identity_options:
            out["identity_options"] = dict(col.identity_options)
    if f.index:
        out["index"] = True
    if col.collation:
        out["collation"] = col.collation
    if col.comment:
        out["description"] = col.comment
    if f.protected is not None:
        out["protected"] = f.protected
    if f.privileges:
        out["privileges"] = f.privileges
    return out


def _compact(col: Column, text: str, f: Flags, default: str | None) -> str:
    parts = [text + ("!" if not col.nullable and not f.pk else "")]
    parts += [w for w in ("pk", "unique", "index") if getattr(f, w)]
    if f.ref:
        parts += ["->", f.ref.target()] + ([f.ref.on_delete] if f.ref.on_delete else [])
    if default is not None:
        parts += ["=", default]
    return " ".join(parts)


def _ref_full(r: Ref) -> dict:
    if r.compact:
        return {"ref": r.target(), **({"on_delete": r.on_delete} if r.on_delete else {})}
    ref: dict = {"entity": r.entity}
    if r.column is not None:
        ref["column"] = r.column
    for k in ("on_delete", "on_update"):
        if getattr(r, k):
            ref[k] = getattr(r, k)
    if r.deferrable:
        ref["deferrable"] = True
    if r.name:
        ref["name"] = r.name
    ref.update(dict(r.extra))
    return {"ref": ref}
