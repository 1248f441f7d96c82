"""First resolve pass over every entity: gather its columns (declared, tenant, traits) in
order and turn each into a model Column plus the flags later passes act on (pk, unique, ref)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from generator.model import Column
from generator.model.naming import quote_ident, quote_literal
from generator.model.types import INTEGER_TYPES
from generator.resolve.columns import ColumnSyntaxError, parse_compact, parse_type
from generator.resolve.context import Ctx
from generator.spec.schema import ColumnFull, Entity, Trait

BUILTIN_TRAITS: dict[str, Trait] = {
    "timestamps": Trait(description="created_at and updated_at, updated_at kept current by a trigger",
                        columns={"created_at": "timestamptz! = now()", "updated_at": "timestamptz! = now()"},
                        touch="updated_at"),
    "created_at": Trait(description="created_at only (immutable rows)", columns={"created_at": "timestamptz! = now()"}),
    "soft_delete": Trait(description="deleted_at marks a row deleted", columns={"deleted_at": "timestamptz"},
                         soft_delete="deleted_at"),
    "versioned": Trait(description="version column bumped on every update (optimistic locking)",
                       columns={"version": "integer! = 1"}, version="version"),
}


# What a client must do with an optimistic-locking column; it reaches every target's doc comment.
VERSION_CONTRACT = ("optimistic lock: send back the value you read with an update (a stale one fails with "
                    "SQLSTATE 40001: read the row again and retry); leave it out to skip the check; "
                    "the database increments it")


@dataclass
class ColumnInfo:
    column: Column
    full: ColumnFull
    path: tuple


@dataclass
class EntityColumns:
    key: str
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    pk: list[str] = field(default_factory=list)
    traits: list[Trait] = field(default_factory=list)
    tenant_column: str | None = None
    inherited: dict[str, ColumnInfo] = field(default_factory=dict)   # a parent's columns (partitions, INHERITS)


def to_full(ctx: Ctx, spec, path: tuple) -> ColumnFull | None:
    if isinstance(spec, ColumnFull):
        return spec
    try:
        return ColumnFull.model_validate(parse_compact(spec))
    except ColumnSyntaxError as e:
        ctx.error("RS001", f"column: {e}", path, e.hint)
    except Exception as e:  # pydantic rejected a value the compact form produced
        ctx.error("RS001", f"column: {e}", path, "see docs/spec.md, 'Columns'")
    return None


def trait_for(ctx: Ctx, name: str, path: tuple) -> Trait | None:
    trait = ctx.spec.traits.get(name) or BUILTIN_TRAITS.get(name)
    if trait is None:
        known = sorted(set(ctx.spec.traits) | set(BUILTIN_TRAITS))
        close = difflib.get_close_matches(name, known, n=1)
        ctx.error("RS002", f"unknown trait '{name}'", path,
                  (f"did you mean '{close[0]}'? " if close else "") + "known traits: " + ", ".join(known))
    return trait


def soft_delete_of(trait: Trait):
    """The trait's soft delete in its full form, or None."""
    from generator.spec.schema import SoftDeleteFull
    sd = trait.soft_delete
    return SoftDeleteFull(column=sd) if isinstance(sd, str) else sd


def implied_columns(trait: Trait) -> dict[str, object]:
    """Columns a trait's soft delete needs that it does not list itself."""
    sd = soft_delete_of(trait)
    if sd is None:
        return {}
    out: dict[str, object] = {}
    if sd.column not in trait.columns:
        out[sd.column] = "timestamptz"
    if sd.flag and sd.flag not in trait.columns:
        out[sd.flag] = ColumnFull(type="boolean", nullable=False, generated=f"{quote_ident(sd.column)} IS NOT NULL",
                                  description=f"true once the row is soft-deleted ({sd.column} is set)")
    if sd.by and sd.by not in trait.columns:
        out[sd.by] = ColumnFull(type="uuid", description="who soft-deleted the row")
    return out


def _ordered_specs(ctx: Ctx, key: str, ent: Entity) -> tuple[list[tuple[str, object, tuple]], list[Trait]]:
    specs = [(name, spec, ("entities", key, "columns", name)) for name, spec in ent.columns.items()]
    declared = set(ent.columns)
    traits = []
    for i, tname in enumerate(ent.traits):
        trait = trait_for(ctx, tname, ("entities", key, "traits", i))
        if trait is None:
            continue
        traits.append(trait)
        base = ("traits", tname, "columns") if tname in ctx.spec.traits else ("entities", key, "traits", i)
        for cname, cspec in {**trait.columns, **implied_columns(trait)}.items():
            if cname not in declared:
                declared.add(cname)
                path = base + (cname,) if tname in ctx.spec.traits else base
                specs.append((cname, cspec, path))
    return specs, traits


def _tenant_spec(ctx: Ctx, key: str, ent: Entity, specs: list) -> str | None:
    """Insert (or complete) the tenant column of a tenant-scoped entity; returns its name."""
    if not ent.tenant:
        return None
    t = ctx.spec.tenancy
    if t is None:
        ctx.error("RS040", f"entity '{key}' is `tenant: true` but the spec has no tenancy block",
                  ("entities", key, "tenant"), "add `tenancy: {root: <entity>, column: <tenant column>}`")
        return None
    if key == t.root:
        return "__root__"
    required = ent.tenant is True or getattr(ent.tenant, "required", True)
    names = [s[0] for s in specs]
    if t.column not in names:
        compact = f"uuid{'!' if required else ''} -> {t.root} cascade"
        pos = 1 if names and names[0] in ("id",) else 0
        specs.insert(pos, (t.column, compact, ("entities", key, "tenant")))
    return t.column


