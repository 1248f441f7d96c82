"""Escalation through a column an access predicate reads (model.access: `condition` columns,
such as the admin predicate's `role`, or `published` that a child's policy looks at). Every
role that must not write it — each scope's user on their own row, a signed-in user elsewhere,
anon — tries to change it and to insert a row with it, and the outcome is judged by effect:
the row's value as the owner, and the admin function as that user afterwards. The declared
paths must work: an admin may change it (where admin_full_access lets the admin write the
table) and, on Supabase, the service role may."""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

from generator.model import Table
from generator.model.access import condition_columns, expression_columns
from generator.model.naming import quote_ident
from generator.verify.actors import Actor, policies_of
from generator.verify.probe import Probe, Verdict, q
from generator.verify.report import Result
from generator.verify.rows import BuildError, Row, RowBuilder
from generator.verify.stage import Scope, Stage, values_text
from generator.verify.steer import reload, steer

SERVICE_ROLE = "service_role"


@dataclass
class Attacker:
    who: str                   # "authenticated as user U1"
    actor: Actor
    scope: Scope | None        # the attacker's own scope on this table (its own row), if any


def targets(schema) -> dict[tuple[str, str], list[str]]:
    """Columns to attack per table: those access predicates read, and those the spec declares
    protected (a requirement of the spec, whether or not a predicate reads them)."""
    out = {key: list(cols) for key, cols in condition_columns(schema).items()}
    for t in schema.tables:
        for p in t.meta.protected:
            cols = out.setdefault(t.key, [])
            if p.column not in cols:
                cols.append(p.column)
    return out


def attacks(st: Stage) -> list[Result]:
    out: list[Result] = []
    for key, cols in targets(st.schema).items():
        t = st.schema.tables_by_key.get(key)
        if t is None or not st.wanted(t):
            continue
        for col in cols:
            out += column_attacks(st, t, col)
    return out


def _result(t: Table, col: str, what: str, verdict: Verdict) -> Result:
    name = t.name if t.schema == "public" else f"{t.schema}.{t.name}"
    return Result("escalation", f"{name}.{col}", what, *verdict)


def attackers(st: Stage, t: Table) -> list[Attacker]:
    out, seen = [], set()
    for s in st.scopes.get(t.key, []):
        if not s.same_tenant and (s.actor, s.own) not in seen:
            seen.add((s.actor, s.own))
            out.append(Attacker(f"{s.actor.role} as {st.whom(s.actor)}", s.actor, s))
    if not out:
        role = st.ident.role_for(t.policies)
        out.append(Attacker(f"{role} signed in", st.actor_for(role), None))
    nobody = st.nobody()
    out.append(Attacker(f"{nobody.role} (no user)", nobody, None))
    return out


def column_attacks(st: Stage, t: Table, col: str) -> list[Result]:
    if t.column(col) is None or t.column(col).generated:
        return []
    out = []
    for a in attackers(st, t):
        out.append(_result(t, col, f"{a.who} changes it on {'own row' if a.scope else 'a row'}",
                           _update(st, t, col, a)))
        if all(p.on_insert for p in t.meta.protected if p.column == col):   # identity columns: INSERT is free
            out.append(_result(t, col, f"{a.who} inserts a row with it", _insert(st, t, col, a)))
    sd = t.meta.soft_delete
    if not (sd and col in (sd.column, sd.by)):     # the mark's paths (DELETE, restore) are lifecycle's proofs
        out += declared_paths(st, t, col)
    return out


def _target(st: Stage, conn: psycopg.Connection, t: Table, a: Attacker | None) -> Row:
    """The attacker's own row, else a fresh row built as the owner inside the probe."""
    if a is not None and a.scope is not None:
        return st.world.rows[(t.key, a.scope.own)]
    return RowBuilder(conn, st.schema).insert(t)


def _goal(st: Stage, t: Table, col: str, row: Row) -> str:
    """What the attacker wants the column to be: the admin predicate true where it reads this
    column, else any other valid value."""
    adm = st.world.admin
    if adm.table is not None and adm.table.key == t.key and col in expression_columns(
            adm.where, {c.name for c in t.columns}):
        return adm.where
    return "true"


def escalated_value(conn: psycopg.Connection, st: Stage, t: Table, col: str, row: Row) -> str:
    """A valid value of `col` for `row` that the attacker wants, found as the owner and undone."""
    b = RowBuilder(conn, st.schema)
    if t.primary_key is not None and col in t.primary_key.columns:     # a key: any unused value
        for value in b._choices(t, t.column(col), True):
            if value != row.literal(col):
                return value
    fk = next((f for f in t.foreign_keys if col in f.columns and col != t.meta.tenant_column), None)
    if fk is not None and fk.ref_table != t.name:                      # a reference: another parent
        tenant = row.literal(t.meta.tenant_column) if t.meta.tenant_column else None
        return b.parent_for(fk, tenant if tenant != "NULL" else None)[col]
    other = f"{quote_ident(col)} IS DISTINCT FROM {row.literal(col)}"
    for goal in dict.fromkeys([f"({_goal(st, t, col, row)}) AND {other}", other]):
        with conn.transaction() as tx:
            found = steer(b, row, goal, True, only=[col]) and reload(conn, row).literal(col)
            raise psycopg.Rollback(tx)
        if found:
            return found
    raise BuildError(f"no other valid value of {col} for the row")


