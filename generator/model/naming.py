"""PostgreSQL identifier rules: quoting, literal escaping, the 63-byte limit and
deterministic shortened names for generated constraints and indexes."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

MAX_IDENT_BYTES = 63

# Keywords that cannot be used as bare column or table names (PostgreSQL's reserved list,
# plus the "reserved (can be function or type)" and "non-reserved (cannot be function or type)" ones
# that trip bare use as identifiers).
RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both
case cast char character check coalesce collate collation column concurrently constraint create cross
current_catalog current_date current_role current_schema current_time current_timestamp current_user dec
decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign
freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect
interval into is isnull join json json_array json_arrayagg json_object json_objectagg lateral leading least
left like limit localtime localtimestamp national natural nchar none normalize not notnull null nullif numeric
offset on only or order out outer overlaps overlay placing position precision primary real references
returning right row select session_user setof similar smallint some substring symmetric system_user table
tablesample then time timestamp to trailing treat trim true union unique user using values varchar variadic
verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse
xmlpi xmlroot xmlserialize xmltable
""".split())

_SAFE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")


def needs_quotes(name: str) -> bool:
    return not _SAFE_IDENT.match(name) or name in RESERVED


@lru_cache(maxsize=65536)  # every renderer quotes the same few thousand names over and over
def quote_ident(name: str) -> str:
    """Quote an identifier only where PostgreSQL needs it (mixed case, reserved, odd chars)."""
    if needs_quotes(name):
        return '"' + name.replace('"', '""') + '"'
    return name


def qualified(schema: str | None, name: str, default_schema: str = "public") -> str:
    if schema and schema != default_schema:
        return f"{quote_ident(schema)}.{quote_ident(name)}"
    return quote_ident(name)


def quote_literal(value: str) -> str:
    """A SQL string literal; uses E'' form only when a backslash is present."""
    escaped = value.replace("'", "''")
    if "\\" in value:
        return "E'" + escaped.replace("\\", "\\\\") + "'"
    return "'" + escaped + "'"


def ident_too_long(name: str) -> bool:
    return len(name.encode("utf-8")) > MAX_IDENT_BYTES


def shorten(name: str, limit: int = MAX_IDENT_BYTES) -> str:
    """Deterministically shorten a generated name: keep a readable prefix and append an
    8-hex-digit hash of the full name, so two long names stay distinct."""
    if len(name.encode("utf-8")) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    keep = limit - len(digest) - 1
    prefix = name.encode("utf-8")[:keep].decode("utf-8", errors="ignore").rstrip("_")
    return f"{prefix}_{digest}"


def constraint_name(table: str, columns: list[str] | tuple[str, ...], suffix: str) -> str:
    """PostgreSQL-style generated names: <table>_<cols>_<suffix> (pkey, key, fkey, check, idx)."""
    base = f"{table}_{'_'.join(columns)}_{suffix}" if columns else f"{table}_{suffix}"
    return shorten(base)
