"""The fixture data the attacks work on, inserted as the owner and committed: two tenants'
rows in every tenant table, two users' rows in every owner table, the same for tables scoped
through references (each principal's row points at that principal's parents), a public and a
private row per public_read policy, and an admin and a non-admin user."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import psycopg

from generator.model import Policy, Schema, Table
from generator.model.naming import quote_literal
from generator.verify.actors import Identity, policies_of
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.scopes import LABELS, TableScope
from generator.verify.session import savepoint
from generator.verify.steer import reload, steer
from generator.verify.world_admin import Admin, make_admins, parse_admin

ROOT_PROBLEM = ("*", "tenant root")


@dataclass
class World:
    tenants: dict[str, str] = field(default_factory=dict)        # "A"/"B" -> tenant id (text)
    users: dict[str, str] = field(default_factory=dict)          # "U1"/"U2" -> user id (text)
    rows: dict[tuple, Row] = field(default_factory=dict)         # (table key, label) -> row
    problems: dict[tuple, str] = field(default_factory=dict)     # (table key, concern) -> why missing
    admin: Admin = field(default_factory=Admin)


def public_policies(t: Table) -> list[Policy]:
    """Policies that show rows to everyone: public_read, and any other read policy granted to
    Supabase's anon."""
    return [p for p in t.policies if p.preset == "public_read" or (
        p.preset is None and "anon" in p.roles and p.command in ("SELECT", "ALL"))]


def public_conditions(t: Table) -> list[str]:
    return [p.using or "true" for p in public_policies(t)]


class WorldBuilder:
    def __init__(self, conn: psycopg.Connection, schema: Schema, ident: Identity,
                 inferred: dict[tuple[str, str], dict[str, TableScope]]):
        self.conn, self.schema, self.ident, self.inferred = conn, schema, ident, inferred
        self.b = RowBuilder(conn, schema)
        self.world = World()

    def build(self, tables: list[Table] | None = None) -> World:
        tables = self.schema.tables if tables is None else tables
        with self.conn.transaction():
            self._tenants()
            self.world.users = {"U1": str(uuid.uuid4()), "U2": str(uuid.uuid4())}
            for t in tables:
                self._guard(t, "tenant", self._tenant_rows)
                self._guard(t, "owner", self._owner_rows)
            wanted = {t.key for t in tables}
            for key, kinds in self.inferred.items():      # parents before children
                for ts in kinds.values():
                    if ts.derived and key in wanted:
                        self._guard(ts.table, ts.kind, lambda t, ts=ts: self._derived_rows(ts))
            for t in tables:
                self._guard(t, "public", self._public_rows)
            self._admin()
        return self.world

    def _guard(self, t: Table, label: str, step) -> None:
        try:
            with savepoint(self.conn, "gen_world", undo=False):
                step(t)
        except BuildError as exc:
            self.world.problems[(t.key, label)] = str(exc)

    # ------------------------------------------------------------ tenants and owners

    def _tenants(self) -> None:
        ten = self.schema.tenancy
        root = next((t for t in self.schema.tables if ten and t.name == ten.root), None)
        if root is None or not root.primary_key or not any(t.meta.tenant_column for t in self.schema.tables):
            return
        try:
            with self.conn.transaction():
                for label in ("A", "B"):
                    row = self.b.insert(root)
                    self.world.tenants[label] = row.values[root.primary_key.columns[0]]
                    if root.meta.tenant_column:
                        self.world.rows[(root.key, label)] = self.private(row)
        except BuildError as exc:
            self.world.problems[ROOT_PROBLEM] = str(exc)
            self.world.tenants.clear()

    def tenant_literal(self, label: str, t: Table) -> str:
        col = t.column(t.meta.tenant_column)
        return f"{quote_literal(self.world.tenants[label])}::{col.type.sql}"

    def _tenant_rows(self, t: Table) -> None:
        if not t.meta.tenant_column or not self.world.tenants or (t.key, "A") in self.world.rows:
            return
        for label in ("A", "B"):
            row = self.b.insert(t, tenant=self.tenant_literal(label, t))
            self.world.rows[(t.key, label)] = self.private(row)

    def user_literal(self, user: str, t: Table) -> str:
        return f"{quote_literal(user)}::{t.column(t.meta.owner_column).type.sql}"

    def _owner_rows(self, t: Table) -> None:
        if not t.meta.owner_column:
            return
        tenant = self.tenant_literal("A", t) if t.meta.tenant_column and self.world.tenants else None
        for label in ("U1", "U2"):
            values = {t.meta.owner_column: self.user_literal(self.world.users[label], t)}
            row = self.b.insert(t, values, tenant=tenant)
            self.world.rows[(t.key, label)] = self.private(row)

    def _derived_rows(self, ts: TableScope) -> None:
        """Each principal's row points at that principal's parents (every scoping key)."""
        for label in LABELS[ts.kind]:
            values = {}
            for fk in ts.via:
                parent = self.world.rows.get(((fk.ref_schema, fk.ref_table), label))
                if parent is None:
                    raise BuildError(f"no {label} row in {fk.ref_table} to point {', '.join(fk.columns)} at")
                values.update({c: parent.literal(rc) for c, rc in zip(fk.columns, fk.ref_columns)})
            self.world.rows[(ts.table.key, label)] = self.private(self.b.insert(ts.table, values))

    def _public_rows(self, t: Table) -> None:
        tenant = self.tenant_literal("A", t) if t.meta.tenant_column and self.world.tenants else None
        for i, cond in enumerate(public_conditions(t)):
            shown = self.b.insert(t, tenant=tenant)
            if not steer(self.b, shown, cond, True):
                raise BuildError(f"no row matching public_read condition {cond}")
            self.world.rows[(t.key, f"public{i}")] = reload(self.conn, shown)
            if cond.strip().lower() != "true":
                hidden = self.b.insert(t, tenant=tenant)
                self.world.rows[(t.key, f"private{i}")] = self.private(hidden)

    def private(self, row: Row) -> Row:
        """Steer a row (or the parents its conditions look at) so no public_read condition of
        its table shows it."""
        conds = public_conditions(row.table)
        if conds and not steer(self.b, row, " OR ".join(f"({c})" for c in conds), False):
            raise BuildError(f"no row of {row.table.name} that its public_read policies hide")
        return reload(self.conn, row)

    # ------------------------------------------------------------ admin

    def _admin(self) -> None:
        adm = parse_admin(self.schema)
        if adm is None:
            return
        self.world.admin = adm
        if adm.table is None:
            return
        role = self.ident.role_for([p for t in self.schema.tables for p in policies_of(t, "admin_full_access")])
        try:
            with self.conn.transaction():
                make_admins(self.conn, self.b, self.ident, role, adm)
        except BuildError as exc:
            adm.reason, adm.admin, adm.plain = f"cannot make an admin: {exc}", None, None
