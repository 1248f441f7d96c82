"""What Prisma and Drizzle cannot express: one predicate per kind of object, shared by the
renderers (which skip what is listed) and the parity report (which lists it)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from generator.model import Column, ForeignKey, Index, Schema, Table

SQL_HOME = "schema.sql"            # where the sql target keeps everything the ORMs cannot hold
PRISMA_INDEX_TYPES = {"btree": "BTree", "hash": "Hash", "gist": "Gist", "gin": "Gin",
                      "spgist": "SpGist", "brin": "Brin"}
_OPS_METHODS = {"gist", "gin", "spgist", "brin"}


@dataclass(frozen=True, slots=True)
class Gap:
    """One model object a target cannot express, why, and where it lives instead."""

    kind: str
    name: str
    reason: str
    where: str = SQL_HOME

    @property
    def line(self) -> str:
        return f"{self.kind} {self.name}: {self.reason} (see {self.where})"


def prisma_index_gap(ix: Index) -> str | None:
    """Why Prisma cannot express this index, or None when it can."""
    if ix.method not in PRISMA_INDEX_TYPES:
        return f"index method {ix.method} is not supported by Prisma"
    if ix.where:
        return "partial index (WHERE) is not supported by Prisma"
    if any(e.expression for e in ix.elements):
        return "expression index is not supported by Prisma"
    if ix.include:
        return "INCLUDE columns are not supported by Prisma"
    if ix.params:
        return "index storage parameters (WITH ...) are not supported by Prisma"
    if ix.nulls_not_distinct:
        return "NULLS NOT DISTINCT is not supported by Prisma"
    if any(e.nulls or e.collation for e in ix.elements):
        return "NULLS FIRST/LAST or COLLATE in an index is not supported by Prisma"
    if any(e.opclass for e in ix.elements) and ix.method not in _OPS_METHODS:
        return f"operator classes on {ix.method} indexes are not supported by Prisma"
    return None


def drizzle_index_gap(ix: Index) -> str | None:
    """Why Drizzle cannot express this index, or None when it can."""
    if ix.include:
        return "INCLUDE columns are not supported by Drizzle"
    if ix.nulls_not_distinct:
        return "NULLS NOT DISTINCT on an index is not supported by Drizzle"
    if any(e.collation for e in ix.elements):
        return "COLLATE in an index is not supported by Drizzle"
    return None


def live_unique(table: Table, ix: Index) -> bool:
    """A unique index soft delete made partial (`WHERE <deleted column> IS NULL`) that Prisma
    could otherwise declare: the application roles see only rows that are not deleted, so to
    them the columns are unique, and Prisma's client gets @unique (findUnique, one-to-one)."""
    from generator.model.naming import quote_ident
    sd = table.meta.soft_delete
    return (sd is not None and ix.unique and ix.where == f"{quote_ident(sd.column)} IS NULL"
            and prisma_index_gap(replace(ix, where=None)) is None)


LIVE_UNIQUE = ("partial unique index (WHERE) rendered as @unique: Prisma cannot say \"among rows that are not "
               "soft-deleted\", the rows the application roles see")


def has_unique_key(table: Table) -> bool:
    """Prisma needs a primary key or a unique constraint/index to address rows."""
    return bool(table.primary_key or table.uniques or
                any(ix.unique and prisma_index_gap(ix) is None for ix in table.indexes))


def _column_gaps(table: Table, col: Column, prisma: bool) -> list[Gap]:
    name, out = f"{table.qname}.{col.name}", []
    if col.comment:
        out.append(Gap("comment", name, "COMMENT ON COLUMN is not created by the ORM"
                       + (" (kept as /// doc comment)" if prisma else " (kept as /** */ doc comment)")))
    if col.collation:
        out.append(Gap("collation", name, f"COLLATE {col.collation} cannot be declared"))
    if prisma and col.generated:
        out.append(Gap("generated column", name, "GENERATED ALWAYS AS (...) STORED is not supported by Prisma"))
    if prisma and col.type.array_dims == 1 and not col.nullable:
        out.append(Gap("not null", name, "Prisma creates list columns nullable"))
    if prisma and col.identity:
        out.append(Gap("identity", name, "identity columns are not supported by Prisma (autoincrement() is serial)"))
    return out


def _fk_gaps(table: Table, fk: ForeignKey, schema: Schema, prisma: bool) -> list[Gap]:
    name = f"{table.qname}.{fk.name}"
    out = []
    if fk.deferrable:
        out.append(Gap("deferrable", name, "DEFERRABLE foreign keys cannot be declared"))
    target = schema.table(fk.ref_table, fk.ref_schema)
    if target is None:
        out.append(Gap("foreign key", name, f"references {fk.ref_table}, which is not in the model"))
    elif prisma and not (has_unique_key(table) and has_unique_key(target)):
        out.append(Gap("foreign key", name, "a relation to or from an @@ignore'd model is not supported"))
    return out


def orm_schema(schema: Schema) -> Schema:
    """The tables an ORM models: partitions are reached through their partitioned parent."""
    if not any(t.partition_of for t in schema.tables):
        return schema
    return replace(schema, tables=tuple(t for t in schema.tables if not t.partition_of))


_UNSUPPORTED_TABLE = (("unlogged", "UNLOGGED tables"), ("options", "storage parameters (WITH ...)"),
                      ("partition_by", "declarative partitioning (PARTITION BY)"),
                      ("inherits", "table inheritance (INHERITS): the model holds only the table's own columns"),
                      ("cluster_on", "CLUSTER ON"), ("replica_identity", "REPLICA IDENTITY"))


