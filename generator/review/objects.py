"""What a change list adds, changes, renames and drops, object by object (tables, columns, enums,
indexes, policies …), with where the object is declared in HEAD; the parts of a new table (its
keys, indexes, policies, grants) count with it, not separately."""
from __future__ import annotations

from dataclasses import dataclass

from generator.diagnostics import Location
from generator.diff import alter as al
from generator.diff import changes as ch
from generator.model import Check, PrimaryKey, Schema, Table, Unique

ADDED, CHANGED, DROPPED, RENAMED = "added", "changed", "dropped", "renamed"
VERBS = (ADDED, CHANGED, RENAMED, DROPPED)
KINDS = ("table", "column", "view", "enum", "foreign key", "constraint", "index", "policy", "row-level security",
         "grant", "trigger", "function", "comment", "extension", "schema", "role", "database")


@dataclass(frozen=True)
class ObjectChange:
    kind: str
    verb: str
    name: str
    detail: str = ""
    loc: Location | None = None
    table: tuple[str, str] | None = None     # key (in HEAD) of the table it belongs to


def _tname(t: Table) -> str:
    return t.name if t.schema == "public" else f"{t.schema}.{t.name}"


def _constraint_kind(k) -> str:
    return "primary key" if isinstance(k, PrimaryKey) else "unique" if isinstance(k, Unique) else "check" \
        if isinstance(k, Check) else "constraint"


def describe(c: ch.Change, head: Schema) -> list[ObjectChange]:
    """The objects one change touches (a change of a new table's part: nothing)."""
    t = getattr(c, "table", None)
    here = head.table(t.name, t.schema) if isinstance(t, Table) else None
    key = here.key if here else None

    def obj(kind, verb, name, detail="", loc=None):
        return [ObjectChange(kind, verb, name, detail, loc or (here.loc if here else None), key)]

    if isinstance(c, ch.AddTable):
        return obj("table", ADDED, _tname(c.table), f"{len(c.table.columns)} columns", c.table.loc)
    if isinstance(c, ch.DropTable):
        return [ObjectChange("table", DROPPED, _tname(c.table), f"{len(c.table.columns)} columns")]
    if isinstance(c, al.RenameTable):
        new = head.table(c.new.name, c.new.schema)
        return [ObjectChange("table", RENAMED, _tname(c.new), f"from {_tname(c.old)}", new.loc if new else None,
                             c.new.key)]
    if isinstance(c, al.AddColumn):
        return obj("column", ADDED, f"{_tname(t)}.{c.column.name}", c.column.type.sql, c.column.loc)
    if isinstance(c, al.DropColumn):
        return obj("column", DROPPED, f"{_tname(t)}.{c.column.name}", c.column.type.sql)
    if isinstance(c, al.RenameColumn):
        col = here.column(c.new) if here else None
        return obj("column", RENAMED, f"{_tname(t)}.{c.new}", f"from {c.old}", col.loc if col else None)
    if isinstance(c, al.AlterColumn):
        col = here.column(c.new.name) if here else None
        return obj("column", CHANGED, f"{_tname(t)}.{c.new.name}", _aspects(c), col.loc if col else None)
    if isinstance(c, (al.AddConstraint, al.DropConstraint)):
        verb = ADDED if isinstance(c, al.AddConstraint) else DROPPED
        return obj("constraint", verb, f"{_tname(t)}.{c.constraint.name}", _constraint_kind(c.constraint),
                   c.constraint.loc)
    if isinstance(c, (ch.AddForeignKey, ch.DropForeignKey)):
        verb = ADDED if isinstance(c, ch.AddForeignKey) else DROPPED
        return obj("foreign key", verb, f"{_tname(t)}.{c.fk.name}",
                   f"({', '.join(c.fk.columns)}) -> {c.fk.ref_table}", c.fk.loc)
    if isinstance(c, (ch.AddIndex, ch.DropIndex)):
        verb = ADDED if isinstance(c, ch.AddIndex) else DROPPED
        return obj("index", verb, f"{_tname(t)}.{c.index.name}", ", ".join(c.index.columns), c.index.loc)
    if isinstance(c, (ch.AddPolicy, ch.DropPolicy)):
        verb = ADDED if isinstance(c, ch.AddPolicy) else DROPPED
        return obj("policy", verb, f"{_tname(t)}.{c.policy.name}", c.policy.command, c.policy.loc)
    if isinstance(c, al.AlterPolicy):
        return obj("policy", CHANGED, f"{_tname(t)}.{c.new.name}", _policy_aspects(c), c.new.loc)
    if isinstance(c, al.RenameObject):
        kind = {"CONSTRAINT": "constraint", "INDEX": "index", "TRIGGER": "trigger", "POLICY": "policy"}[c.kind]
        return obj(kind, RENAMED, f"{_tname(t)}.{c.new}", f"from {c.old}")
    if isinstance(c, ch.SetRls):
        return obj("row-level security", CHANGED, _tname(t), _rls_words(c))
    if isinstance(c, (ch.AddGrant, ch.RevokeGrant)):
        verb = ADDED if isinstance(c, ch.AddGrant) else DROPPED
        cols = f" ({', '.join(c.grant.columns)})" if c.grant.columns else ""
        target = c.table.name
        return [ObjectChange("grant", verb, f"{target}: {c.grant.role}",
                             ", ".join(c.grant.privileges) + cols, getattr(c.table, "loc", None), key)]
    if isinstance(c, (ch.AddTrigger, ch.DropTrigger)):
        verb = ADDED if isinstance(c, ch.AddTrigger) else DROPPED
        return obj("trigger", verb, f"{_tname(t)}.{c.trigger.name}", ", ".join(c.trigger.events), c.trigger.loc)
    return _schema_level(c)