def collect_columns(ctx: Ctx, key: str, ent: Entity) -> EntityColumns:
    specs, traits = _ordered_specs(ctx, key, ent)
    out = EntityColumns(key=key, traits=traits)
    out.tenant_column = _tenant_spec(ctx, key, ent, specs)
    versions = {t.version for t in traits if t.version}
    for name, spec, path in specs:
        ctx.check_name(name, "column", path)
        full = to_full(ctx, spec, path)
        if full is None:
            continue
        if name in versions and full.description is None:
            full = full.model_copy(update={"description": VERSION_CONTRACT})
        col = _column(ctx, name, full, path, key)
        if col is None:
            continue
        if full.pk:
            out.pk.append(name)
        out.columns[name] = ColumnInfo(col, full, path)
    declared_pk = pk_columns(ent)
    if declared_pk:
        if out.pk:
            ctx.error("RS003", f"entity '{key}' marks pk on a column and also has primary_key",
                      ("entities", key, "primary_key"), "use one of the two")
        out.pk = list(declared_pk)
        for c in declared_pk:
            if c not in out.columns:
                ctx.error("RS004", f"primary_key column '{c}' is not a column of '{key}'",
                          ("entities", key, "primary_key"), "list existing columns")
            else:  # primary key columns are NOT NULL
                info = out.columns[c]
                info.column = _replace(info.column, nullable=False)
    if out.tenant_column == "__root__":
        out.tenant_column = out.pk[0] if len(out.pk) == 1 else None
    return out


def pk_columns(ent: Entity) -> list[str] | None:
    """The columns of `primary_key:` (a list, or the mapping with a name)."""
    pk = ent.primary_key
    return None if pk is None else list(pk) if isinstance(pk, list) else list(pk.columns)


def _replace(col: Column, **kw) -> Column:
    from dataclasses import replace
    return replace(col, **kw)


def _column(ctx: Ctx, name: str, full: ColumnFull, path: tuple, entity: str | None = None) -> Column | None:
    try:
        parsed = ctx.parsed_types.get(full.type)
        if parsed is None:   # enums and user types are declared before any column is read
            parsed = ctx.parsed_types[full.type] = parse_type(full.type, ctx.enums, ctx.user_types)
        dtype, serial = parsed
    except ColumnSyntaxError as e:
        ctx.error("RS005", str(e), path + ("type",) if ctx.loc(*path, "type") else path, e.hint)
        return None
    default = ctx.expr(full.default, path, f"default of '{name}'") if full.default is not None else None
    if default is not None:
        default = _check_default(ctx, name, dtype, default, path)
    generated = ctx.expr(full.generated, path, f"generated expression of '{name}'") if full.generated else None
    identity = full.identity
    if serial and identity is None and default is None and entity in ctx.entities:
        from generator.resolve.objects import serial_sequence
        info = ctx.entities[entity]
        seq = serial_sequence(ctx, info.schema, info.table, name, dtype.base,
                              bool(ctx.spec.entities.get(entity) and ctx.spec.entities[entity].unlogged))
        ctx.sequences.append(seq)
        default = f"nextval({quote_literal(seq.qname)}::regclass)"
        full = full.model_copy(update={"nullable": False})
    nullable = full.nullable if full.nullable is not None else True
    if full.pk:
        nullable = False
        if default is None and identity is None and not generated:
            if dtype.base == "uuid" and not dtype.is_array:
                default = "gen_random_uuid()"
            elif dtype.base in INTEGER_TYPES and not dtype.is_array:
                identity = "by default"
    if identity:
        nullable = False
        if dtype.base not in INTEGER_TYPES:
            ctx.error("RS006", f"identity column '{name}' must be an integer type", path,
                      "use integer/bigint/smallint, or drop identity")
    if generated and default:
        ctx.error("RS007", f"column '{name}' has both default and generated", path, "keep one")
    return Column(name=name, type=dtype, nullable=nullable, default=default, generated=generated,
                  identity=identity, comment=full.description, collation=full.collation,
                  loc=ctx.loc(*path), renamed_from=full.renamed_from,
                  identity_options=_identity_options(full, dtype) if identity else ())


def _check_default(ctx: Ctx, name: str, dtype, default: str, path: tuple) -> str | None:
    """Catch defaults PostgreSQL would reject at apply time: a bare word (read as a column)
    and an enum default that is not one of the enum's labels."""
    from generator.resolve.expressions import bare_identifier

    if bare_identifier(default):
        ctx.error("RS008", f"default of '{name}' is the bare word {default}, which SQL reads as a column name",
                  path, f"quote it to mean the text: = '{default}'")
        return None
    if dtype.enum and not dtype.is_array:
        m = re.fullmatch(r"'((?:[^']|'')*)'(?:::[\w.\"]+)?", default.strip())
        labels = ctx.enum_values.get(dtype.base, ())
        if m and labels and m.group(1).replace("''", "'") not in labels:
            value = m.group(1)
            close = difflib.get_close_matches(value, labels, n=1)
            ctx.error("RS009", f"default '{value}' of '{name}' is not a value of enum {dtype.base}", path,
                      (f"did you mean '{close[0]}'? " if close else "") + "values: " + ", ".join(labels))
            return None
    return default


def _identity_options(full: ColumnFull, dtype) -> tuple[tuple[str, int], ...]:
    """Declared identity options, less those equal to PostgreSQL's defaults (as the inspector reads them)."""
    from generator.model.objects import identity_options
    if not full.identity_options:
        return ()
    o = full.identity_options
    from generator.model.objects import sequence_bounds
    inc = int(o.get("increment", 1))
    low, high = sequence_bounds(dtype.base, inc)
    values = [o.get("start", low if inc > 0 else high), inc, o.get("min", low), o.get("max", high), o.get("cache", 1),
              int(bool(o.get("cycle", 0)))]
    return identity_options(dtype.base, values)
