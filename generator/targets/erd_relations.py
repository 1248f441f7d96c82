"""Facts the documentation targets share about tables and foreign keys: key markers,
cardinalities, tables a spec references but does not declare, neighbourhoods, groups, and
compact one-word type names."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Hashable, TypeVar

from generator.model import Column, DataType, ForeignKey, PrimaryKey, Schema, Table

UNGROUPED = "ungrouped"
TableKey = tuple[str, str]
T = TypeVar("T")

# Multi-word PostgreSQL type names -> the one-word spellings PostgreSQL also accepts.
SHORT_TYPES = {
    "timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
    "time with time zone": "timetz", "time without time zone": "time",
    "character varying": "varchar", "character": "char", "double precision": "float8",
    "bit varying": "varbit",
}


def short_type_name(dt: DataType) -> str:
    """The base type as one word where PostgreSQL has one (timestamptz, varchar ...)."""
    return dt.base if dt.enum else SHORT_TYPES.get(dt.base, dt.base)


def short_type(dt: DataType) -> str:
    """The whole type in compact PostgreSQL spelling: numeric(10,2), timestamptz(3), text[]."""
    mods = f"({','.join(str(m) for m in dt.modifiers)})" if dt.modifiers else ""
    return short_type_name(dt) + mods + "[]" * dt.array_dims


def display_name(schema: str, name: str) -> str:
    """How a table is named to a reader: bare in public, schema-qualified elsewhere."""
    return name if schema == "public" else f"{schema}.{name}"


def table_label(table: Table) -> str:
    return display_name(table.schema, table.name)


def is_unique_set(table: Table, columns: tuple[str, ...]) -> bool:
    """True when `columns` (as a set) hold the primary key, a unique constraint or a plain
    unique index without predicate: then each value appears at most once."""
    wanted = set(columns)
    if table.primary_key and set(table.primary_key.columns) <= wanted:
        return True
    if any(set(u.columns) <= wanted for u in table.uniques):
        return True
    return any(ix.unique and not ix.where and len(ix.elements) == len(ix.columns)
               and set(ix.columns) <= wanted for ix in table.indexes)


@dataclass(frozen=True)
class Edge:
    """One foreign key seen as a relationship from the referencing (child) table."""

    child: Table
    fk: ForeignKey
    parent: Table
    one_to_one: bool      # FK columns are unique in the child
    optional: bool        # a child row may have no parent (an FK column is nullable)
    identifying: bool     # FK columns are part of the child's primary key


def _edge(child: Table, fk: ForeignKey, parent: Table) -> Edge:
    """A tenant- or owner-consistent key is drawn by its own columns (the scope column it
    carries along is not what relates the two rows)."""
    own = fk.own_columns
    cols = [child.column(c) for c in own]
    optional = any(c is None or c.nullable for c in cols)
    pk = set(child.primary_key.columns) if child.primary_key else set()
    return Edge(child, fk, parent, is_unique_set(child, own), optional, bool(pk) and set(own) <= pk)


def external_tables(schema: Schema) -> list[Table]:
    """Stand-ins for tables that foreign keys reference but the spec does not declare
    (e.g. auth.users on Supabase): the referenced columns, typed like the referencing ones."""
    found: dict[tuple[str, str], dict[str, Column]] = {}
    for t in schema.tables:
        for fk in t.foreign_keys:
            if schema.table(fk.ref_table, fk.ref_schema) is not None:
                continue
            cols = found.setdefault((fk.ref_schema, fk.ref_table), {})
            for mine, theirs in zip(fk.columns, fk.ref_columns):
                own = t.column(mine)
                if own is not None and theirs not in cols:
                    cols[theirs] = Column(theirs, own.type, nullable=False)
    out = []
    for (sch, name), cols in sorted(found.items()):
        pk = PrimaryKey(f"{name}_pkey", tuple(cols)) if cols else None
        out.append(Table(name, tuple(cols.values()), schema=sch, primary_key=pk,
                         comment="Referenced here; defined outside this spec."))
    return out


def is_external(schema: Schema, table: Table) -> bool:
    return schema.table(table.name, table.schema) is None


@dataclass(frozen=True, eq=False)
class Graph:
    """The foreign keys of one schema as edges, indexed by table once: every diagram and
    table page of a build looks its edges and neighbours up here instead of scanning the
    whole schema again."""

    schema: Schema
    edges: tuple[Edge, ...]                       # every FK, in declaration order
    outgoing: dict[TableKey, tuple[Edge, ...]]    # by child (referencing) table
    position: dict[TableKey, int]                 # declared table -> its index in schema.tables
    groups: dict[str, tuple[Table, ...]]          # see groups()
    memo: dict = field(default_factory=dict)      # see once()

    def edges_from(self, tables: list[Table]) -> list[Edge]:
        """The edges whose child is one of `tables`, in declaration order."""
        return [e for t in self.declared({t.key for t in tables}) for e in self.outgoing.get(t.key, ())]

    def once(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()` the first time `key` is asked for, the same value after: for what is
        derived from one table of this schema or a stand-in (its diagram entity or node, keyed
        by the table's key), which a build draws many times."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]

    def declared(self, keys) -> list[Table]:
        """The declared tables among `keys`, in schema order (undeclared keys are left out)."""
        found = sorted(self.position[k] for k in keys if k in self.position)
        return [self.schema.tables[i] for i in found]


def _build_graph(schema: Schema) -> Graph:
    stand_ins = {t.key: t for t in external_tables(schema)}
    edges, outgoing = [], {}
    for t in schema.tables:
        own = []
        for fk in t.relation_keys:
            key = (fk.ref_schema, fk.ref_table)
            parent = schema.tables_by_key.get(key) or stand_ins[key]
            own.append(_edge(t, fk, parent))
        outgoing[t.key] = tuple(own)
        edges += own
    grouped: dict[str, list[Table]] = {}
    if any(t.meta.group for t in schema.tables):
        for t in schema.tables:
            grouped.setdefault(group_of(t), []).append(t)
    return Graph(schema, tuple(edges), outgoing, {t.key: i for i, t in enumerate(schema.tables)},
                 {name: tuple(members) for name, members in grouped.items()})


_last_graph: Graph | None = None


def graph(schema: Schema) -> Graph:
    """The Graph of `schema`, built once per schema object (schemas are immutable; a build
    renders every target from the same one) and kept until another schema comes."""
    global _last_graph
    g = _last_graph
    if g is None or g.schema is not schema:
        g = _last_graph = _build_graph(schema)
    return g


def all_edges(schema: Schema) -> list[Edge]:
    """Every foreign key of the schema, in declaration order, with its parent resolved
    (to an external stand-in when the spec does not declare it)."""
    return list(graph(schema).edges)


def column_keys(table: Table) -> dict[str, tuple[str, ...]]:
    """Key markers per column: PK (in the primary key), FK (in a foreign key),
    UK (alone unique)."""
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk = {c for f in table.foreign_keys for c in f.columns}
    alone = _unique_alone(table)
    out = {}
    for col in table.columns:
        keys = []
        if col.name in pk:
            keys.append("PK")
        if col.name in fk:
            keys.append("FK")
        if col.name not in pk and (alone is None or col.name in alone):
            keys.append("UK")
        out[col.name] = tuple(keys)
    return out


def _unique_alone(table: Table) -> set[str] | None:
    """The columns c for which is_unique_set(table, (c,)) holds, in one pass over the keys (None:
    every column, when a key has no columns at all)."""
    sets = [set(table.primary_key.columns)] if table.primary_key else []
    sets += [set(u.columns) for u in table.uniques]
    sets += [set(ix.columns) for ix in table.indexes
             if ix.unique and not ix.where and len(ix.elements) == len(ix.columns)]
    if any(not s for s in sets):
        return None
    return {c for s in sets if len(s) == 1 for c in s}


def group_of(table: Table) -> str:
    return table.meta.group or UNGROUPED


def groups(schema: Schema) -> dict[str, list[Table]]:
    """Tables by TableMeta.group, groups in order of first appearance; {} when no table has
    a group (ungrouped tables then form no cluster)."""
    return {name: list(members) for name, members in graph(schema).groups.items()}


def with_referenced(schema: Schema, tables: list[Table]) -> list[Table]:
    """`tables` plus the declared tables they reference, in schema order."""
    keys = {t.key for t in tables}
    keys |= {(fk.ref_schema, fk.ref_table) for t in tables for fk in t.foreign_keys}
    return graph(schema).declared(keys)


def neighbours(schema: Schema, table: Table) -> list[Table]:
    """Declared tables directly linked to `table` by a foreign key either way (not itself)."""
    keys = {(fk.ref_schema, fk.ref_table) for fk in table.foreign_keys}
    keys |= {t.key for t, _ in schema.referencing(table)}
    keys.discard(table.key)
    return graph(schema).declared(keys)