def _schema_level(c: ch.Change) -> list[ObjectChange]:
    simple = {ch.AddExtension: ("extension", ADDED), ch.DropExtension: ("extension", DROPPED),
              ch.AddRole: ("role", ADDED), ch.DropRole: ("role", DROPPED),
              ch.AddEnum: ("enum", ADDED), ch.DropEnum: ("enum", DROPPED),
              ch.AddFunction: ("function", ADDED), ch.DropFunction: ("function", DROPPED),
              ch.AddView: ("view", ADDED), ch.DropView: ("view", DROPPED)}
    if type(c) in simple:
        kind, verb = simple[type(c)]
        thing = getattr(c, kind if kind != "extension" else "extension", None)
        return [ObjectChange(kind, verb, thing.name, "", getattr(thing, "loc", None))]
    if isinstance(c, (ch.AddSchema, ch.DropSchema)):
        return [ObjectChange("schema", ADDED if isinstance(c, ch.AddSchema) else DROPPED, c.name)]
    if isinstance(c, al.SetExtensionSchema):
        return [ObjectChange("extension", CHANGED, c.new.name, f"schema {c.new.schema}", c.new.loc)]
    if isinstance(c, al.ReplaceFunction):
        return [ObjectChange("function", CHANGED, c.new.name, "body or settings", c.new.loc)]
    if isinstance(c, al.RenameEnum):
        return [ObjectChange("enum", RENAMED, c.new.name, f"from {c.old.name}", c.new.loc)]
    if isinstance(c, al.AddEnumValues):
        values = ", ".join(v for v, _, _ in c.adds)
        return [ObjectChange("enum", CHANGED, c.after.name, f"adds {values}", c.after.loc)]
    if isinstance(c, al.RenameEnumValue):
        return [ObjectChange("enum", CHANGED, c.enum.name, f"renames {c.old} to {c.new}", c.enum.loc)]
    if isinstance(c, al.RebuildEnum):
        removed = ", ".join(c.removed)
        return [ObjectChange("enum", CHANGED, c.new.name, f"removes {removed}" if removed else "reorders values",
                             c.new.loc)]
    if isinstance(c, ch.SetComment):
        return [ObjectChange("comment", CHANGED, c.target.replace('"', ""), c.kind.lower())]
    if isinstance(c, ch.SetTempTables):
        return [ObjectChange("database", CHANGED, "TEMPORARY for PUBLIC", "allowed" if c.allowed else "revoked")]
    return []


def _aspects(c: al.AlterColumn) -> str:
    parts = []
    for aspect in sorted(c.what):
        if aspect == "type":
            parts.append(f"type {c.old.type.sql} -> {c.new.type.sql}")
        elif aspect == "nullable":
            parts.append("NOT NULL" if not c.new.nullable else "nullable")
        else:
            parts.append(aspect)
    return ", ".join(parts)


def _policy_aspects(c: al.AlterPolicy) -> str:
    parts = [name for name, a, b in (("roles", c.old.roles, c.new.roles), ("USING", c.old.using, c.new.using),
                                     ("WITH CHECK", c.old.check, c.new.check)) if a != b]
    return ", ".join(parts)


def _rls_words(c: ch.SetRls) -> str:
    parts = []
    if c.enabled != c.old_enabled:
        parts.append("enabled" if c.enabled else "DISABLED")
    if c.forced != c.old_forced:
        parts.append("forced" if c.forced else "no longer forced")
    return ", ".join(parts)


def objects(changes: list[ch.Change], head: Schema) -> list[ObjectChange]:
    """Every object a change list touches, a drop and an add of one object merged into a change."""
    new_tables = {c.table.key for c in changes if isinstance(c, ch.AddTable)}
    out: list[ObjectChange] = []
    for c in changes:
        if not isinstance(c, ch.AddTable) and _part_of_new(c, new_tables):
            continue
        out += describe(c, head)
    return _merged(out)


def _part_of_new(c: ch.Change, new_tables: set) -> bool:
    if isinstance(c, ch.SetComment):
        return c.owner in new_tables
    t = getattr(c, "table", None)
    return isinstance(t, Table) and t.key in new_tables


def _merged(items: list[ObjectChange]) -> list[ObjectChange]:
    """A drop and an add of the same object (a view or a policy replaced) -> one change."""
    by_key: dict[tuple[str, str], ObjectChange] = {}
    order = []
    for o in items:
        k = (o.kind, o.name)
        prev = by_key.get(k)
        if prev is not None and {prev.verb, o.verb} == {ADDED, DROPPED}:
            add = o if o.verb == ADDED else prev
            by_key[k] = ObjectChange(o.kind, CHANGED, o.name, add.detail, add.loc or prev.loc, add.table or prev.table)
            continue
        if prev is not None:
            k = (o.kind, o.name, str(len(order)))
        by_key[k] = o
        order.append(k)
    return [by_key[k] for k in order]


def counts(items: list[ObjectChange], changes: list[ch.Change]) -> dict[str, dict[str, int]]:
    """kind -> verb -> count; tables changed in place count as changed tables too."""
    out: dict[str, dict[str, int]] = {}
    for o in items:
        out.setdefault(o.kind, {v: 0 for v in VERBS})[o.verb] += 1
    renamed = {o.table for o in items if o.kind == "table" and o.verb == RENAMED}
    touched = {o.table for o in items if o.kind not in ("table", "comment") and o.table
               and not (o.verb == RENAMED and o.table in renamed)}    # names that follow the table's
    added = {o.table for o in items if o.kind == "table" and o.verb == ADDED}
    changed_tables = len(touched - added)
    if changed_tables:
        out.setdefault("table", {v: 0 for v in VERBS})[CHANGED] += changed_tables
    return {k: out[k] for k in KINDS if k in out}
