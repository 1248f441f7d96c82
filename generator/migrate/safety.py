"""Safety review of a change list: what can lose data (each with an acknowledgement key such
as `drop_column:users.legacy`) is refused unless acknowledged, and what may fail on a table
with rows is warned about. (Dropping a type or schema cannot lose rows: PostgreSQL refuses
while anything uses it.)"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.diff import alter as al
from generator.diff import changes as ch
from generator.model import DataType, PrimaryKey, Table, Unique
from generator.model.types import INTEGER_TYPES

_INT_RANK = {"smallint": 1, "integer": 2, "bigint": 3}
_UNBOUNDED_TEXT = {"text", "character varying"}


@dataclass(frozen=True)
class Risk:
    key: str            # what `migrations.allow_destructive` must list to accept it
    message: str


def _table(t: Table) -> str:
    return t.name if t.schema == "public" else f"{t.schema}.{t.name}"


def widens(old: DataType, new: DataType) -> bool:
    """True when every value of `old` fits `new` unchanged (so no data can be lost)."""
    if old == new:
        return True
    if old.array_dims != new.array_dims:
        return False
    if old.enum:
        return not new.enum and new.base in _UNBOUNDED_TEXT and not new.modifiers
    if new.enum:
        return False
    if old.base in INTEGER_TYPES and new.base in INTEGER_TYPES:
        return _INT_RANK[new.base] >= _INT_RANK[old.base]
    if old.base in INTEGER_TYPES and new.base == "numeric":
        return not new.modifiers or new.modifiers[0] - (new.modifiers[1:] or (0,))[0] >= 19
    if old.base in ("character varying", "character", "text") and new.base in _UNBOUNDED_TEXT:
        bounded = old.base != "text" and bool(old.modifiers)
        return not new.modifiers or (bounded and new.modifiers[0] >= old.modifiers[0])
    if old.base == new.base == "numeric":
        return _numeric_widens(old.modifiers, new.modifiers)
    if old.base == "real" and new.base == "double precision":
        return True
    if old.base == new.base and old.base.startswith(("timestamp", "time ", "interval")):
        return not new.modifiers or (bool(old.modifiers) and new.modifiers[0] >= old.modifiers[0])
    return False


def _numeric_widens(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    if not new:
        return True
    if not old:
        return False
    (p1, s1), (p2, s2) = (old + (0,))[:2], (new + (0,))[:2]
    return s2 >= s1 and p2 - s2 >= p1 - s1


def risks(changes: list[ch.Change]) -> list[Risk]:
    out: list[Risk] = []
    for c in changes:
        if isinstance(c, ch.DropTable):
            out.append(Risk(f"drop_table:{_table(c.table)}", f"drops table {_table(c.table)} and its rows"))
        elif isinstance(c, al.DropColumn) and c.destructive:
            out.append(Risk(f"drop_column:{_table(c.table)}.{c.column.name}",
                            f"drops column {_table(c.table)}.{c.column.name} and its data"))
        elif isinstance(c, al.RebuildEnum):
            out += [Risk(f"drop_enum_value:{c.new.name}.{v}", f"removes value '{v}' from enum {c.new.name} "
                         "(refused at apply time while a row holds it)") for v in c.removed]
        elif isinstance(c, al.AlterColumn):
            out += _column_risks(c)
    return out


def _column_risks(c: al.AlterColumn) -> list[Risk]:
    where = f"{_table(c.table)}.{c.new.name}"
    out = []
    if "type" in c.what and not widens(c.old.type, c.new.type):
        out.append(Risk(f"alter_type:{where}", f"changes {where} from {c.old.type.sql} to {c.new.type.sql}, "
                        "which may not hold every existing value"))
    if c.old.nullable and not c.new.nullable:
        out.append(Risk(f"set_not_null:{where}", f"makes {where} NOT NULL; fails while a row holds NULL "
                        "(backfill first)"))
    return out


def _unique_on_existing(c: ch.Change) -> str | None:
    """`UNIQUE (code)` when the change adds a key or unique index to a table that has rows."""
    if isinstance(c, al.AddConstraint) and c.existing and isinstance(c.constraint, (Unique, PrimaryKey)):
        kind = "PRIMARY KEY" if isinstance(c.constraint, PrimaryKey) else "UNIQUE"
        return f"{kind} ({', '.join(c.constraint.columns)})"
    if isinstance(c, ch.AddIndex) and c.concurrently and c.index.unique:
        return f"unique index {c.index.name}"
    return None


def warnings(changes: list[ch.Change]) -> list[Diagnostic]:
    out = []
    for c in changes:
        if (what := _unique_on_existing(c)) is not None:
            out.append(Diagnostic("MG003", f"adds {what} to {_table(c.table)}, which may hold rows: it fails on "
                                  "duplicate values", name="migrate.safety", severity="warning",
                                  hint="`gen migrate up` names the rows that block it; clean them up first"))
        if isinstance(c, al.AddColumn) and not c.column.nullable and c.column.default is None \
                and not c.column.identity and not c.column.generated:
            where = f"{_table(c.table)}.{c.column.name}"
            out.append(Diagnostic("MG002", f"adds NOT NULL column {where} without a default: fails if "
                                  f"{_table(c.table)} has rows", name="migrate.safety",
                                  hint="give it a default, or add it nullable, backfill, then make it NOT NULL",
                                  severity="warning"))
    return out


def unacknowledged(found: list[Risk], allowed: list[str]) -> list[Risk]:
    return [r for r in found if not any(fnmatchcase(r.key, pattern) for pattern in allowed)]


def refuse(found: list[Risk], spec: str) -> None:
    """Raise MG001 (exit 1) listing every unacknowledged destructive change."""
    if not found:
        return
    keys = ", ".join(r.key for r in found)
    raise GenError([Diagnostic("MG001", f"destructive change refused: {r.message}", name=r.key,
                               hint=f"if intended, add it to `migrations: allow_destructive: [{keys}]` in {spec}, "
                                    "or pass --allow-destructive")
                    for r in found], EXIT_FINDINGS)
