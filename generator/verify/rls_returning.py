"""RETURNING as a way to read: a bulk `UPDATE t SET <own scope> RETURNING <key>` and
`DELETE FROM t RETURNING <key>` (no WHERE) must return only rows that were already the
actor's. Foreign keys and triggers are off in the rolled-back probe, so no error hides a row."""
from __future__ import annotations

from generator.model import Table
from generator.model.naming import quote_ident
from generator.verify.probe import Probe, Verdict, q, refusal
from generator.verify.report import Result
from generator.verify.rls_matrix import hinted
from generator.verify.rls_sweep import REPLICA
from generator.verify.stage import Scope, Stage, rls_result, sets


def attacks(st: Stage, s: Scope) -> list[Result]:
    t, out = s.table, []
    key = key_text(t)
    statements = {"UPDATE": f"UPDATE {q(t)} AS t SET {sets(s.own_set)} RETURNING {key}",
                  "DELETE": f"DELETE FROM {q(t)} AS t RETURNING {key}"}
    for command, sql in statements.items():
        if not s.probes(command):
            continue
        others: set[str] = set()

        def make(conn, sql=sql, others=others) -> str:
            conn.execute(REPLICA)
            got = conn.execute(f"SELECT {key} FROM {q(t)} AS t WHERE NOT coalesce({s.mine()}, false)").fetchall()
            others.update(r[0] for r in got)
            return sql
        verdict = revealed(st.prober.run(s.actor, make), others, s.noun)
        out.append(rls_result(t, f"{command} … RETURNING shows only own rows{s.suffix}", hinted(s, command, verdict)))
    return out


def key_text(t: Table) -> str:
    """The row's key as text, from alias `t`: its primary key, else the whole row."""
    if t.primary_key:
        return "ROW(" + ", ".join(f"t.{quote_ident(c)}" for c in t.primary_key.columns) + ")::text"
    return "t::text"


def revealed(p: Probe, others: set[str], noun: str) -> Verdict:
    o = p.outcome
    if o.refused:
        return refusal(o)
    if not o.ok:
        return "warn", f"refused, but not by RLS: {o.describe()}"
    shown = [r[0] for r in o.rows if r[0] in others]
    return ("fail", f"{len(shown)} row(s) of other {noun}s returned") if shown else ("pass", "")
