"""Names shared by the Prisma and Drizzle targets: model/const names per table, field names per
column, and both sides of every foreign-key relation (with relation names where ambiguous)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from generator.model import ForeignKey, Schema, Table
from generator.targets.orm_names import Names, camel, entity, pascal, plural, singular, unique_names
from generator.targets.orm_parity import live_unique, prisma_index_gap

TableKey = tuple[str, str]

# The back field of a one-to-many self-reference, by its owning field, as people name them.
SELF_BACK_FIELDS = {"parent": "children"}


@dataclass(frozen=True)
class Relation:
    """One foreign key seen from both ends."""

    table: Table                 # the table holding the FK
    fk: ForeignKey
    target: Table                # the referenced table
    field: str                   # relation field on `table`
    back_field: str              # relation field on `target`
    one_to_one: bool             # FK columns are unique: the back side holds one row, not many
    optional: bool               # some FK column is nullable
    name: str | None             # relation name, set when a pair of tables has several relations


@dataclass(frozen=True)
class OrmNames:
    models: dict[TableKey, str]                   # PascalCase singular model name per table
    consts: dict[TableKey, str]                   # camelCase const name per table (Drizzle)
    fields: dict[TableKey, dict[str, str]]        # column name -> camelCase field name
    relations: tuple[Relation, ...]

    def outgoing(self, table: Table) -> list[Relation]:
        """Relations whose FK `table` holds, in declaration order."""
        return list(self._by_table.get(table.key, ()))

    def incoming(self, table: Table) -> list[Relation]:
        """Relations whose FK points at `table`, in declaration order."""
        return list(self._by_target.get(table.key, ()))

    @cached_property
    def _by_table(self) -> dict[TableKey, list[Relation]]:
        out: dict[TableKey, list[Relation]] = {}
        for r in self.relations:
            out.setdefault(r.table.key, []).append(r)
        return out

    @cached_property
    def _by_target(self) -> dict[TableKey, list[Relation]]:
        out: dict[TableKey, list[Relation]] = {}
        for r in self.relations:
            out.setdefault(r.target.key, []).append(r)
        return out


def _table_names(schema: Schema, make, reserved: frozenset[str]) -> dict[TableKey, str]:
    return unique_names(schema.tables, make, reserved, name_of=entity)


def _model_base(schema: str, name: str) -> str:
    return pascal(f"{schema}_{singular(name)}")


def _const_base(schema: str, name: str) -> str:
    return camel(f"{schema}_{name}")


def is_unique_on(table: Table, columns: tuple[str, ...]) -> bool:
    """True when exactly these columns carry a primary key, unique constraint or unique index
    that both ORMs can declare (so a one-to-one relation is valid in each); a unique index soft
    delete made partial counts (`live_unique`: unique among the rows the application sees)."""
    wanted = set(columns)
    sets = [set(u.columns) for u in table.uniques if not u.nulls_not_distinct]
    sets += [set(ix.columns) for ix in table.indexes
             if ix.unique and (prisma_index_gap(ix) is None or live_unique(table, ix))]
    if table.primary_key:
        sets.append(set(table.primary_key.columns))
    return wanted in sets


def _pair_counts(schema: Schema) -> Counter:
    pairs: Counter = Counter()
    for t in schema.tables:
        for fk in t.relation_keys:
            pairs[frozenset({t.key, (fk.ref_schema, fk.ref_table)})] += 1
    return pairs


def _owning_base(fk: ForeignKey, target_model: str, ambiguous: bool) -> str:
    own = fk.own_columns
    if len(own) == 1 and own[0].endswith("_id") and len(own[0]) > 3:
        return camel(own[0][:-3])
    base = camel(target_model)
    return base + "By" + pascal("_".join(own)) if ambiguous else base


def build_names(schema: Schema, reserved: frozenset[str] = frozenset(),
                const_reserved: frozenset[str] = frozenset()) -> OrmNames:
    """Deterministic names for every table, column and relation of `schema`."""
    models = _table_names(schema, _model_base, reserved)
    consts = _table_names(schema, _const_base, const_reserved)
    scopes: dict[TableKey, Names] = {}
    fields: dict[TableKey, dict[str, str]] = {}
    for t in schema.tables:
        scopes[t.key] = Names()
        fields[t.key] = {c.name: scopes[t.key].take(camel(c.name)) for c in t.columns}
    pairs = _pair_counts(schema)
    owning = []
    for t in schema.tables:
        for fk in t.relation_keys:
            target = schema.table(fk.ref_table, fk.ref_schema)
            if target is None:
                continue
            ambiguous = pairs[frozenset({t.key, target.key})] > 1 or target.key == t.key
            field = scopes[t.key].take(_owning_base(fk, models[target.key], ambiguous))
            owning.append((t, fk, target, field, ambiguous))
    relations = []
    for t, fk, target, field, ambiguous in owning:
        one = is_unique_on(t, fk.columns)
        back = camel(models[t.key]) if one else camel(plural(singular(entity(t))))
        if target.key == t.key and not one and field in SELF_BACK_FIELDS:
            back = SELF_BACK_FIELDS[field]          # a tree: categories.parent_id -> parent / children
        elif ambiguous:
            back += "As" + pascal(field)
        optional = any((c := t.column(n)) is None or c.nullable for n in fk.columns)
        name = models[t.key] + pascal(field) if ambiguous else None
        relations.append(Relation(t, fk, target, field, scopes[target.key].take(back), one, optional, name))
    return OrmNames(models, consts, fields, tuple(relations))
