"""RLS isolation for tenant-scoped and owner-only tables: one actor cannot see, change,
delete, insert into or move rows to another tenant (user), not even with a bulk UPDATE or DELETE
that has no WHERE; with no tenant (user) set — unset, '' or after RESET — a table shows
nothing and refuses every write (rls_blank). On a table that is both, the actor has a tenant
and a user, as in an application, and the owner probes compare two users of one tenant."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from generator.model import Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import Actor, policies_of
from generator.verify.attempt import attempt
from generator.verify.probe import (Prober, Verdict, allowed, insert_refused, moved_refused, none_visible, q,
                                    row_text, visible, write_refused)
from generator.verify.report import Result
from generator.verify.rls_sweep import prepared, reached_none, sweeps
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.world import World


@dataclass
class Scope:
    """One isolation dimension of one table: tenant (A vs B) or user (U1 vs U2)."""

    noun: str                 # "tenant" | "user"
    table: Table
    column: str
    own: str                  # row label of the actor's row
    other: str                # row label of the victim's row
    actor: Actor
    other_value: str          # SQL value of the other tenant/user, for moves
    commands: set[str]        # commands a policy of this scope grants (for positive controls)
    values: dict              # overrides for a prepared row, per label ("own"/"other")
    tenant: dict              # tenant SQL per label for prepared rows (or None)
    own_value: str            # SQL value of the actor's own tenant/user
    root: bool = False        # the tenant root itself (its key is the tenant)
    same_tenant: bool = False  # owner probes between two users of the actor's tenant

    @property
    def suffix(self) -> str:
        return " (same tenant)" if self.same_tenant else ""

    def probes(self, command: str) -> bool:
        """Inside one tenant only the commands an owner policy covers are the owner's business;
        tenant isolation alone governs the rest (and is probed by the tenant scope)."""
        return command in self.commands or not self.same_tenant


def rls_result(t: Table, what: str, verdict: Verdict) -> Result:
    return Result("rls", t.name if t.schema == "public" else f"{t.schema}.{t.name}", what, *verdict)


def _covered(policies) -> set[str]:
    cmds = {p.command for p in policies}
    return {"SELECT", "INSERT", "UPDATE", "DELETE"} if "ALL" in cmds else cmds


def tenant_scope(t: Table, world: World, role: str, root: bool, with_user: bool = False) -> Scope:
    """Tenant A against tenant B. `with_user`: the table is owner-scoped too, so the actor is
    also user U1 and its own row is U1's (in tenant A), as an application would run."""
    col = t.column(t.meta.tenant_column)
    lit = {k: f"{quote_literal(v)}::{col.type.sql}" for k, v in world.tenants.items()}
    fresh = f"{quote_literal(str(uuid.uuid4()))}::{col.type.sql}"
    user = world.users["U1"] if with_user else None
    own = {t.meta.owner_column: _user_literal(t, user)} if with_user else {}
    return Scope("tenant", t, col.name, "U1" if with_user else "A", "B",
                 Actor(role, tenant=world.tenants["A"], user=user),
                 fresh if root else lit["B"], _covered(policies_of(t, "tenant_isolation")),
                 {"own": own, "other": {col.name: fresh} if root else {}},
                 {"own": None if root else lit["A"], "other": None if root else lit["B"]}, lit["A"], root)


def owner_scope(t: Table, world: World, role: str, tenant_a: str | None, tenant_id: str | None = None) -> Scope:
    """User U1 against user U2; with `tenant_id`, both users' rows are in that tenant and the
    actor has it set, so a permissive tenant policy ORed with the owner policy shows."""
    col = t.column(t.meta.owner_column)
    lit = {k: _user_literal(t, v) for k, v in world.users.items()}
    fresh = _user_literal(t, str(uuid.uuid4()))   # a user with no rows yet
    return Scope("user", t, col.name, "U1", "U2", Actor(role, tenant=tenant_id, user=world.users["U1"]), lit["U2"],
                 _covered(policies_of(t, "owner")), {"own": {col.name: lit["U1"]}, "other": {col.name: fresh}},
                 {"own": tenant_a, "other": tenant_a}, lit["U1"], same_tenant=tenant_id is not None)


def _user_literal(t: Table, user: str) -> str:
    return f"{quote_literal(user)}::{t.column(t.meta.owner_column).type.sql}"