def _table_gaps(table: Table, schema: Schema, prisma: bool) -> list[Gap]:
    t, out = table.qname, []
    if table.partition_of:
        return [Gap("partition", t, f"a partition of {table.partition_of} ({table.partition_bound}): not a model "
                    "of its own, reached through its parent")]
    out += [Gap("table option", t, f"{what} cannot be declared") for attr, what in _UNSUPPORTED_TABLE
            if getattr(table, attr)]
    out += [Gap("exclusion", f"{t}.{x.name}", "EXCLUDE constraints cannot be declared") for x in table.exclusions]
    keys = [table.primary_key] if table.primary_key else []
    out += [Gap("deferrable", f"{t}.{k.name}", "DEFERRABLE keys cannot be declared")
            for k in keys + list(table.uniques) if k.deferrable]
    if prisma and not has_unique_key(table):
        out.append(Gap("table", t, "no primary key or unique key: rendered with @@ignore"))
    if table.comment:
        out.append(Gap("comment", t, "COMMENT ON TABLE is not created by the ORM (kept as doc comment)"))
    for col in table.columns:
        out += _column_gaps(table, col, prisma)
    for fk in table.foreign_keys:
        out += _fk_gaps(table, fk, schema, prisma)
    for u in table.uniques:
        if prisma and u.nulls_not_distinct:
            out.append(Gap("unique", f"{t}.{u.name}", "NULLS NOT DISTINCT is not supported by Prisma"))
    if prisma:
        out += [Gap("check", f"{t}.{c.name}", "CHECK constraints are not supported by Prisma")
                for c in table.checks]
    for ix in table.indexes:
        reason = prisma_index_gap(ix) if prisma else drizzle_index_gap(ix)
        reason = LIVE_UNIQUE if prisma and live_unique(table, ix) else reason
        if reason:
            out.append(Gap("index", f"{t}.{ix.name}", reason))
        if ix.comment:
            out.append(Gap("comment", f"{t}.{ix.name}", "COMMENT ON INDEX is not created by the ORM"))
    if prisma and table.rls_enabled:
        out.append(Gap("row level security", t, "ENABLE ROW LEVEL SECURITY is not supported by Prisma"))
    if table.rls_forced:
        out.append(Gap("force row level security", t, "FORCE ROW LEVEL SECURITY cannot be declared"))
    if prisma:
        out += [Gap("policy", f"{t}.{p.name}", "RLS policies are not supported by Prisma") for p in table.policies]
    out += [Gap("trigger", f"{t}.{tr.name}", "triggers cannot be declared") for tr in table.triggers]
    out += [Gap("grant", f"{t}.{g.role}", "GRANTs cannot be declared") for g in table.grants]
    return out


def _schema_gaps(schema: Schema, prisma: bool) -> list[Gap]:
    out = []
    if not prisma:
        out += [Gap("extension", e.name, "CREATE EXTENSION is not declared in Drizzle") for e in schema.extensions]
    out += [Gap("comment", e.qname, "COMMENT ON TYPE is not created by the ORM") for e in schema.enums if e.comment]
    out += [Gap("function", f.qname, "functions cannot be declared") for f in schema.functions]
    out += [Gap("view", v.qname, "views are not rendered (they live in SQL)") for v in schema.views]
    out += [Gap("role", r.name, "roles are not created by the ORM") for r in schema.roles]
    for kind, items in (("sequence", schema.sequences), ("collation", schema.collations),
                        ("domain", schema.domains), ("composite type", schema.composites),
                        ("range type", schema.ranges), ("aggregate", schema.aggregates)):
        out += [Gap(kind, x.qname, f"a {kind} cannot be declared (columns of it are typed by name)"
                    if kind in ("domain", "composite type", "range type") else f"a {kind} cannot be declared")
                for x in items if not (kind == "sequence" and x.owned_by)]
    out += [Gap("schema", n.name, "schema comments and privileges cannot be declared") for n in schema.namespaces]
    out += [Gap("raw SQL", r.name, "raw SQL objects live in SQL only") for r in schema.raw]
    for v in schema.views:
        out += [Gap("grant", f"{v.qname}.{g.role}", "GRANTs cannot be declared") for g in v.grants]
    return out


def gaps(schema: Schema, target: str) -> list[Gap]:
    """Every object of `schema` that `target` ("prisma" or "drizzle") cannot express."""
    prisma = target == "prisma"
    out = _schema_gaps(schema, prisma)
    for table in schema.tables:
        out += _table_gaps(table, schema, prisma)
    return out


# Differences in kind rather than missing objects, stated once per target in PARITY.md.
NOTES = {
    "prisma": (
        "Unique constraints are declared with @unique/@@unique; Prisma Migrate creates them as unique "
        "indexes of the same name (same effect, different catalog entry).",
        "Database defaults stay in the database: gen_random_uuid() and other expressions are "
        "dbgenerated(...), now() is Prisma's now() (CURRENT_TIMESTAMP).",
        "Objects listed here that others depend on (functions called by dbgenerated defaults, roles) must "
        "exist before Prisma's DDL runs: apply schema.sql, or use `gen migrate`.",
    ),
    "drizzle": (
        "Foreign keys use foreignKey({ name }) to keep the model's constraint names; .references() is used "
        "only where the name equals Drizzle's own default.",
        "Objects listed here that others depend on (functions called by policies, extensions, roles) must "
        "exist before drizzle-kit's migration runs: apply schema.sql, or use `gen migrate`.",
    ),
}
