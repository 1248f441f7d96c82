"""`INSERT … ON CONFLICT DO UPDATE` aimed at another tenant's (user's) key: the actor sends the
victim's own row with the actor's scope and every other column from EXCLUDED, so a conflict
that reached the victim's row would overwrite it (and move it). The victim's row must be
unchanged; PostgreSQL refuses the conflicting row when the UPDATE policies do not show it."""
from __future__ import annotations

from generator.model import Table
from generator.model.naming import quote_ident
from generator.verify.probe import Probe, Verdict, q, refusal, row_text
from generator.verify.report import Result
from generator.verify.rls_matrix import hinted
from generator.verify.stage import Scope, Stage, rls_result


def attacks(st: Stage, s: Scope) -> list[Result]:
    if not (s.probes("INSERT") or s.probes("UPDATE")):
        return []
    t = s.table
    other = st.world.rows[(t.key, s.other)]
    what = f"INSERT … ON CONFLICT DO UPDATE on other {s.noun}'s key{s.suffix}"
    key = conflict_key(t)
    if key is None:
        return [rls_result(t, what, ("pass", "no primary key or unique constraint: no conflict can reach a row"))]
    values = {**other.insertable(), **{c: v for c, v in s.own_set.items() if c not in key}}
    cols = ", ".join(quote_ident(c) for c in values)
    changed = [c for c in values if c not in key]
    action = ("DO UPDATE SET " + ", ".join(f"{quote_ident(c)} = EXCLUDED.{quote_ident(c)}" for c in changed)) \
        if changed else "DO UPDATE SET " + f"{quote_ident(key[0])} = EXCLUDED.{quote_ident(key[0])}"
    sql = (f"INSERT INTO {q(t)} ({cols}) VALUES ({', '.join(values.values())}) "
           f"ON CONFLICT ({', '.join(quote_ident(c) for c in key)}) {action}")
    verdict = untouched(st.prober.run(s.actor, sql, row_text(other)), s.noun)
    return [rls_result(t, what, hinted(s, "UPDATE", verdict))]


def conflict_key(t: Table) -> tuple[str, ...] | None:
    if t.primary_key:
        return t.primary_key.columns
    return t.uniques[0].columns if t.uniques else None


def untouched(p: Probe, noun: str) -> Verdict:
    o = p.outcome
    if p.before != p.after:
        return "fail", f"other {noun}'s row overwritten"
    if o.refused:
        return refusal(o)
    if o.ok and o.rowcount:
        return "fail", f"other {noun}'s row reached by DO UPDATE"
    if o.ok:
        return "pass", ""
    return "warn", f"refused, but not by RLS: {o.describe()}"
