"""Which rows belong to whom, inferred from the model: a table is scoped directly (its tenant or
owner column) or through foreign keys to a scoped parent (a message belongs to whoever owns its
conversation; a link row to whoever owns both ends). Pure: no database."""
from __future__ import annotations

from dataclasses import dataclass

from generator.model import ForeignKey, Schema, Table

KINDS = ("tenant", "owner")
LABELS = {"tenant": ("A", "B"), "owner": ("U1", "U2")}
NOUN = {"tenant": "tenant", "owner": "user"}


@dataclass(frozen=True)
class TableScope:
    """One way rows of `table` belong to a principal. Direct: `column` holds the tenant or the
    user. Derived: every key in `via` points at a row of a parent scoped the same way, and
    the row belongs to that parent's principal."""

    kind: str                          # tenant | owner
    table: Table
    column: str | None = None
    via: tuple[ForeignKey, ...] = ()

    @property
    def derived(self) -> bool:
        return self.column is None

    @property
    def noun(self) -> str:
        return NOUN[self.kind]


def direct(t: Table) -> dict[str, TableScope]:
    out = {}
    if t.meta.tenant_column:
        out["tenant"] = TableScope("tenant", t, t.meta.tenant_column)
    if t.meta.owner_column:
        out["owner"] = TableScope("owner", t, t.meta.owner_column)
    return out


def infer(schema: Schema) -> dict[tuple[str, str], dict[str, TableScope]]:
    """table key -> kind -> scope, in build order (a derived table after its parents). A table
    with RLS and no scope column of its own is derived through every required (NOT NULL)
    reference to a scoped parent; a table that has a scope column keeps only that (its other
    references are the `references` attack's business)."""
    out = {t.key: direct(t) for t in schema.tables if direct(t)}
    pending = [t for t in schema.tables if t.key not in out and t.rls_enabled]
    changed = True
    while changed:
        changed = False
        for t in list(pending):
            got = _derived(schema, t, out)
            if got:
                out[t.key] = got
                pending.remove(t)
                changed = True
    return out


def _derived(schema: Schema, t: Table, known: dict) -> dict[str, TableScope]:
    per_kind: dict[str, list[ForeignKey]] = {}
    for fk in t.foreign_keys:
        parent = schema.table(fk.ref_table, fk.ref_schema)
        if parent is None or parent.key == t.key or parent.key not in known:
            continue
        if any(t.column(c).nullable for c in fk.own_columns):
            continue
        for kind in known[parent.key]:
            if kind not in fk.crosses and fk not in per_kind.get(kind, []):
                per_kind.setdefault(kind, []).append(fk)
    return {k: TableScope(k, t, None, tuple(v)) for k, v in per_kind.items()}


def shared_kinds(schema: Schema, scopes: dict, child: Table, fk: ForeignKey) -> list[str]:
    """The scope kinds both ends of `fk` have (a tenant table pointing at a tenant table)."""
    parent = schema.table(fk.ref_table, fk.ref_schema)
    if parent is None:
        return []
    mine, theirs = scopes.get(child.key, {}), scopes.get(parent.key, {})
    return [k for k in KINDS if k in mine and k in theirs]
