"""Moving one's own rows into another tenant's (user's) scope: `UPDATE t SET <tenant> = <B>`
with a WHERE clause and without one. A WHERE clause reads columns, so PostgreSQL applies the
SELECT policies to the new row as well; only the bare UPDATE shows a weak WITH CHECK
(`check: true` beside tenant isolation). Judged by effect: how many of the actor's rows left its
scope. When something other than RLS refuses the move (a tenant-consistent key, a trigger), the
move is tried again with foreign keys and triggers off, since RLS must refuse it on its own:
rows without such references would move."""
from __future__ import annotations

from generator.verify.attempt import UNIQUE_VIOLATION
from generator.verify.probe import Probe, Verdict, q, refusal
from generator.verify.report import Result
from generator.verify.rls_matrix import hinted
from generator.verify.rls_sweep import REPLICA
from generator.verify.stage import Scope, Stage, rls_result, sets


def attacks(st: Stage, s: Scope) -> list[Result]:
    if not s.probes("UPDATE"):
        return []
    t = s.table
    own = st.world.rows[(t.key, s.own)]
    out = []
    for what, where in ((f"UPDATE own row to other {s.noun}", f" WHERE {own.where()}"),
                        (f"UPDATE own rows to other {s.noun} (no WHERE)", "")):
        sql = f"UPDATE {q(t)} SET {sets(s.other_set)}{where}"
        fresh = f"UPDATE {q(t)} SET {sets(_fresh(t, s.other_set))}{where}"
        out.append(rls_result(t, what + s.suffix, hinted(s, "UPDATE", moved(st, s, sql, fresh))))
    return out


def _fresh(t, values: dict[str, str]) -> dict[str, str]:
    """The victim's scope values made into a principal that has no row here yet (a uuid no one
    holds): a unique key (one profile per user) cannot then hide a move that RLS lets through."""
    out = {}
    for col, value in values.items():
        c = t.column(col)
        out[col] = "gen_random_uuid()" if c is not None and c.type.base == "uuid" and not c.type.is_array else value
    return out


def moved(st: Stage, s: Scope, sql: str, fresh: str | None = None) -> Verdict:
    look = count_mine(s)
    first = st.prober.run(s.actor, sql, look)
    verdict = _judge(first)
    if verdict is not None:
        return verdict
    why = first.outcome.describe()

    def replica(conn) -> str:
        conn.execute(REPLICA)
        return sql
    again = st.prober.run(s.actor, replica, look)
    verdict = _judge(again)
    if verdict is None and fresh and again.outcome.sqlstate == UNIQUE_VIOLATION:
        def vacant(conn) -> str:
            conn.execute(REPLICA)
            return fresh
        verdict = _judge(st.prober.run(s.actor, vacant, look))
        if verdict is not None and verdict[0] == "fail":
            verdict = ("fail", f"{verdict[1]} to a user with no row here yet (another user's row already holds "
                               f"the key: {why})")
    if verdict is None:
        return "warn", f"refused, but not by RLS: {why}"
    if verdict[0] == "fail":
        return "fail", (f"{verdict[1]} with foreign keys and triggers off; here only this stopped it: {why} "
                        "(RLS lets a row without such a reference move)")
    return verdict


def count_mine(s: Scope):
    def look(conn) -> int:
        return conn.execute(f"SELECT count(*) FROM {q(s.table)} WHERE {s.mine()}").fetchone()[0]
    return look


def _judge(p: Probe) -> Verdict | None:
    o = p.outcome
    gone = (p.before or 0) - (p.after or 0)
    if gone > 0:
        return "fail", f"{gone} row(s) moved"
    if o.refused:
        return refusal(o)
    if o.ok:
        return "pass", "" if o.rowcount else "no row updated"
    return None
