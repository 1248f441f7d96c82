"""The fixture data the RLS probes work on, inserted as the owner and committed: two tenants'
rows in every tenant table, two users' rows in every owner table, a public and a private row
per public_read policy, and an admin and a non-admin user when the admin condition allows."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import psycopg

from generator.model import Function, Policy, Schema, Table
from generator.model.naming import quote_literal
from generator.verify.actors import policies_of
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.steer import reload, steer
from generator.verify.values import simple_equality

_ADMIN_BODY = re.compile(r"FROM\s+(?P<table>\S+)\s+WHERE\s+(?P<col>\S+)\s*=\s*(?P<user>.+?)\s+AND\s+"
                         r"\((?P<where>.*)\)\s*\)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
ROOT_PROBLEM = ("*", "tenant root")
_IDENT = re.compile(r'"((?:[^"]|"")+)"|([^."]+)')


@dataclass
class Admin:
    table: Table | None = None
    user_column: str = ""
    where: str = ""
    admin: str | None = None       # user id of the admin we made
    plain: str | None = None       # user id of a non-admin with a row in the admin table
    reason: str = ""               # why no admin could be made


@dataclass
class World:
    tenants: dict[str, str] = field(default_factory=dict)        # "A"/"B" -> tenant id (text)
    users: dict[str, str] = field(default_factory=dict)          # "U1"/"U2" -> user id (text)
    rows: dict[tuple, Row] = field(default_factory=dict)         # (table key, label) -> row
    problems: dict[tuple, str] = field(default_factory=dict)     # (table key, label) -> why missing
    admin: Admin = field(default_factory=Admin)


def public_conditions(t: Table) -> list[str]:
    return [p.using or "true" for p in policies_of(t, "public_read")]


def _split_qualified(text: str) -> tuple[str, str]:
    parts = [(q.replace('""', '"') if q else b) for q, b in _IDENT.findall(text)]
    return (parts[0], parts[1]) if len(parts) == 2 else ("public", parts[-1])


def admin_function(schema: Schema, policy: Policy) -> Function | None:
    names = re.findall(r'(\w+|"[^"]+")\s*\(\s*\)', policy.using or "")
    wanted = {n.strip('"') for n in names}
    return next((f for f in schema.functions if f.name in wanted), None)


def _parse_admin(schema: Schema, fn: Function | None) -> Admin:
    auth = schema.auth
    if auth and fn and auth.admin_table and auth.admin_function == f"{fn.schema}.{fn.name}":
        table = schema.table(auth.admin_table[1], auth.admin_table[0])
        if table is not None:
            return Admin(table, auth.admin_user_column or "", auth.admin_where or "")
    # an imported or hand-written schema: read the generated EXISTS lookup's shape
    match = _ADMIN_BODY.search(fn.body) if fn else None
    if not match:
        return Admin(reason="the admin function is not the generated EXISTS lookup")
    sch, name = _split_qualified(match.group("table"))
    table = schema.table(name, sch)
    col = _split_qualified(match.group("col"))[1]
    if table is None:
        return Admin(reason=f"admin table {sch}.{name} is not in the spec")
    return Admin(table, col, match.group("where").strip())


class WorldBuilder:
    def __init__(self, conn: psycopg.Connection, schema: Schema):
        self.conn, self.schema = conn, schema
        self.b = RowBuilder(conn, schema)
        self.world = World()

    def build(self) -> World:
        with self.conn.transaction():
            self._tenants()
            self.world.users = {"U1": str(uuid.uuid4()), "U2": str(uuid.uuid4())}
            for t in self.schema.tables:
                self._guard(t, "tenant", self._tenant_rows)
                self._guard(t, "owner", self._owner_rows)
                self._guard(t, "public", self._public_rows)
            self._admin()
        return self.world

    def _guard(self, t: Table, label: str, step) -> None:
        try:
            with self.conn.transaction():
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

    def _public_rows(self, t: Table) -> None:
        tenant = self.tenant_literal("A", t) if t.meta.tenant_column and self.world.tenants else None
        for i, cond in enumerate(public_conditions(t)):
            shown = self.b.insert(t, tenant=tenant)
            if not steer(self.b, shown, cond, True):
                raise BuildError(f"no row matching public_read condition {cond}")
            self.world.rows[(t.key, f"public{i}")] = self._reload(shown)
            if cond.strip().lower() != "true":
                hidden = self.b.insert(t, tenant=tenant)
                self.world.rows[(t.key, f"private{i}")] = self.private(hidden)

    def private(self, row: Row) -> Row:
        """Steer a row so no public_read condition of its table shows it."""
        conds = public_conditions(row.table)
        if conds and not steer(self.b, row, " OR ".join(f"({c})" for c in conds), False):
            raise BuildError(f"no row of {row.table.name} that its public_read policies hide")
        return self._reload(row)

    def _reload(self, row: Row) -> Row:
        return reload(self.conn, row)

    # ------------------------------------------------------------ admin

    def _admin(self) -> None:
        admin_policies = [p for t in self.schema.tables for p in policies_of(t, "admin_full_access")]
        if not admin_policies:
            return
        adm = _parse_admin(self.schema, admin_function(self.schema, admin_policies[0]))
        self.world.admin = adm
        if adm.table is None:
            return
        eq = simple_equality(adm.where)
        if eq is None or adm.table.column(eq[0]) is None:
            adm.reason = f"the admin condition `{adm.where}` is not a simple `column = 'literal'` (or IN list)"
            return
        try:
            with self.conn.transaction():
                self._admin_users(adm, *eq)
        except BuildError as exc:
            adm.reason, adm.admin, adm.plain = f"cannot make an admin: {exc}", None, None

    def _admin_users(self, adm: Admin, col: str, literal: str) -> None:
        t = adm.table
        user_type = t.column(adm.user_column).type.sql
        admin, plain = str(uuid.uuid4()), str(uuid.uuid4())
        self.b.insert(t, {adm.user_column: f"{quote_literal(admin)}::{user_type}",
                          col: f"{quote_literal(literal)}::{t.column(col).type.sql}"})
        row = self.b.insert(t, {adm.user_column: f"{quote_literal(plain)}::{user_type}"})
        if not steer(self.b, row, adm.where, False, only=[col]):
            raise BuildError(f"no value of {col} that makes `{adm.where}` false")
        adm.admin, adm.plain = admin, plain
