"""The queries each index exists for, derived from the model (no database): a btree's leading
columns (equality on the shortest prefix no other index shares, then ORDER BY the next time
column), GIN containment, vector nearest-neighbour with the operator class's operator,
partial-index predicates; a lookup per foreign key; the spec's named queries. Each is a
QueryShape whose values are sampled later from the loaded rows."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.model import Index, NamedQuery, Schema, Table
from generator.model.naming import quote_ident
from generator.model.types import TIME_TYPES

# Operator of each pgvector operator class (nearest-neighbour ORDER BY).
VECTOR_OPS = {"vector_l2_ops": "<->", "vector_ip_ops": "<#>", "vector_cosine_ops": "<=>", "vector_l1_ops": "<+>",
              "halfvec_l2_ops": "<->", "halfvec_ip_ops": "<#>", "halfvec_cosine_ops": "<=>", "halfvec_l1_ops": "<+>",
              "sparsevec_l2_ops": "<->", "sparsevec_ip_ops": "<#>", "sparsevec_cosine_ops": "<=>",
              "sparsevec_l1_ops": "<+>", "bit_hamming_ops": "<~>", "bit_jaccard_ops": "<%>"}
ORDERABLE = TIME_TYPES - {"interval", "time with time zone", "time without time zone"}


@dataclass
class Cond:
    """One part of a derived query: `eq` (expr = value), `order` (ORDER BY expr), `contains`
    (col @> value), `nearest` (ORDER BY col <op> value), `match` (tsvector @@), `like` (trigram)."""

    kind: str
    expr: str                    # SQL of the column or expression
    type_sql: str = ""           # its type, for the value's cast
    op: str = ""
    desc: bool = False


@dataclass
class QueryShape:
    kind: str                    # index | fk | named | policy
    table: Table
    name: str                    # the index, foreign key, query or table it is about
    conds: list[Cond] = field(default_factory=list)
    where: str | None = None     # a partial index's predicate
    expect: tuple[str, ...] = ()  # indexes that serve it (any one will do); () = none exists
    sql: str | None = None       # named queries: the spec's SQL
    params: tuple = ()
    limit: int | None = None
    note: str = ""
    index: Index | None = None   # btree: the index, so a too common prefix can grow by a column
    prefix: int = 0              # btree: how many of its columns the query uses

    def grown(self) -> "QueryShape | None":
        """The same index query with one more leading column (None when there is none)."""
        if self.index is None or self.prefix >= len(self.index.elements):
            return None
        return _grow(self)

    def signature(self) -> tuple:
        return (self.table.key, tuple((c.kind, c.expr) for c in self.conds), self.where)


def _col_sql(t: Table, e) -> tuple[str, str]:
    if e.column:
        col = t.column(e.column)
        return quote_ident(e.column), col.type.sql if col else ""
    return f"({e.expression})", ""


def _leading_sets(t: Table, skip: Index | None) -> list[tuple[str, ...]]:
    """Leading element lists of the table's other indexes and index-backed constraints."""
    out = [tuple(e.column or e.expression for e in i.elements) for i in t.indexes if i is not skip and not i.where]
    out += [u.columns for u in t.uniques]
    if t.primary_key:
        out.append(t.primary_key.columns)
    return out


def _distinct_prefix(keys: list[str], others: list[tuple[str, ...]]) -> int:
    """The shortest prefix of `keys` that no other index leads with (as a set)."""
    for n in range(1, len(keys) + 1):
        mine = set(keys[:n])
        if not any(len(o) >= n and set(o[:n]) == mine for o in others):
            return n
    return len(keys)


def btree_shape(t: Table, i: Index) -> QueryShape:
    keys = [e.column or e.expression for e in i.elements]
    n = _distinct_prefix(keys, _leading_sets(t, i))
    conds = []
    for e in i.elements[:n]:
        expr, type_sql = _col_sql(t, e)
        col = t.column(e.column) if e.column else None
        conds.append(Cond("eq", expr, type_sql))
        if col is not None and col.type.base in ORDERABLE and not col.type.is_array:
            conds[-1] = Cond("order", expr, type_sql, desc=True)
    if conds and conds[-1].kind == "eq" and n < len(i.elements):
        e = i.elements[n]
        col = t.column(e.column) if e.column else None
        if col is not None and col.type.base in ORDERABLE:
            conds.append(Cond("order", quote_ident(e.column), col.type.sql, desc=True))
    shape = QueryShape("index", t, i.name, conds, i.where, (i.name,), index=i, prefix=n)
    shape.limit = 20 if any(c.kind == "order" for c in conds) else None
    shape.note = "" if n == len(keys) else f"leading {', '.join(keys[:n])}"
    return shape


