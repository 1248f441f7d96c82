"""Drizzle column builders: the type map (data, keyed by canonical type), builder options,
defaults and modifiers, and the string/`sql` literal helpers of the drizzle target."""
from __future__ import annotations

import json
import re

from generator.model import Column, DataType

# canonical base -> drizzle-orm/pg-core builder; None means a customType declared in the file
DRIZZLE_TYPES: dict[str, str | None] = {
    "integer": "integer", "bigint": "bigint", "smallint": "smallint", "text": "text",
    "character varying": "varchar", "character": "char", "citext": None, "boolean": "boolean",
    "uuid": "uuid", "json": "json", "jsonb": "jsonb", "bytea": None, "date": "date",
    "time without time zone": "time", "time with time zone": "time",
    "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamp",
    "numeric": "numeric", "money": None, "real": "real", "double precision": "doublePrecision",
    "inet": "inet", "cidr": "cidr", "macaddr": "macaddr", "xml": None, "bit": "bit", "bit varying": None,
    "oid": None, "interval": "interval", "tsvector": None, "tsquery": None, "point": "point", "ltree": None,
    "int4range": None, "int8range": None, "numrange": None, "tstzrange": None, "tsrange": None,
    "daterange": None, "vector": "vector", "halfvec": "halfvec", "sparsevec": "sparsevec",
}

ACTIONS = {"CASCADE": "cascade", "RESTRICT": "restrict", "NO ACTION": "no action",
           "SET NULL": "set null", "SET DEFAULT": "set default"}

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_STRING = re.compile(r"^'((?:[^']|'')*)'(::[A-Za-z_][\w .\"]*)?$", re.S)
_NOW = {"now()", "current_timestamp"}
_WITH_TZ = {"time with time zone", "timestamp with time zone"}
_JS_NUMBER_TYPES = {"integer", "smallint", "real", "double precision"}


def js(value: str) -> str:
    """A TypeScript string literal."""
    return json.dumps(value, ensure_ascii=False)


def sql(expr: str) -> str:
    """A drizzle sql`...` template holding raw SQL."""
    return "sql`" + expr.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${") + "`"


def custom_sql(dt: DataType) -> str | None:
    """The SQL type name of a column that needs a customType, or None for a built-in builder."""
    base = dt.element
    if base.enum or (not base.schema and DRIZZLE_TYPES.get(base.base) is not None):
        return None
    return base.sql


def _options(dt: DataType) -> list[str]:
    b, m = dt.base, dt.modifiers
    if b in ("character varying", "character") and m:
        return [f"length: {m[0]}"]
    if b == "numeric" and m:
        return [f"precision: {m[0]}"] + ([f"scale: {m[1]}"] if len(m) > 1 else [])
    if b in ("timestamp with time zone", "timestamp without time zone", "time with time zone",
             "time without time zone"):
        return (["withTimezone: true"] if b in _WITH_TZ else []) + ([f"precision: {m[0]}"] if m else [])
    if b in ("vector", "halfvec", "sparsevec", "bit") and m:
        return [f"dimensions: {m[0]}"]
    if b == "bigint":
        return ['mode: "bigint"']
    return []


def builder(col: Column, enum_const: str | None, custom_const: str | None) -> str:
    """`text("name")`, `varchar("name", { length: 255 })`, `userRole("role")`, ..."""
    dt = col.type
    if enum_const:
        head = f"{enum_const}({js(col.name)})"
    elif custom_const:
        head = f"{custom_const}({js(col.name)})"
    else:
        opts = _options(dt.element)
        args = js(col.name) + (f", {{ {', '.join(opts)} }}" if opts else "")
        head = f"{DRIZZLE_TYPES[dt.base]}({args})"
    return head + ".array()" * dt.array_dims


def default_call(col: Column) -> str | None:
    """The default modifier: `.defaultNow()`, `.defaultRandom()`, `.default(...)`."""
    if col.default is None:
        return None
    expr, dt = col.default.strip(), col.type
    if not dt.is_array:
        if expr.lower() in _NOW and dt.base.startswith("timestamp"):
            return ".defaultNow()"
        if expr.lower() == "gen_random_uuid()" and dt.base == "uuid":
            return ".defaultRandom()"
        if dt.base == "boolean" and expr.lower() in ("true", "false"):
            return f".default({expr.lower()})"
        if dt.base in _JS_NUMBER_TYPES and _NUMBER.match(expr):
            return f".default({expr})"
        m = _STRING.match(expr)
        if m and (dt.enum or dt.base in ("text", "character varying", "character")):
            return f".default({js(m.group(1).replace(chr(39) * 2, chr(39)))})"
    return f".default({sql(expr)})"


def modifiers(col: Column, single_pk: bool) -> str:
    """Chained modifiers after the builder, in Drizzle's usual order."""
    out = [".primaryKey()"] if single_pk else []
    if not col.nullable and not single_pk:
        out.append(".notNull()")
    if col.identity:
        out.append(".generatedAlwaysAsIdentity()" if col.identity == "always"
                   else ".generatedByDefaultAsIdentity()")
    if col.generated:
        out.append(f".generatedAlwaysAs({sql(col.generated)})")
    default = default_call(col)
    out += [default] if default and not col.identity and not col.generated else []
    return "".join(out)
