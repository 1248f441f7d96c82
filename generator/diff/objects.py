"""Changes to the objects beyond tables (sequences, collations, domains, composite and range
types, aggregates, schema facts, raw SQL) and to table-level properties, each with its
reverse; `object_changes` lists them between two models."""
from __future__ import annotations

from dataclasses import dataclass

from generator.diff.changes import Change
from generator.model import (Aggregate, Collation, CompositeType, Domain, Namespace, RangeType, RawSQL, Schema,
                             Sequence, Table)

UserType = Domain | CompositeType | RangeType


@dataclass(frozen=True)
class AddSequence(Change):
    sequence: Sequence

    def reverse(self):
        return DropSequence(self.sequence)


@dataclass(frozen=True)
class DropSequence(Change):
    sequence: Sequence
    destructive = True

    def reverse(self):
        return AddSequence(self.sequence)


@dataclass(frozen=True)
class AlterSequence(Change):
    old: Sequence
    new: Sequence

    def reverse(self):
        return AlterSequence(self.new, self.old)


@dataclass(frozen=True)
class AddCollation(Change):
    collation: Collation

    def reverse(self):
        return DropCollation(self.collation)


@dataclass(frozen=True)
class DropCollation(Change):
    collation: Collation

    def reverse(self):
        return AddCollation(self.collation)


@dataclass(frozen=True)
class AddType(Change):
    """CREATE DOMAIN, or CREATE TYPE ... AS (composite) / AS RANGE."""

    type: UserType

    def reverse(self):
        return DropType(self.type)


@dataclass(frozen=True)
class DropType(Change):
    type: UserType
    destructive = True

    def reverse(self):
        return AddType(self.type)


@dataclass(frozen=True)
class AddAggregate(Change):
    aggregate: Aggregate

    def reverse(self):
        return DropAggregate(self.aggregate)


@dataclass(frozen=True)
class DropAggregate(Change):
    aggregate: Aggregate

    def reverse(self):
        return AddAggregate(self.aggregate)


@dataclass(frozen=True)
class SetNamespace(Change):
    """A schema's comment and privileges."""

    old: Namespace
    new: Namespace

    def reverse(self):
        return SetNamespace(self.new, self.old)


@dataclass(frozen=True)
class AddRaw(Change):
    raw: RawSQL

    def reverse(self):
        return DropRaw(self.raw)


@dataclass(frozen=True)
class DropRaw(Change):
    raw: RawSQL

    def reverse(self):
        return AddRaw(self.raw)


@dataclass(frozen=True)
class AlterTable(Change):
    """Table-level properties: UNLOGGED, storage parameters, REPLICA IDENTITY, CLUSTER ON."""

    old: Table
    new: Table

    @property
    def table(self) -> Table:
        return self.new

    def reverse(self):
        return AlterTable(self.new, self.old)


TABLE_PROPERTIES = ("unlogged", "options", "replica_identity", "cluster_on")


def object_changes(old: Schema, new: Schema) -> tuple[list[Change], list[Change]]:
    """(changes that go before tables, changes that go after): sequences, collations, types,
    schema facts; aggregates and raw SQL."""
    before: list[Change] = []
    before += _keyed(old.collations, new.collations, AddCollation, DropCollation)
    types_old = (*old.domains, *old.composites, *old.ranges)
    types_new = (*new.domains, *new.composites, *new.ranges)
    before += _keyed(types_old, types_new, AddType, DropType)
    before += _keyed(old.sequences, new.sequences, AddSequence, DropSequence, AlterSequence)
    names_old = {n.name: n for n in old.namespaces}
    for n in new.namespaces:
        o = names_old.get(n.name, Namespace(n.name))
        if o != n:
            before.append(SetNamespace(o, n))
    for o in old.namespaces:
        if o.name not in {n.name for n in new.namespaces} and o != Namespace(o.name):
            before.append(SetNamespace(o, Namespace(o.name)))
    after: list[Change] = _keyed(old.aggregates, new.aggregates, AddAggregate, DropAggregate)
    raw_old = {r.name: r for r in old.raw}
    raw_new = {r.name: r for r in new.raw}
    after += [DropRaw(r) for r in reversed(old.raw) if r.name not in raw_new or raw_new[r.name] != r]
    after += [AddRaw(r) for r in new.raw if r.name not in raw_old or raw_old[r.name] != r]
    return before, after


def _keyed(old, new, add, drop, alter=None) -> list[Change]:
    before = {x.key: x for x in old}
    after = {x.key: x for x in new}
    out: list[Change] = [drop(x) for k, x in before.items() if k not in after]
    for k, x in after.items():
        o = before.get(k)
        if o is None:
            out.append(add(x))
        elif o != x:
            out += [alter(o, x)] if alter and type(o) is type(x) else [drop(o), add(x)]
    return out


def table_property_changes(o: Table, t: Table) -> list[Change]:
    if any(getattr(o, p) != getattr(t, p) for p in TABLE_PROPERTIES):
        return [AlterTable(o, t)]
    return []
