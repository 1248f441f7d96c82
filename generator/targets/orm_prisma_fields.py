"""Prisma scalar fields: the type map (data, keyed by canonical type), native type attributes,
defaults and the identifiers Prisma accepts for enum values."""
from __future__ import annotations

import re

from generator.model import Column, DataType

# canonical base -> (Prisma scalar, native type attribute or None for Prisma's default native type)
PRISMA_TYPES: dict[str, tuple[str, str | None]] = {
    "integer": ("Int", None), "bigint": ("BigInt", None), "smallint": ("Int", "SmallInt"),
    "text": ("String", None), "character varying": ("String", "VarChar"), "character": ("String", "Char"),
    "citext": ("String", "Citext"), "boolean": ("Boolean", None), "uuid": ("String", "Uuid"),
    "json": ("Json", "Json"), "jsonb": ("Json", None), "bytea": ("Bytes", None),
    "date": ("DateTime", "Date"), "time without time zone": ("DateTime", "Time"),
    "time with time zone": ("DateTime", "Timetz"),
    "timestamp without time zone": ("DateTime", "Timestamp"),
    "timestamp with time zone": ("DateTime", "Timestamptz"),
    "numeric": ("Decimal", "Decimal"), "money": ("Decimal", "Money"), "real": ("Float", "Real"),
    "double precision": ("Float", None), "inet": ("String", "Inet"), "xml": ("String", "Xml"),
    "bit": ("String", "Bit"), "bit varying": ("String", "VarBit"), "oid": ("Int", "Oid"),
    "interval": ("Unsupported", None), "cidr": ("Unsupported", None), "macaddr": ("Unsupported", None),
    "tsvector": ("Unsupported", None), "tsquery": ("Unsupported", None), "point": ("Unsupported", None),
    "ltree": ("Unsupported", None), "int4range": ("Unsupported", None), "int8range": ("Unsupported", None),
    "numrange": ("Unsupported", None), "tstzrange": ("Unsupported", None), "tsrange": ("Unsupported", None),
    "daterange": ("Unsupported", None), "vector": ("Unsupported", None), "halfvec": ("Unsupported", None),
    "sparsevec": ("Unsupported", None),
}

ACTIONS = {"NO ACTION": "NoAction", "RESTRICT": "Restrict", "CASCADE": "Cascade",
           "SET NULL": "SetNull", "SET DEFAULT": "SetDefault"}

AUTOINCREMENT_SCALARS = ("Int", "BigInt")

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_CAST = re.compile(r"^(.*?)::[A-Za-z_][\w .\"]*(\(\d+(,\s*\d+)?\))?(\[\])*$", re.S)
_STRING = re.compile(r"^'((?:[^']|'')*)'$", re.S)
_NOW = {"now()", "current_timestamp", "transaction_timestamp()"}


def prisma_string(value: str) -> str:
    """A Prisma string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def enum_value_ident(value: str) -> str:
    """The Prisma identifier for an enum value (mapped with @map when it differs)."""
    if _IDENT.match(value):
        return value
    ident = re.sub(r"[^A-Za-z0-9_]", "_", value)
    return ident if ident[:1].isalpha() else "v" + ident


def field_type(dt: DataType, enum_name: str | None) -> tuple[str, str | None]:
    """(type as written in the schema without ?/[], native attribute) for a column type."""
    if dt.enum:
        return enum_name or dt.base, None
    # types the map does not name (domains, composite and range types, extension types): Unsupported
    scalar, native = PRISMA_TYPES.get(dt.base, ("Unsupported", None)) if not dt.schema else ("Unsupported", None)
    if scalar == "Unsupported" or dt.array_dims > 1:
        return f"Unsupported({prisma_string(dt.sql)})", None
    if native is None:
        return scalar, None
    if dt.modifiers:
        return scalar, f"@db.{native}({', '.join(str(m) for m in dt.modifiers)})"
    return scalar, f"@db.{native}"


def _unquote(expr: str) -> str | None:
    m = _STRING.match(expr)
    return m.group(1).replace("''", "'") if m else None


def default_attr(col: Column, scalar: str, enum_values: dict[str, str] | None) -> str | None:
    """The @default(...) for a column, preferring Prisma's own functions and literals. An identity
    (or serial) integer column gets autoincrement(), what `prisma db pull` writes for serial: the
    database fills it in, so creates need not (and for GENERATED ALWAYS must not) supply it. A
    NOT NULL generated column gets `dbgenerated()` (no expression: no DEFAULT) for the same reason."""
    if col.identity and scalar in AUTOINCREMENT_SCALARS and not col.type.is_array:
        return "@default(autoincrement())"
    if col.generated:     # the database computes it: creates need not (must not) supply it
        return None if col.nullable else "@default(dbgenerated())"
    if col.default is None:
        return None
    expr = col.default.strip()
    bare = (_CAST.match(expr).group(1) if _CAST.match(expr) else expr).strip()
    text = _unquote(bare)
    value = _literal(bare, text, scalar, col.type.is_array, enum_values)
    return f"@default({value if value is not None else 'dbgenerated(' + prisma_string(expr) + ')'})"


def _literal(bare: str, text: str | None, scalar: str, is_list: bool, enum_values) -> str | None:
    if is_list:
        return "[]" if text == "{}" else None
    if scalar == "DateTime" and bare.lower() in _NOW:
        return "now()"
    if scalar in ("Int", "BigInt", "Float", "Decimal") and _NUMBER.match(bare):
        return bare
    if scalar == "Boolean" and bare.lower() in ("true", "false"):
        return bare.lower()
    if text is None:
        return None
    if enum_values is not None:
        return enum_values.get(text)
    if scalar in ("String", "Json"):
        return prisma_string(text)
    return None
