"""Canonical column data types: one structured form shared by the resolver, the inspector
and every renderer. Base names are PostgreSQL's own `format_type()` spellings."""
from __future__ import annotations

from dataclasses import dataclass

# Aliases a spec author may write -> canonical PostgreSQL base name (as format_type prints it).
TYPE_ALIASES: dict[str, str] = {
    "int": "integer", "int4": "integer", "integer": "integer", "serial": "integer",
    "bigint": "bigint", "int8": "bigint", "bigserial": "bigint",
    "smallint": "smallint", "int2": "smallint", "smallserial": "smallint",
    "text": "text", "string": "text",
    "varchar": "character varying", "character varying": "character varying",
    "char": "character", "character": "character", "bpchar": "character",
    "bool": "boolean", "boolean": "boolean",
    "uuid": "uuid", "json": "json", "jsonb": "jsonb", "bytea": "bytea",
    "date": "date", "time": "time without time zone", "timetz": "time with time zone",
    "time without time zone": "time without time zone", "time with time zone": "time with time zone",
    "timestamp": "timestamp without time zone", "timestamp without time zone": "timestamp without time zone",
    "timestamptz": "timestamp with time zone", "timestamp with time zone": "timestamp with time zone",
    "interval": "interval",
    "numeric": "numeric", "decimal": "numeric", "money": "money",
    "real": "real", "float4": "real", "double": "double precision", "float8": "double precision",
    "double precision": "double precision", "float": "double precision",
    "inet": "inet", "cidr": "cidr", "macaddr": "macaddr", "citext": "citext", "tsvector": "tsvector",
    "tsquery": "tsquery", "xml": "xml", "point": "point", "oid": "oid", "ltree": "ltree",
    "int4range": "int4range", "int8range": "int8range", "numrange": "numrange",
    "tstzrange": "tstzrange", "tsrange": "tsrange", "daterange": "daterange",
    "vector": "vector", "halfvec": "halfvec", "sparsevec": "sparsevec", "bit": "bit",
    "varbit": "bit varying", "bit varying": "bit varying",
}

# Serial pseudo-types become integer columns with an identity.
SERIAL_TYPES = {"serial", "bigserial", "smallserial"}

# Base types that take (n) or (p, s) modifiers, and how many at most.
MODIFIER_ARITY = {
    "character varying": 1, "character": 1, "numeric": 2, "vector": 1, "halfvec": 1, "sparsevec": 1,
    "bit": 1, "bit varying": 1, "timestamp with time zone": 1, "timestamp without time zone": 1,
    "time with time zone": 1, "time without time zone": 1, "interval": 1,
}

# Families used by renderers and by the row builder of `verify`.
INTEGER_TYPES = {"integer", "bigint", "smallint"}
NUMERIC_TYPES = INTEGER_TYPES | {"numeric", "real", "double precision", "money"}
TEXT_TYPES = {"text", "character varying", "character", "citext"}
TIME_TYPES = {"timestamp with time zone", "timestamp without time zone", "date",
              "time with time zone", "time without time zone", "interval"}
VECTOR_TYPES = {"vector", "halfvec", "sparsevec"}


_SQL_TEXT: dict = {}  # DataType -> its SQL spelling


@dataclass(frozen=True, slots=True)
class DataType:
    """A column type: base name, modifiers, array dimensions; `enum` when base names a
    user enum (then `schema` is where the enum lives)."""

    base: str
    modifiers: tuple[int, ...] = ()
    array_dims: int = 0
    enum: bool = False
    schema: str | None = None

    @property
    def sql(self) -> str:
        """The type as PostgreSQL's format_type() would print it (enums quoted as needed)."""
        text = _SQL_TEXT.get(self)
        if text is None:  # once per distinct type: renderers ask for every column
            text = _SQL_TEXT[self] = self._format()
        return text

    def _format(self) -> str:
        from generator.model.naming import quote_ident  # local: naming is a sibling leaf

        if self.enum or (self.schema and self.schema != "public"):
            name = quote_ident(self.base)
            base = f"{quote_ident(self.schema)}.{name}" if self.schema and self.schema != "public" else name
        else:
            base = self.base
        if self.modifiers:
            mods = ",".join(str(m) for m in self.modifiers)
            if base.startswith("timestamp ") or base.startswith("time "):
                head, _, tail = base.partition(" ")
                base = f"{head}({mods}) {tail}"
            else:
                base = f"{base}({mods})"
        return base + "[]" * self.array_dims

    @property
    def element(self) -> "DataType":
        return DataType(self.base, self.modifiers, 0, self.enum, self.schema)

    @property
    def is_array(self) -> bool:
        return self.array_dims > 0

    @property
    def is_vector(self) -> bool:
        return self.base in VECTOR_TYPES and not self.enum

    def __str__(self) -> str:
        return self.sql
