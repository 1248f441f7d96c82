"""Seed rows: values typed by their column (YAML gives text), checked against the table,
with the key that makes re-running the seed an idempotent upsert."""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from generator.model import Column, Seed, Table
from generator.model.types import INTEGER_TYPES
from generator.resolve.context import Ctx
from generator.spec.schema import SeedFull

TRUE = {"true", "yes", "on", "1", "t", "y"}
FALSE = {"false", "no", "off", "0", "f", "n"}


class SeedValueError(ValueError):
    pass


def convert(value, col: Column):
    """Type one YAML value for its column: int, Decimal, bool, JSON structures, lists, or text."""
    if value is None:
        return None
    t = col.type
    if t.is_array:
        if not isinstance(value, list):
            raise SeedValueError(f"'{col.name}' is {t.sql}; write a list")
        return [convert(v, Column(col.name, t.element)) for v in value]
    if t.base in ("json", "jsonb"):
        return _json(value)
    if isinstance(value, (dict, list)):
        raise SeedValueError(f"'{col.name}' is {t.sql}; a mapping or list fits only json/jsonb/array columns")
    text = str(value)
    if t.base in INTEGER_TYPES:
        try:
            return int(text)
        except ValueError:
            raise SeedValueError(f"'{col.name}' is {t.sql}; '{text}' is not a whole number") from None
    if t.base in ("numeric", "real", "double precision"):
        try:
            return Decimal(text)
        except InvalidOperation:
            raise SeedValueError(f"'{col.name}' is {t.sql}; '{text}' is not a number") from None
    if t.base == "boolean":
        low = text.lower()
        if low in TRUE or low in FALSE:
            return low in TRUE
        raise SeedValueError(f"'{col.name}' is boolean; write true or false")
    if t.base == "uuid":
        import uuid
        try:
            uuid.UUID(text)
        except ValueError:
            raise SeedValueError(f"'{col.name}' is uuid; '{text}' is not a UUID") from None
    return text


def _json(value):
    """YAML scalars are text; inside JSON, turn the obvious numbers and booleans back."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, str):
        if value in ("true", "false"):
            return value == "true"
        try:
            return int(value) if value.lstrip("-").isdigit() else value
        except ValueError:
            return value
    return value


def _key(table: Table, rows: list[dict], given: list[str] | None) -> tuple[str, ...] | None:
    if given:
        return tuple(given)
    candidates = [table.primary_key.columns] if table.primary_key else []
    candidates += [u.columns for u in table.uniques]
    candidates += [i.columns for i in table.indexes if i.unique and i.where is None and len(i.columns) == len(i.elements)]
    for cols in candidates:
        if cols and all(all(c in r for c in cols) for r in rows):
            return tuple(cols)
    return None


def external_table(ctx: Ctx, key: str) -> Table | None:
    """A known external table a seed may fill (supabase: auth.users), as a model stub."""
    from generator.model import Column, PrimaryKey
    from generator.model.types import DataType
    from generator.resolve.context import SUPABASE_TABLES

    if ctx.flavor != "supabase" or "." not in key:
        return None
    schema, name = key.split(".", 1)
    cols = SUPABASE_TABLES.get((schema, name))
    if cols is None:
        return None
    return Table(name=name, schema=schema, columns=tuple(Column(c, DataType(t), c != "id") for c, t in cols.items()),
                 primary_key=PrimaryKey(f"{name}_pkey", ("id",)))


def resolve_seeds(ctx: Ctx, tables_by_entity: dict[str, Table]) -> tuple[tuple[Seed, ...], tuple[Table, ...]]:
    out, external = [], []
    for ent_key, raw in ctx.spec.seed.items():
        path = ("seed", ent_key)
        table = tables_by_entity.get(ent_key)
        if table is None:
            table = external_table(ctx, ent_key)
            if table is not None:
                external.append(table)
        if table is None:
            ctx.error("RS070", f"seed for unknown entity '{ent_key}'", path,
                      "seed keys are entity keys (supabase flavor: also auth.users)")
            continue
        full = SeedFull(rows=raw) if isinstance(raw, list) else raw
        rows = _rows(ctx, table, full.rows, path + (() if isinstance(raw, list) else ("rows",)))
        if rows is None:
            continue
        key = _key(table, full.rows, full.key)
        if key is None:
            ctx.error("RS071", f"seed rows of '{ent_key}' carry no primary key or unique columns to upsert on",
                      path, "give each row its key column(s), or set `key: [column]` with a unique constraint")
            continue
        out.append(Seed(table.name, tuple(rows), key, table.schema, ctx.loc(*path)))
    return tuple(out), tuple(external)


def _rows(ctx: Ctx, table: Table, rows: list[dict], path: tuple):
    cols = {c.name: c for c in table.columns}
    required = [c.name for c in table.columns
                if not c.nullable and c.default is None and c.identity is None and c.generated is None]
    out, ok = [], True
    for i, row in enumerate(rows):
        typed = []
        for name, value in row.items():
            col = cols.get(name)
            if col is None:
                ctx.error("RS072", f"seed row sets unknown column '{name}' of '{table.name}'", path + (i, name),
                          "use the table's column names", key=True)
                ok = False
                continue
            try:
                typed.append((name, convert(value, col)))
                _check_enum(ctx, col, value)
            except SeedValueError as e:
                ctx.error("RS073", str(e), path + (i, name), "fix the value")
                ok = False
        missing = [c for c in required if c not in row]
        if missing:
            ctx.error("RS074", f"seed row lacks NOT NULL column(s) {', '.join(missing)} of '{table.name}'",
                      path + (i,), "give every row a value for them")
            ok = False
        out.append(tuple(typed))
    return out if ok else None


def _check_enum(ctx: Ctx, col: Column, value) -> None:
    labels = ctx.enum_values.get(col.type.base) if col.type.enum else None
    if not labels or value is None:
        return
    for v in (value if isinstance(value, list) else [value]):
        if str(v) not in labels:
            import difflib
            close = difflib.get_close_matches(str(v), labels, n=1)
            raise SeedValueError(f"'{v}' is not a value of enum {col.type.base} (column '{col.name}')"
                                 + (f"; did you mean '{close[0]}'?" if close else ""))


def json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
