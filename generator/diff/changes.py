"""Changes between two models as small Verb+Noun dataclasses. Each knows its reverse; a drop
keeps the whole old object so the reverse (and a down migration) can recreate it."""
from __future__ import annotations

from dataclasses import dataclass

from generator.model import (Enum, Extension, ForeignKey, Function, Grant, Index, Policy, Role, Table, Trigger,
                             View)


class Change:
    """Base of all changes. `destructive` marks what loses data when applied."""

    destructive = False

    def reverse(self) -> "Change":
        raise NotImplementedError(type(self).__name__)


@dataclass(frozen=True)
class AddExtension(Change):
    extension: Extension

    def reverse(self):
        return DropExtension(self.extension)


@dataclass(frozen=True)
class DropExtension(Change):
    extension: Extension

    def reverse(self):
        return AddExtension(self.extension)


@dataclass(frozen=True)
class AddSchema(Change):
    name: str

    def reverse(self):
        return DropSchema(self.name)


@dataclass(frozen=True)
class DropSchema(Change):
    name: str
    destructive = True

    def reverse(self):
        return AddSchema(self.name)


@dataclass(frozen=True)
class AddRole(Change):
    role: Role

    def reverse(self):
        return DropRole(self.role)


@dataclass(frozen=True)
class DropRole(Change):
    """Roles are cluster-wide: rendered as a note, never as DROP ROLE."""

    role: Role

    def reverse(self):
        return AddRole(self.role)


@dataclass(frozen=True)
class AddEnum(Change):
    enum: Enum

    def reverse(self):
        return DropEnum(self.enum)


@dataclass(frozen=True)
class DropEnum(Change):
    enum: Enum
    destructive = True

    def reverse(self):
        return AddEnum(self.enum)


@dataclass(frozen=True)
class AddTable(Change):
    """CREATE TABLE with columns, primary key, unique and check constraints (FKs, indexes,
    comments, triggers, RLS, policies and grants are changes of their own)."""

    table: Table

    def reverse(self):
        return DropTable(self.table)


@dataclass(frozen=True)
class DropTable(Change):
    table: Table
    destructive = True

    def reverse(self):
        return AddTable(self.table)


@dataclass(frozen=True)
class AddForeignKey(Change):
    """`existing`: the table already holds rows: add NOT VALID, validate in a later step.
    `late`: the unique key it references is built concurrently by the same migration, so the
    key is added after it, outside the transaction too."""

    table: Table
    fk: ForeignKey
    existing: bool = False
    late: bool = False

    def reverse(self):
        return DropForeignKey(self.table, self.fk, self.existing)


@dataclass(frozen=True)
class DropForeignKey(Change):
    table: Table
    fk: ForeignKey
    existing: bool = False

    def reverse(self):
        return AddForeignKey(self.table, self.fk, self.existing)


@dataclass(frozen=True)
class AddIndex(Change):
    table: Table
    index: Index
    concurrently: bool = False

    def reverse(self):
        return DropIndex(self.table, self.index, self.concurrently)


@dataclass(frozen=True)
class DropIndex(Change):
    table: Table
    index: Index
    concurrently: bool = False

    def reverse(self):
        return AddIndex(self.table, self.index, self.concurrently)


@dataclass(frozen=True)
class SetComment(Change):
    """COMMENT ON <kind> <target>; kind is TABLE, COLUMN, INDEX, TYPE, VIEW or FUNCTION.
    `target` is the already-quoted object name."""

    kind: str
    target: str
    comment: str | None
    old: str | None = None
    other_target: str | None = None     # the target's name for the reverse, when renamed
    owner: tuple[str, str] | None = None   # key of the table the commented object belongs to

    def reverse(self):
        return SetComment(self.kind, self.other_target or self.target, self.old, self.comment, self.target,
                          self.owner)


@dataclass(frozen=True)
class AddFunction(Change):
    function: Function

    def reverse(self):
        return DropFunction(self.function)


@dataclass(frozen=True)
class DropFunction(Change):
    function: Function

    def reverse(self):
        return AddFunction(self.function)


@dataclass(frozen=True)
class AddTrigger(Change):
    table: Table
    trigger: Trigger

    def reverse(self):
        return DropTrigger(self.table, self.trigger)


@dataclass(frozen=True)
class DropTrigger(Change):
    table: Table
    trigger: Trigger

    def reverse(self):
        return AddTrigger(self.table, self.trigger)


@dataclass(frozen=True)
class AddView(Change):
    view: View

    def reverse(self):
        return DropView(self.view)


@dataclass(frozen=True)
class DropView(Change):
    view: View

    def reverse(self):
        return AddView(self.view)


@dataclass(frozen=True)
class SetRls(Change):
    table: Table
    enabled: bool
    forced: bool
    old_enabled: bool = False
    old_forced: bool = False
    other: Table | None = None          # the table's name for the reverse, when renamed

    def reverse(self):
        return SetRls(self.other or self.table, self.old_enabled, self.old_forced, self.enabled, self.forced,
                      self.table)


@dataclass(frozen=True)
class AddPolicy(Change):
    table: Table
    policy: Policy

    def reverse(self):
        return DropPolicy(self.table, self.policy)


@dataclass(frozen=True)
class DropPolicy(Change):
    table: Table
    policy: Policy

    def reverse(self):
        return AddPolicy(self.table, self.policy)


@dataclass(frozen=True)
class AddGrant(Change):
    """`exact`: on a new object, revoke whatever default privileges gave the role first."""

    table: Table | View
    grant: Grant
    exact: bool = False

    def reverse(self):
        return RevokeGrant(self.table, self.grant)


@dataclass(frozen=True)
class RevokeGrant(Change):
    table: Table | View
    grant: Grant

    def reverse(self):
        return AddGrant(self.table, self.grant)


@dataclass(frozen=True)
class SetTempTables(Change):
    """Whether PUBLIC holds TEMPORARY on the database (the one being migrated)."""

    allowed: bool
    old: bool = True

    def reverse(self):
        return SetTempTables(self.old, self.allowed)