def _grow(shape: QueryShape) -> QueryShape:
    t, i, n = shape.table, shape.index, shape.prefix + 1
    conds = []
    for e in i.elements[:n]:
        expr, type_sql = _col_sql(t, e)
        col = t.column(e.column) if e.column else None
        orderable = col is not None and col.type.base in ORDERABLE and not col.type.is_array
        conds.append(Cond("order" if orderable else "eq", expr, type_sql, desc=orderable))
    keys = [e.column or e.expression for e in i.elements]
    return QueryShape("index", t, i.name, conds, i.where, (i.name,), limit=20 if any(
        c.kind == "order" for c in conds) else None, note=f"leading {', '.join(keys[:n])}" if n < len(keys) else "",
        index=i, prefix=n)


def other_shape(t: Table, i: Index) -> QueryShape | None:
    e = i.elements[0]
    if not e.column:
        return None
    col = t.column(e.column)
    expr, type_sql = _col_sql(t, e)
    if i.method in ("hnsw", "ivfflat"):
        op = VECTOR_OPS.get(e.opclass or "")
        if op is None:
            return None
        return QueryShape("index", t, i.name, [Cond("nearest", expr, type_sql, op)], i.where, (i.name,), limit=10)
    if i.method == "gin":
        if e.opclass in ("gin_trgm_ops",):
            return QueryShape("index", t, i.name, [Cond("like", expr, type_sql)], i.where, (i.name,))
        if col is not None and col.type.base == "tsvector":
            return QueryShape("index", t, i.name, [Cond("match", expr, type_sql)], i.where, (i.name,))
        if col is not None and (col.type.is_array or col.type.base == "jsonb"):
            return QueryShape("index", t, i.name, [Cond("contains", expr, type_sql)], i.where, (i.name,))
    return None


def index_shapes(t: Table) -> list[QueryShape]:
    out = []
    for i in t.indexes:
        if i.method in ("btree", "hash"):
            out.append(btree_shape(t, i))
        else:
            shape = other_shape(t, i)
            out.append(shape or QueryShape("index", t, i.name, [], i.where, (i.name,),
                                           note=f"no query derived for a {i.method} index"))
    return out


def fk_shapes(t: Table) -> list[QueryShape]:
    """`WHERE fk columns = value`, served by any index that leads with the FK's columns."""
    out = []
    for fk in t.foreign_keys:
        conds = [Cond("eq", quote_ident(c), t.column(c).type.sql) for c in fk.columns]
        keys = [(i.name, i.columns) for i in t.indexes if not i.where] + [(u.name, u.columns) for u in t.uniques]
        keys += [(t.primary_key.name, t.primary_key.columns)] if t.primary_key else []
        serving = tuple(name for name, cols in keys if _leads_with(cols, fk.columns, t))
        out.append(QueryShape("fk", t, fk.name, conds, None, serving,
                              note=f"lookup of {t.name} rows by {', '.join(fk.columns)} (joins, ON DELETE)"))
    return out


def _leads_with(cols: tuple[str, ...], fk_cols: tuple[str, ...], t: Table) -> bool:
    """An index serves a foreign key's lookup when it leads with the key's columns, or with
    those that pick the parent (a tenant-consistent key's tenant or owner column follows)."""
    core = set(fk_cols) - {t.meta.tenant_column, t.meta.owner_column} or set(fk_cols)
    return any(set(cols[:n]) == want for want in (set(fk_cols), core) for n in (len(want),) if len(cols) >= n)


def named_shapes(schema: Schema) -> list[QueryShape]:
    out = []
    for q in schema.queries:
        table = _first_table(schema, q)
        out.append(QueryShape("named", table, q.name, [], None, (q.uses,) if q.uses else (), q.sql, q.params,
                              note=q.description or ""))
    return out


def _first_table(schema: Schema, q: NamedQuery) -> Table:
    for _param, (sch, name, _col) in q.params:
        t = schema.table(name, sch)
        if t is not None:
            return t
    words = q.sql.replace('"', " ").split()
    for t in schema.tables:
        if t.name in words:
            return t
    return schema.tables[0]


def derive(schema: Schema) -> list[QueryShape]:
    """Every query to prove, FK lookups merged into an index query of the same shape."""
    out: list[QueryShape] = []
    for t in schema.tables:
        shapes = index_shapes(t)
        seen = {s.signature(): s for s in shapes}
        for fk in fk_shapes(t):
            twin = seen.get(fk.signature())
            if twin is not None:
                twin.note = (twin.note + "; " if twin.note else "") + f"also the lookup of {fk.name}"
                continue
            shapes.append(fk)
        out += shapes
    return out + named_shapes(schema)
