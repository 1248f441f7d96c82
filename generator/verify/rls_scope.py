"""RLS isolation for tenant-scoped and owner-only tables: one actor cannot see, change,
delete, insert into or move rows to another tenant (user), and with no tenant (user) set —
unset, '' or after RESET — a table shows nothing and refuses every write, without cast errors."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from generator.model import Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.actors import NO_TENANT_WAYS, Actor, policies_of
from generator.verify.attempt import attempt
from generator.verify.probe import (Prober, Verdict, allowed, insert_refused, moved_refused, none_visible, q,
                                    row_text, visible, write_refused)
from generator.verify.report import Result
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.world import World, public_conditions


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
    root: bool = False        # the tenant root itself (its key is the tenant)


def rls_result(t: Table, what: str, verdict: Verdict) -> Result:
    return Result("rls", t.name if t.schema == "public" else f"{t.schema}.{t.name}", what, *verdict)


def _covered(policies) -> set[str]:
    cmds = {p.command for p in policies}
    return {"SELECT", "INSERT", "UPDATE", "DELETE"} if "ALL" in cmds else cmds


def tenant_scope(t: Table, world: World, role: str, root: bool) -> Scope:
    col = t.column(t.meta.tenant_column)
    lit = {k: f"{quote_literal(v)}::{col.type.sql}" for k, v in world.tenants.items()}
    fresh = f"{quote_literal(str(uuid.uuid4()))}::{col.type.sql}"
    return Scope("tenant", t, col.name, "A", "B", Actor(role, tenant=world.tenants["A"]),
                 fresh if root else lit["B"], _covered(policies_of(t, "tenant_isolation")),
                 {"own": {}, "other": {col.name: fresh} if root else {}},
                 {"own": None if root else lit["A"], "other": None if root else lit["B"]}, root)


def owner_scope(t: Table, world: World, role: str, tenant_a: str | None) -> Scope:
    col = t.column(t.meta.owner_column)
    lit = {k: f"{quote_literal(v)}::{col.type.sql}" for k, v in world.users.items()}
    fresh = f"{quote_literal(str(uuid.uuid4()))}::{col.type.sql}"   # a user with no rows yet
    return Scope("user", t, col.name, "U1", "U2", Actor(role, user=world.users["U1"]), lit["U2"],
                 _covered(policies_of(t, "owner")), {"own": {col.name: lit["U1"]}, "other": {col.name: fresh}},
                 {"own": tenant_a, "other": tenant_a})


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
    if "SELECT" in s.commands:
        probe = p.run(s.actor, f"SELECT count(*) FROM {q(t)} WHERE {own.where()}")
        out.append(rls_result(t, f"SELECT {_own(noun)} row", visible(probe)))
    probe = p.run(s.actor, f"SELECT count(*) FROM {q(t)} WHERE {other.where()}")
    out.append(rls_result(t, f"SELECT other {noun}'s row", none_visible(probe)))
    probe = p.run(s.actor, f"UPDATE {q(t)} SET {c} = {c} WHERE {other.where()}", row_text(other))
    out.append(rls_result(t, f"UPDATE other {noun}'s row", write_refused(probe, "updated")))
    probe = p.run(s.actor, f"DELETE FROM {q(t)} WHERE {other.where()}", row_text(other))
    out.append(rls_result(t, f"DELETE other {noun}'s row", write_refused(probe, "deleted")))
    verdict = run_prepared(p, s.actor, prepared_insert(p, s, "other", (other,)), insert_refused)
    out.append(rls_result(t, f"INSERT for other {noun}", verdict))
    if "INSERT" in s.commands and not s.root:
        verdict = run_prepared(p, s.actor, prepared_insert(p, s, "own", (own,)), allowed)
        out.append(rls_result(t, f"INSERT {_own(noun)} row", verdict))
    probe = p.run(s.actor, f"UPDATE {q(t)} SET {c} = {s.other_value} WHERE {own.where()}", row_text(own))
    out.append(rls_result(t, f"UPDATE own row to other {noun}", moved_refused(probe)))
    return out


def _own(noun: str) -> str:
    return "own tenant's" if noun == "tenant" else "own"


def blank_probes(p: Prober, t: Table, role: str, column: str, label: str, insert_sql) -> list[Result]:
    """No tenant/user set, three ways; every command sees or changes nothing."""
    hidden = " OR ".join(f"({cond})" for cond in public_conditions(t)) or "false"
    c = quote_ident(column)
    commands = {
        "SELECT": (f"SELECT count(*) FROM {q(t)} WHERE NOT coalesce({hidden}, false)", none_visible),
        "INSERT": (insert_sql, insert_refused),
        "UPDATE": (f"UPDATE {q(t)} SET {c} = {c}", lambda pr: write_refused(pr, "updated")),
        "DELETE": (f"DELETE FROM {q(t)}", lambda pr: write_refused(pr, "deleted")),
    }
    out = []
    for command, (sql, judge) in commands.items():
        bad = []
        for way in NO_TENANT_WAYS:
            status, detail = run_prepared(p, Actor(role, blank=way), sql, judge)
            if status != "pass":
                bad.append((status, f"{_way(way)}: {detail}"))
        status = _worst([s for s, _ in bad], len(NO_TENANT_WAYS))
        out.append(rls_result(t, f"{command} with {label}", (status, "; ".join(d for _, d in bad))))
    return out


def _worst(statuses: list[str], ways: int) -> str:
    """fail over warn; skip only when every way was skipped; pass when nothing went wrong."""
    if "fail" in statuses:
        return "fail"
    if statuses.count("skip") == ways:
        return "skip"
    return "warn" if statuses else "pass"


def _way(way: str) -> str:
    return {"unset": "unset", "empty": "set to ''", "reset": "after RESET"}[way]
