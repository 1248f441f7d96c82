"""References across principals: for every foreign key from a scoped table to a scoped parent,
the actor inserts a row pointing at another tenant's (user's) parent and re-points its own row
there. Foreign-key checks ignore RLS, so either a scope-consistent key (23503) or a policy must
refuse it; a key the spec declares may cross (`same_tenant: false`, `same_owner: false`) is
reported as accepted as declared. A `same_tenant: shared` reference must still reach a shared
parent row (no tenant): the actor inserts a row pointing at one, which must be accepted."""
from __future__ import annotations

from generator.model import Table
from generator.verify.attempt import FK_VIOLATION, Outcome
from generator.verify.probe import Probe, Verdict, q, refusal, row_text
from generator.verify.report import Result
from generator.verify.rows import BuildError, RowBuilder
from generator.verify.scopes import LABELS, shared_kinds
from generator.verify.stage import Scope, Stage, rls_result, sets, values_text

DECLARED = {"tenant": "same_tenant: false", "owner": "same_owner: false"}


def attacks(st: Stage, t: Table) -> list[Result]:
    out: list[Result] = []
    done: set[tuple] = set()
    root = st.schema.tenancy.root if st.schema.tenancy else None
    for fk in t.foreign_keys:
        parent = st.schema.table(fk.ref_table, fk.ref_schema)
        if parent is None or parent.name == root:
            continue
        if fk.shared:
            out += shared_parent(st, t, fk, parent)
        for kind in shared_kinds(st.schema, st.inferred, t, fk):
            s = next((x for x in st.scopes.get(t.key, []) if x.kind == kind and not x.same_tenant), None)
            if s is None or (kind, fk.own_columns) in done or tuple(s.own_set) == fk.own_columns:
                continue
            done.add((kind, fk.own_columns))
            victim = st.world.rows.get((parent.key, LABELS[kind][1]))
            cols = ", ".join(fk.own_columns)
            whose = f"other {s.noun}'s {parent.name}"
            if victim is None:
                why = st.world.problems.get((parent.key, kind), "no row was built")
                out.append(rls_result(t, f"references {cols} to {whose}", ("skip", f"no such row: {why}")))
                continue
            values = {c: victim.literal(rc) for c, rc in zip(fk.columns, fk.ref_columns) if c in fk.own_columns}
            crosses = any(kind in f.crosses for f in t.foreign_keys if f.own_columns == fk.own_columns)
            out.append(rls_result(t, f"INSERT pointing {cols} at {whose}",
                                  _insert(st, s, values, crosses, whose)))
            own = st.world.rows[(t.key, s.own)]
            probe = st.prober.run(s.actor, f"UPDATE {q(t)} SET {sets(values)} WHERE {own.where()}", row_text(own))
            out.append(rls_result(t, f"UPDATE own row to point {cols} at {whose}",
                                  judge(probe, crosses, kind, whose)))
    return out


def _insert(st: Stage, s: Scope, values: dict[str, str], crosses: bool, whose: str) -> Verdict:
    """A valid row of the actor's (built as the owner, rolled back), its reference then bent to
    the victim's parent: the owner could not insert it past a scope-consistent key."""
    own = st.world.rows[(s.table.key, s.own)]

    def make(conn) -> str:
        conn.execute(f"DELETE FROM {q(s.table)} WHERE {own.where()}")     # room for its keys
        row = RowBuilder(conn, st.schema).insert(s.table, dict(s.values["own"]), tenant=s.tenant["own"], keep=False)
        return values_text(s.table, {**row.insertable(), **values})
    try:
        return judge(st.prober.run(s.actor, make), crosses, s.kind, whose)
    except BuildError as exc:
        return "skip", f"cannot prepare the row: {exc}"


def shared_parent(st: Stage, t: Table, fk, parent: Table) -> list[Result]:
    """Positive control of `same_tenant: shared`: a row of the actor's tenant may point at a
    parent row of no tenant (built as the owner inside the probe)."""
    s = next((x for x in st.scopes.get(t.key, []) if x.kind == "tenant" and not x.same_tenant), None)
    if s is None:
        return []
    own = st.world.rows[(t.key, s.own)]
    cols = ", ".join(fk.columns)

    def make(conn) -> str:
        builder = RowBuilder(conn, st.schema)
        shared = builder.insert(parent, {fk.shared[1]: "NULL"})
        conn.execute(f"DELETE FROM {q(t)} WHERE {own.where()}")     # room for its keys
        row = builder.insert(t, dict(s.values["own"]), tenant=s.tenant["own"], keep=False)
        values = {c: shared.literal(rc) for c, rc in zip(fk.columns, fk.ref_columns)}
        return values_text(t, {**row.insertable(), **values})
    what = f"INSERT pointing {cols} at a shared {parent.name} (no tenant)"
    try:
        o = st.prober.run(s.actor, make).outcome
    except BuildError as exc:
        return [rls_result(t, what, ("skip", f"cannot prepare the rows: {exc}"))]
    if o.ok and o.rowcount > 0:
        return [rls_result(t, what, ("pass", "accepted (same_tenant: shared)"))]
    return [rls_result(t, what, ("fail", f"refused: {o.describe()} — a shared row must be usable by every tenant "
                                          f"(and readable: the check reads it under {parent.name}'s RLS)"))]


def judge(p: Probe, crosses: bool, kind: str, whose: str) -> Verdict:
    o: Outcome = p.outcome
    accepted = p.before != p.after if p.before is not None else o.ok and o.rowcount > 0
    if accepted:
        if crosses:
            return "pass", f"accepted, as declared ({DECLARED[kind]})"
        return "fail", f"accepted: the row now points at {whose}"
    if o.sqlstate == FK_VIOLATION:
        return "pass", f"refused by {o.constraint or 'a foreign key'}"
    if o.refused:
        return refusal(o)
    if o.ok:
        return "pass", "no row updated"
    return "warn", f"refused, but not by RLS or a key: {o.describe()}"
