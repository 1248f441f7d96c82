"""Citus changes: the session settings every Citus script runs under, the database setting
that carries `SET LOCAL` to the workers, a new table distributed (or made a reference table)
right after it is created, and, in schema mode, the tenant schema distributed. Placements live
in the tables' metadata (a plain PostgreSQL inspect cannot see them), so only new tables get a
call; `refusals` names what a migration cannot do on Citus."""
from __future__ import annotations

from dataclasses import dataclass

from generator.diff.changes import AddSchema, AddTable, Change
from generator.model import Placement, Schema, Table


@dataclass(frozen=True)
class CitusSession(Change):
    """SET LOCAL citus.multi_shard_modify_mode / enable_unsafe_triggers for this script."""

    version: int = 13

    def reverse(self):
        return self


@dataclass(frozen=True)
class CitusDatabase(Change):
    """ALTER DATABASE ... SET citus.propagate_set_commands = 'local': SET LOCAL of the tenant
    and user settings reaches the shards, where the policies run."""

    def reverse(self):
        return NoCitusDatabase()


@dataclass(frozen=True)
class NoCitusDatabase(Change):
    def reverse(self):
        return CitusDatabase()


@dataclass(frozen=True)
class DistributeTable(Change):
    table: Table
    placement: Placement
    shard_count: int | None = None

    def reverse(self):
        return UndistributeTable(self.table)


@dataclass(frozen=True)
class UndistributeTable(Change):
    """The reverse of distributing a new table: the table's drop takes its shards along."""

    table: Table

    def reverse(self):
        return DistributeTable(self.table, self.table.meta.placement)


@dataclass(frozen=True)
class DistributeSchema(Change):
    name: str

    def reverse(self):
        return UndistributeSchema(self.name)


@dataclass(frozen=True)
class UndistributeSchema(Change):
    name: str

    def reverse(self):
        return DistributeSchema(self.name)


CALLED = ("distributed", "reference")


def citus_changes(old: Schema, new: Schema, changes: list[Change]) -> list[Change]:
    citus = new.settings.citus
    if citus is None:
        return []
    out: list[Change] = []
    if old.settings.citus is None:
        out.append(CitusDatabase())
    for c in changes:
        if isinstance(c, AddTable) and c.table.meta.placement and c.table.meta.placement.kind in CALLED:
            out.append(DistributeTable(c.table, c.table.meta.placement,
                                       citus.shard_count if c.table.meta.placement.colocate_with is None else None))
        if isinstance(c, AddSchema) and c.name == new.settings.tenant_schema and citus.mode == "schema":
            out.append(DistributeSchema(c.name))
    # the group's anchor before the tables colocated with it
    out.sort(key=lambda c: isinstance(c, DistributeTable) and c.placement.colocate_with is not None)
    if out or changes:
        out.insert(0, CitusSession(citus.version))
    return out


def refusals(old: Schema, new: Schema) -> list[str]:
    """What Citus cannot do that a migration from `old` to `new` would: turn Citus on for tables
    that exist, move a table to another placement, change the type of a distribution column or
    drop it."""
    if new.settings.citus is None:
        return []
    if old.settings.citus is None:
        kept = [t.name for t in new.tables if old.table(t.name, t.schema) is not None]
        return [f"Citus is turned on for tables that exist ({', '.join(kept[:5])}"
                f"{' ...' if len(kept) > 5 else ''}): distributing them is a migration of its own"] if kept else []
    before = {(s, t): (k, c) for s, t, k, c in old.settings.citus.placements}
    out = []
    for schema, name, kind, column in new.settings.citus.placements:
        was = before.get((schema, name))
        if was is None:
            continue
        if was != (kind, column):
            out.append(f"{name} moves from {_where(*was)} to {_where(kind, column)}: Citus needs "
                       "alter_distributed_table / undistribute_table, in a migration of its own")
            continue
        if kind != "distributed":
            continue
        t, o = new.table(name, schema), old.table(name, schema)
        was_col, now = (o.column(column) if o else None), (t.column(column) if t else None)
        if now is None:
            out.append(f"{name}: the distribution column {column} would be dropped")
        elif was_col is not None and was_col.type != now.type:
            out.append(f"{name}: the distribution column {column} would change type from {was_col.type.sql} to "
                       f"{now.type.sql}; Citus refuses ALTER TABLE on it (\"cannot execute ALTER TABLE command "
                       "involving partition column\")")
    return out


def _where(kind: str, column: str) -> str:
    return f"distributed by {column}" if kind == "distributed" else f"a {kind} table"
