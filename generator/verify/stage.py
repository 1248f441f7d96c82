"""What every attack works on: the prober, the fixture world, the scopes of each table as
principals (an actor, its own row, a victim's row, the values that put a row in either's
scope), and the small helpers attacks share (results, prepared rows, SET lists)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from generator.model import Policy, Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import Actor, Identity, policies_of
from generator.verify.attempt import attempt
from generator.verify.probe import Prober, Verdict, q
from generator.verify.report import Result
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.scopes import LABELS, TableScope
from generator.verify.world import World, public_policies

ADMIN_PRESETS = ("admin_full_access", "public_read")


@dataclass
class Scope:
    """One isolation dimension of one table: tenant A against B, or user U1 against U2."""

    kind: str                  # tenant | owner
    noun: str                  # tenant | user
    table: Table
    own: str                   # row label of the actor's row
    other: str                 # row label of the victim's row
    actor: Actor
    own_set: dict[str, str]    # column -> SQL value putting a row in the actor's scope
    other_set: dict[str, str]  # ... in the victim's scope (moves)
    commands: set[str]         # commands a policy of this scope grants (positive controls)
    values: dict               # overrides of a prepared row, per side ("own"/"other")
    tenant: dict               # tenant SQL per side for prepared rows (or None)
    root: bool = False         # the tenant root itself (its key is the tenant)
    same_tenant: bool = False  # owner probes between two users of the actor's tenant
    derived: bool = False      # scoped through references to scoped parents

    @property
    def suffix(self) -> str:
        return " (same tenant)" if self.same_tenant else ""

    def probes(self, command: str) -> bool:
        """Inside one tenant only the commands an owner policy covers are the owner's business;
        tenant isolation alone governs the rest (and is probed by the tenant scope)."""
        return command in self.commands or not self.same_tenant

    def mine(self) -> str:
        """SQL condition: a row in the actor's scope."""
        return " AND ".join(f"{quote_ident(c)} = {v}" for c, v in self.own_set.items())


@dataclass
class Stage:
    prober: Prober
    world: World
    scopes: dict[tuple[str, str], list[Scope]] = field(default_factory=dict)
    inferred: dict[tuple[str, str], dict[str, TableScope]] = field(default_factory=dict)
    only: set[tuple[str, str]] | None = None
    roles: set[str] = field(default_factory=set)      # the roles verify acts as (all usable)

    @property
    def schema(self) -> Schema:
        return self.prober.schema

    @property
    def ident(self) -> Identity:
        return self.prober.ident

    def wanted(self, t: Table) -> bool:
        return self.only is None or t.key in self.only

    def whom(self, actor: Actor) -> str:
        """`tenant A, user U1` for messages."""
        parts = [f"tenant {k}" for k, v in self.world.tenants.items() if v == actor.tenant]
        parts += [f"user {k}" for k, v in self.world.users.items() if v == actor.user]
        return ", ".join(parts) or "no tenant or user"

    @property
    def main_role(self) -> str:
        """The role the application's signed-in users act as."""
        return self.ident.app_role if self.ident.app_role in self.roles else sorted(self.roles)[0]

    def nobody(self) -> Actor:
        """Someone with no tenant or user: Supabase's anon (with PostgREST's token-less
        claims), else the application role with nothing set."""
        anon = self.ident.public_role
        role = anon if self.ident.flavor == "supabase" and anon in self.roles else self.main_role
        return Actor(role, blank="claims")

    def actor_for(self, role: str) -> Actor:
        """`role` as a signed-in user of tenant A: user U1 where the schema knows users."""
        user = self.world.users.get("U1") if (self.ident.user_jwt or self.ident.user_setting) else None
        tenant = self.world.tenants.get("A") if self.ident.tenant_setting else None
        return Actor(role, tenant=tenant, user=user)


def rls_result(t: Table, what: str, verdict: Verdict, check: str = "rls") -> Result:
    return Result(check, t.name if t.schema == "public" else f"{t.schema}.{t.name}", what, *verdict)


def sets(values: dict[str, str]) -> str:
    """`a = x, b = y` for an UPDATE's SET."""
    return ", ".join(f"{quote_ident(c)} = {v}" for c, v in values.items())


def allowed(t: Table, policies) -> set[str]:
    """The commands these policies grant that no other RESTRICTIVE policy of the table takes away
    from ordinary users (a spec's `for: delete, restrictive: true, using: is_admin()`, gen's
    admin-only tenant root delete): the positive controls a scope can expect to pass."""
    taken = set()
    for p in t.policies:
        if not p.permissive and p.preset not in ("tenant_isolation", "owner", "soft_delete") and p not in policies:
            taken |= covered([p])
    return covered(policies) - taken


def covered(policies) -> set[str]:
    cmds = {p.command for p in policies}
    return {"SELECT", "INSERT", "UPDATE", "DELETE"} if "ALL" in cmds else cmds