def prepared_insert(p: Prober, s: Scope, side: str, make_room: tuple[Row, ...] = ()):
    """SQL inserting a fresh valid row for `side`, prepared as the owner inside the probe.
    `make_room` rows are deleted first, so a key the new row shares with them (one settings
    row per tenant or user) does not refuse it before RLS is asked; the probe is rolled back."""
    def make(conn) -> str:
        for old in make_room:       # best effort: a RESTRICT reference may keep it
            attempt(conn, f"DELETE FROM {q(s.table)} WHERE {old.where()}")
        row = RowBuilder(conn, p.schema).insert(s.table, dict(s.values[side]), tenant=s.tenant[side], keep=False)
        values = row.insertable()
        cols = ", ".join(quote_ident(c) for c in values)
        return f"INSERT INTO {q(s.table)} ({cols}) VALUES ({', '.join(values.values())})"
    return make


def run_prepared(p: Prober, actor: Actor, make, judge) -> Verdict:
    try:
        return judge(p.run(actor, make))
    except BuildError as exc:
        return "skip", f"cannot prepare the row: {exc}"


def scope_probes(p: Prober, s: Scope, world: World) -> list[Result]:
    t, noun = s.table, s.noun
    own, other = world.rows[(t.key, s.own)], world.rows[(t.key, s.other)]
    c = quote_ident(s.column)
    out = []

    def add(command: str, what: str, verdict: Verdict) -> None:
        if verdict[0] == "fail":
            verdict = (verdict[0], verdict[1] + _or_hint(s, command))
        out.append(rls_result(t, what + s.suffix, verdict))

    if "SELECT" in s.commands:
        probe = p.run(s.actor, f"SELECT count(*) FROM {q(t)} WHERE {own.where()}")
        add("SELECT", f"SELECT {_own(noun)} row", visible(probe))
    if s.probes("SELECT"):
        probe = p.run(s.actor, f"SELECT count(*) FROM {q(t)} WHERE {other.where()}")
        add("SELECT", f"SELECT other {noun}'s row", none_visible(probe))
    if s.probes("UPDATE"):
        probe = p.run(s.actor, f"UPDATE {q(t)} SET {c} = {c} WHERE {other.where()}", row_text(other))
        add("UPDATE", f"UPDATE other {noun}'s row", write_refused(probe, "updated"))
    if s.probes("DELETE"):
        probe = p.run(s.actor, f"DELETE FROM {q(t)} WHERE {other.where()}", row_text(other))
        add("DELETE", f"DELETE other {noun}'s row", write_refused(probe, "deleted"))
    if s.probes("INSERT"):
        verdict = run_prepared(p, s.actor, prepared_insert(p, s, "other", (other,)), insert_refused)
        add("INSERT", f"INSERT for other {noun}", verdict)
    if "INSERT" in s.commands and not s.root:
        verdict = run_prepared(p, s.actor, prepared_insert(p, s, "own", (own,)), allowed)
        add("INSERT", f"INSERT {_own(noun)} row", verdict)
    if s.probes("UPDATE"):
        probe = p.run(s.actor, f"UPDATE {q(t)} SET {c} = {s.other_value} WHERE {own.where()}", row_text(own))
        add("UPDATE", f"UPDATE own row to other {noun}", moved_refused(probe))
    mine = f"{c} = {s.own_value}"
    for command, sql in sweeps(t, s.column, s.own_value).items():
        if s.probes(command):
            probe = p.run(s.actor, prepared(t, sql, drop_where=mine))
            verb = "changed" if command == "UPDATE" else "deleted"
            add(command, f"{command} without WHERE", reached_none(probe, verb, f"other {noun}s"))
    return out


def _or_hint(s: Scope, command: str) -> str:
    """Why a same-tenant owner probe fails when tenant and owner policies are both permissive."""
    if not s.same_tenant:
        return ""
    tenant = [pol for pol in policies_of(s.table, "tenant_isolation") if command in _covered([pol])]
    owner = [pol for pol in policies_of(s.table, "owner") if command in _covered([pol])]
    if any(pol.permissive for pol in tenant) and owner and all(pol.permissive for pol in owner):
        return (" — permissive policies combine with OR; make the owner policy restrictive "
                "or drop tenant isolation")
    return ""


def _own(noun: str) -> str:
    return "own tenant's" if noun == "tenant" else "own"