def _value_of(t: Table, col: str, where_row: dict):
    def look(conn) -> object:
        row = where_row.get("row")
        if row is None:
            return None
        got = conn.execute(f"SELECT {quote_ident(col)}::text FROM {q(t)} WHERE {row.where()}").fetchone()
        return got[0] if got else None
    return look


def _admin_check(st: Stage, t: Table) -> str | None:
    adm = st.world.admin
    return f"SELECT {adm.call()}" if adm.function is not None and adm.table is not None and \
        adm.table.key == t.key else None


def _update(st: Stage, t: Table, col: str, a: Attacker) -> Verdict:
    stash: dict = {}

    def make(conn) -> str:
        row = _target(st, conn, t, a)
        stash["row"], stash["value"] = row, escalated_value(conn, st, t, col, row)
        return f"UPDATE {q(t)} SET {quote_ident(col)} = {stash['value']} WHERE {row.where()}"
    try:
        probe = st.prober.run(a.actor, make, _value_of(t, col, stash), then=_admin_check(st, t))
    except BuildError as exc:
        return "skip", f"cannot prepare the attack: {exc}"
    return refused(st, probe, changed=probe.before != probe.after, what=f"{col} set to {stash.get('value')}")


def _insert(st: Stage, t: Table, col: str, a: Attacker) -> Verdict:
    stash: dict = {}

    def make(conn) -> str:
        s = a.scope
        if s is not None:
            conn.execute(f"DELETE FROM {q(t)} WHERE {st.world.rows[(t.key, s.own)].where()}")   # room for its keys
        built = RowBuilder(conn, st.schema).insert(t, dict(s.values["own"]) if s else {},
                                                   tenant=s.tenant["own"] if s else None)
        value = escalated_value(conn, st, t, col, built)
        conn.execute(f"DELETE FROM {q(t)} WHERE {built.where()}")      # the actor inserts it again
        stash["row"], stash["value"] = built, value
        return values_text(t, {**built.insertable(), col: value})

    def look(conn) -> int:
        row = stash.get("row")
        sql = f"SELECT count(*) FROM {q(t)} WHERE {row.where()} AND {quote_ident(col)} = {stash['value']}"
        return conn.execute(sql).fetchone()[0] if row else 0
    try:
        probe = st.prober.run(a.actor, make, look, then=_admin_check(st, t))
    except BuildError as exc:
        return "skip", f"cannot prepare the attack: {exc}"
    return refused(st, probe, changed=bool(probe.after), what=f"row inserted with {col} = {stash.get('value')}")


def refused(st: Stage, p: Probe, changed: bool, what: str) -> Verdict:
    """Judged by effect: the value written, or the admin function true for the attacker."""
    o = p.outcome
    admin = p.then is not None and p.then.ok and p.then.rows and p.then.rows[0][0] is True
    if changed or admin:
        fn = st.world.admin.call()
        return "fail", "; ".join(x for x in (what if changed else "", f"{fn} is now true" if admin else "") if x)
    if o.ok:
        return "pass", "no row changed" if not o.rowcount else f"{o.rowcount} row(s) written, the value unchanged"
    return "pass", f"refused: {o.describe()}"


def declared_paths(st: Stage, t: Table, col: str) -> list[Result]:
    """The ways the spec lets it change must work."""
    out = []
    adm = st.world.admin
    pols = policies_of(t, "admin_full_access")
    if pols and adm.admin is not None:
        actor = Actor(st.ident.role_for(pols), user=adm.admin)
        out.append(_result(t, col, "an admin may change it", _allowed(st, t, col, actor)))
    if st.ident.flavor == "supabase":
        out.append(_result(t, col, f"{SERVICE_ROLE} may change it", _allowed(st, t, col, Actor(SERVICE_ROLE))))
    return out


def _allowed(st: Stage, t: Table, col: str, actor: Actor) -> Verdict:
    stash: dict = {}

    def make(conn) -> str:
        row = RowBuilder(conn, st.schema).insert(t)
        stash["row"], stash["value"] = row, escalated_value(conn, st, t, col, row)
        return f"UPDATE {q(t)} SET {quote_ident(col)} = {stash['value']} WHERE {row.where()}"
    try:
        probe = st.prober.run(actor, make, _value_of(t, col, stash))
    except BuildError as exc:
        return "skip", f"cannot prepare the row: {exc}"
    if probe.before != probe.after:
        return "pass", f"{col} set to {stash['value']}"
    o = probe.outcome
    return ("fail", f"could not: {o.describe()}") if not o.ok else ("fail", "no row changed")