def scope_policies(t: Table, ts: TableScope) -> list[Policy]:
    """The policies that isolate this scope: its preset's, or (derived) every policy that is
    neither an admin nor a public-read one."""
    if not ts.derived:
        return policies_of(t, "tenant_isolation" if ts.kind == "tenant" else "owner")
    shown = public_policies(t)
    return [p for p in t.policies if p.preset not in ADMIN_PRESETS and not p.public and p not in shown]


def _literal(t: Table, column: str, value: str) -> str:
    return f"{quote_literal(value)}::{t.column(column).type.sql}"


def tenant_scope(t: Table, world: World, role: str, root: bool, with_user: bool = False) -> Scope:
    """Tenant A against tenant B. `with_user`: the table is owner-scoped too, so the actor is
    also user U1 and its own row is U1's (in tenant A), as an application would run."""
    col = t.column(t.meta.tenant_column)
    lit = {k: _literal(t, col.name, v) for k, v in world.tenants.items()}
    fresh = _literal(t, col.name, str(uuid.uuid4()))
    user = world.users["U1"] if with_user else None
    own = {t.meta.owner_column: _literal(t, t.meta.owner_column, user)} if with_user else {}
    return Scope("tenant", "tenant", t, "U1" if with_user else "A", "B",
                 Actor(role, tenant=world.tenants["A"], user=user), {col.name: lit["A"]},
                 {col.name: fresh if root else lit["B"]}, allowed(t, policies_of(t, "tenant_isolation")),
                 {"own": own, "other": {col.name: fresh} if root else {}},
                 {"own": None if root else lit["A"], "other": None if root else lit["B"]}, root)


def owner_scope(t: Table, world: World, role: str, tenant_a: str | None, tenant_id: str | None = None) -> Scope:
    """User U1 against user U2; with `tenant_id`, both users' rows are in that tenant and the
    actor has it set, so a permissive tenant policy ORed with the owner policy shows."""
    col = t.meta.owner_column
    lit = {k: _literal(t, col, v) for k, v in world.users.items()}
    fresh = _literal(t, col, str(uuid.uuid4()))   # a user with no rows yet
    return Scope("owner", "user", t, "U1", "U2", Actor(role, tenant=tenant_id, user=world.users["U1"]),
                 {col: lit["U1"]}, {col: lit["U2"]}, allowed(t, policies_of(t, "owner")),
                 {"own": {col: lit["U1"]}, "other": {col: fresh}}, {"own": tenant_a, "other": tenant_a},
                 same_tenant=tenant_id is not None)


def derived_scope(t: Table, ts: TableScope, world: World, role: str) -> Scope:
    """Through references: the actor's row points at its own parents, the victim's at theirs."""
    own, other = LABELS[ts.kind]
    values = {label: _pointing(world, ts, label) for label in (own, other)}
    actor = Actor(role, tenant=world.tenants.get("A"), user=world.users["U1"]) if ts.kind == "tenant" else \
        Actor(role, user=world.users["U1"])
    return Scope(ts.kind, ts.noun, t, own, other, actor, values[own], values[other],
                 allowed(t, scope_policies(t, ts)), {"own": values[own], "other": values[other]},
                 {"own": None, "other": None}, derived=True)


def _pointing(world: World, ts: TableScope, label: str) -> dict[str, str]:
    out = {}
    for fk in ts.via:
        parent = world.rows[((fk.ref_schema, fk.ref_table), label)]
        out.update({c: parent.literal(rc) for c, rc in zip(fk.columns, fk.ref_columns)})
    return out


def prepared_insert(p: Prober, s: Scope, side: str, make_room: tuple[Row, ...] = (), extra: dict | None = None):
    """SQL inserting a fresh valid row for `side`, prepared as the owner inside the probe.
    `make_room` rows are deleted first, so a key the new row shares with them (one settings
    row per tenant or user) does not refuse it before RLS is asked; the probe is rolled back."""
    def make(conn) -> str:
        for old in make_room:       # best effort: a RESTRICT reference may keep it
            attempt(conn, f"DELETE FROM {q(s.table)} WHERE {old.where()}")
        overrides = {**s.values[side], **(extra or {})}
        row = RowBuilder(conn, p.schema).insert(s.table, overrides, tenant=s.tenant[side], keep=False)
        return insert_text(row)
    return make


def insert_text(row: Row) -> str:
    return values_text(row.table, row.insertable())


def values_text(t: Table, values: dict[str, str]) -> str:
    """INSERT of one row given as column -> SQL value."""
    cols = ", ".join(quote_ident(c) for c in values)
    return f"INSERT INTO {q(t)} ({cols}) VALUES ({', '.join(values.values())})"


def run_prepared(p: Prober, actor: Actor, make, judge, look=None) -> Verdict:
    try:
        return judge(p.run(actor, make, look))
    except BuildError as exc:
        return "skip", f"cannot prepare the row: {exc}"
