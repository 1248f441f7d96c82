"""Schema objects beyond tables: sequences, collations, domains, composite and range types,
aggregates, exclusion constraints, schema (namespace) facts and raw SQL objects with
declared dependencies (the escape hatch for anything else)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import Location
from generator.model.naming import qualified

# The largest value of each integer type a sequence may be declared as.
SEQUENCE_MAX = {"smallint": 32767, "integer": 2147483647, "bigint": 9223372036854775807}


def _loc() -> Any:
    return field(default=None, compare=False, repr=False)


class _Named:
    """`key` and `qname` for objects living in a PostgreSQL schema."""

    __slots__ = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)      # type: ignore[attr-defined]

    @property
    def qname(self) -> str:
        return qualified(self.schema, self.name)   # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Sequence(_Named):
    """CREATE SEQUENCE; `owned_by` is (table schema, table, column) for OWNED BY (serial)."""

    name: str
    schema: str = "public"
    type: str = "bigint"
    start: int = 1
    increment: int = 1
    min_value: int = 1
    max_value: int = SEQUENCE_MAX["bigint"]
    cache: int = 1
    cycle: bool = False
    owned_by: tuple[str, str, str] | None = None
    comment: str | None = None
    loc: Location | None = _loc()
    unlogged: bool = False             # an unlogged table's serial sequence is unlogged too (PostgreSQL 15+)


def sequence_bounds(type_: str, increment: int = 1) -> tuple[int, int]:
    """PostgreSQL's default MINVALUE and MAXVALUE for a sequence of `type_`."""
    top = SEQUENCE_MAX.get(type_, SEQUENCE_MAX["bigint"])
    return (1, top) if increment > 0 else (-top - 1, -1)


IDENTITY_KEYS = ("start", "increment", "min", "max", "cache", "cycle")


def identity_options(type_: str, values) -> tuple[tuple[str, int], ...]:
    """The identity sequence's options that differ from PostgreSQL's defaults for the type."""
    if not values:
        return ()
    start, increment, low, high, cache, cycle = (int(v) for v in values)
    dlow, dhigh = sequence_bounds(type_, increment)
    default = {"start": dlow if increment > 0 else dhigh, "increment": 1, "min": dlow, "max": dhigh, "cache": 1,
               "cycle": 0}
    got = dict(zip(IDENTITY_KEYS, (start, increment, low, high, cache, cycle)))
    return tuple((k, got[k]) for k in IDENTITY_KEYS if got[k] != default[k])


@dataclass(frozen=True, slots=True)
class Collation(_Named):
    """CREATE COLLATION name (provider = ..., locale = ..., deterministic = ...)."""

    name: str
    schema: str = "public"
    provider: str = "libc"             # libc | icu | builtin
    locale: str | None = None          # when lc_collate and lc_ctype are the same
    lc_collate: str | None = None
    lc_ctype: str | None = None
    deterministic: bool = True
    comment: str | None = None
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class DomainCheck:
    name: str
    expression: str


@dataclass(frozen=True, slots=True)
class Domain(_Named):
    """CREATE DOMAIN name AS base [COLLATE] [DEFAULT] [NOT NULL] [CONSTRAINT c CHECK (...)]."""

    name: str
    base: str                          # the base type as SQL (format_type spelling)
    schema: str = "public"
    not_null: bool = False
    default: str | None = None
    checks: tuple[DomainCheck, ...] = ()
    collation: str | None = None
    comment: str | None = None
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class CompositeType(_Named):
    """CREATE TYPE name AS (attr type, ...)."""

    name: str
    attributes: tuple[tuple[str, str], ...]    # (name, type as SQL)
    schema: str = "public"
    comment: str | None = None
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class RangeType(_Named):
    """CREATE TYPE name AS RANGE (subtype = ..., ...)."""

    name: str
    subtype: str
    schema: str = "public"
    subtype_opclass: str | None = None
    collation: str | None = None
    canonical: str | None = None
    subtype_diff: str | None = None
    multirange: str | None = None      # the multirange type's name when not PostgreSQL's default
    comment: str | None = None
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Aggregate(_Named):
    """CREATE AGGREGATE name(args) (SFUNC = ..., STYPE = ..., options)."""

    name: str
    args: str
    sfunc: str
    stype: str
    schema: str = "public"
    options: tuple[tuple[str, str], ...] = ()   # FINALFUNC, INITCOND, COMBINEFUNC, SORTOP, PARALLEL ... (sorted)
    comment: str | None = None
    loc: Location | None = _loc()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, f"{self.name}({self.args})")


@dataclass(frozen=True, slots=True)
class ExclusionElement:
    """One element of EXCLUDE: a column or expression, its operator class and the operator."""

    operator: str
    column: str | None = None
    expression: str | None = None
    opclass: str | None = None
    descending: bool = False
    nulls: str | None = None


@dataclass(frozen=True, slots=True)
class Exclusion:
    """EXCLUDE USING method (element WITH operator, ...) [INCLUDE] [WHERE] [DEFERRABLE]."""

    name: str
    elements: tuple[ExclusionElement, ...]
    using: str = "gist"
    where: str | None = None
    include: tuple[str, ...] = ()
    deferrable: bool = False
    initially_deferred: bool = False
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Namespace:
    """Facts about a PostgreSQL schema beyond its existence: comment and privileges
    (`(role, (USAGE, CREATE))`, sorted)."""

    name: str
    comment: str | None = None
    grants: tuple[tuple[str, tuple[str, ...]], ...] = ()
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class RawSQL:
    """The escape hatch: SQL the model has no object for, with the objects it must follow
    (`after`: qualified names of tables, views, functions, types, sequences or other raw
    objects) and the SQL that undoes it (`drop`; None: it cannot be undone)."""

    name: str
    sql: str
    drop: str | None = None
    after: tuple[str, ...] = ()
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a table sits on a Citus cluster: `distributed` by `column` (colocated with
    `colocate_with`, a qualified table name, or None for the anchor of the group),
    `reference` (a copy on every node) or `local` (the coordinator only); `reason` is the
    spec's, for a placement that needs one."""

    kind: str
    column: str | None = None
    colocate_with: str | None = None
    reason: str = ""
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Citus:
    """The Citus deployment of a spec: the release whose rules apply, row-based (tenant
    column) or schema-based (one schema per tenant) sharding, and the shard count."""

    version: int = 13
    mode: str = "row"
    shard_count: int | None = None
    placements: tuple[tuple[str, str, str, str], ...] = ()   # (schema, table, kind, column or "")
