"""Changes inside objects that exist on both sides: renames, columns, table constraints, enum
values, policies and functions. Like the whole-object changes, each knows its reverse."""
from __future__ import annotations

from dataclasses import dataclass

from generator.diff.changes import Change
from generator.model import Check, Column, Enum, Exclusion, Extension, Function, Index, Policy, PrimaryKey, Table, Unique

Constraint = PrimaryKey | Unique | Check | Exclusion

# What an AlterColumn may change, in the order its statements run.
COLUMN_ASPECTS = ("identity", "generated", "default", "type", "collation", "nullable", "comment")


@dataclass(frozen=True)
class RenameTable(Change):
    old: Table
    new: Table

    def reverse(self):
        return RenameTable(self.new, self.old)


# In-place changes run after the renames of their direction, so they name the table as it is
# then (`table`) and keep the other side's name (`other`) for their reverse.

@dataclass(frozen=True)
class RenameColumn(Change):
    table: Table
    old: str
    new: str
    other: Table | None = None

    def reverse(self):
        return RenameColumn(self.other or self.table, self.new, self.old, self.table)


@dataclass(frozen=True)
class RenameObject(Change):
    """A constraint, index, trigger or policy that only changed its name.
    kind: CONSTRAINT | INDEX | TRIGGER | POLICY."""

    table: Table
    kind: str
    old: str
    new: str
    other: Table | None = None

    def reverse(self):
        return RenameObject(self.other or self.table, self.kind, self.new, self.old, self.table)


@dataclass(frozen=True)
class AddColumn(Change):
    table: Table
    column: Column

    def reverse(self):
        return DropColumn(self.table, self.column)


@dataclass(frozen=True)
class DropColumn(Change):
    table: Table
    column: Column

    @property
    def destructive(self) -> bool:          # a generated column holds nothing that is not derived
        return self.column.generated is None

    def reverse(self):
        return AddColumn(self.table, self.column)


@dataclass(frozen=True)
class AlterColumn(Change):
    """Change a column in place; `what` names the aspects that differ (COLUMN_ASPECTS)."""

    table: Table
    old: Column             # as it was, under its old name
    new: Column
    what: frozenset[str]
    other: Table | None = None

    def reverse(self):
        return AlterColumn(self.other or self.table, self.new, self.old, self.what, self.table)


@dataclass(frozen=True)
class AddConstraint(Change):
    """A primary key, unique or check constraint on a table. `existing`: the table already
    holds rows, so the constraint is added without blocking (NOT VALID, or an index built
    concurrently) and validated in a later step."""

    table: Table
    constraint: Constraint
    existing: bool = False

    def reverse(self):
        return DropConstraint(self.table, self.constraint, self.existing)


@dataclass(frozen=True)
class DropConstraint(Change):
    """`existing`: undoes a constraint added to a table with rows (outside a transaction),
    so it is dropped IF EXISTS and can be re-run."""

    table: Table
    constraint: Constraint
    existing: bool = False

    def reverse(self):
        return AddConstraint(self.table, self.constraint, self.existing)


@dataclass(frozen=True)
class AlterPolicy(Change):
    """ALTER POLICY: roles, USING and WITH CHECK changed (command and kind did not)."""

    table: Table
    old: Policy
    new: Policy
    other: Table | None = None

    def reverse(self):
        return AlterPolicy(self.other or self.table, self.new, self.old, self.table)


@dataclass(frozen=True)
class ReplaceFunction(Change):
    """CREATE OR REPLACE FUNCTION for a function whose signature and result type stay."""

    old: Function
    new: Function

    def reverse(self):
        return ReplaceFunction(self.new, self.old)


@dataclass(frozen=True)
class SetExtensionSchema(Change):
    old: Extension
    new: Extension

    def reverse(self):
        return SetExtensionSchema(self.new, self.old)


@dataclass(frozen=True)
class RenameEnum(Change):
    old: Enum
    new: Enum

    def reverse(self):
        return RenameEnum(self.new, self.old)


@dataclass(frozen=True)
class RenameEnumValue(Change):
    enum: Enum
    old: str
    new: str
    other: Enum | None = None

    def reverse(self):
        return RenameEnumValue(self.other or self.enum, self.new, self.old, self.enum)


EnumUse = tuple[Table, Column]


@dataclass(frozen=True)
class AddEnumValues(Change):
    """ALTER TYPE … ADD VALUE IF NOT EXISTS, each in its own step before the migration's
    transaction. `before` is the enum as it is then, `after` with the values added;
    `adds` holds (value, BEFORE anchor, AFTER anchor). Reversed by rebuilding the type,
    for which `uses` lists the columns of the type at that time."""

    before: Enum
    after: Enum
    adds: tuple[tuple[str, str | None, str | None], ...]
    uses: tuple[EnumUse, ...] = ()
    dependents: tuple[tuple[Table, Check | Index | Policy], ...] = ()

    def reverse(self):
        return RebuildEnum(self.after, self.before, self.uses, self.uses, self.dependents)


@dataclass(frozen=True)
class RebuildEnum(Change):
    """Values removed or reordered: create the new type, check no row holds a removed value,
    cast every column (`uses`) over and drop the old type. `reverse_uses` are the columns
    when the reverse runs. `dependents` (checks, indexes, policies on those columns) are
    dropped before and created after; a differ's rebuild leaves them to its own changes."""

    old: Enum
    new: Enum
    uses: tuple[EnumUse, ...] = ()
    reverse_uses: tuple[EnumUse, ...] = ()
    dependents: tuple[tuple[Table, Check | Index | Policy], ...] = ()

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(v for v in self.old.values if v not in self.new.values)

    @property
    def destructive(self) -> bool:
        return bool(self.removed)

    def reverse(self):
        return RebuildEnum(self.new, self.old, self.reverse_uses, self.uses, self.dependents)
