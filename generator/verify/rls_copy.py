"""COPY and TRUNCATE, the bulk paths around row-by-row policies. COPY … TO must show only the
actor's rows; COPY … FROM must be refused (PostgreSQL refuses it on a table with RLS) or take
only rows the actor may insert; TRUNCATE, which RLS does not govern, must be refused to every
application role."""
from __future__ import annotations

from generator.model import Table
from generator.model.naming import quote_ident
from generator.verify.attempt import attempt_copy
from generator.verify.probe import Probe, Verdict, q
from generator.verify.report import Result
from generator.verify.rows import BuildError, RowBuilder
from generator.verify.stage import Scope, Stage, rls_result


def attacks(st: Stage, s: Scope) -> list[Result]:
    t, out = s.table, []
    other = st.world.rows[(t.key, s.other)]
    cols = [c.name for c in t.columns if not c.generated]     # COPY TO names no generated column before PostgreSQL 18
    if s.probes("SELECT"):
        sql = f"COPY {q(t)} ({', '.join(quote_ident(c) for c in cols)}) TO STDOUT"
        victim = tuple(other.values[c] for c in cols)
        probe = st.prober.run(s.actor, sql, runner=lambda conn, text: attempt_copy(conn, text))
        out.append(rls_result(t, f"COPY TO shows only own rows{s.suffix}", _shown(probe, victim, s.noun)))
    if s.probes("INSERT"):
        out.append(rls_result(t, f"COPY FROM a row for other {s.noun}{s.suffix}", _copy_in(st, s, other)))
    return out


def _shown(p: Probe, victim: tuple, noun: str) -> Verdict:
    o = p.outcome
    if o.refused:
        return "pass", f"refused: {o.describe()}"
    if not o.ok:            # an error that is no refusal proves nothing
        return "fail", f"the COPY could not run: {o.describe()}"
    return ("fail", f"other {noun}'s row copied out") if victim in o.rows else ("pass", "")


def _copy_in(st: Stage, s: Scope, other) -> Verdict:
    stash: dict = {}

    def make(conn) -> str:
        conn.execute(f"DELETE FROM {q(s.table)} WHERE {other.where()}")    # room for its keys
        row = RowBuilder(conn, st.schema).insert(s.table, dict(s.values["other"]), tenant=s.tenant["other"],
                                                 keep=False)
        cols = [c for c in row.insertable()]
        stash["rows"], stash["row"] = [tuple(row.values[c] for c in cols)], row
        return f"COPY {q(s.table)} ({', '.join(quote_ident(c) for c in cols)}) FROM STDIN"

    try:
        probe = st.prober.run(s.actor, make, runner=lambda conn, text: attempt_copy(conn, text, stash["rows"]))
    except BuildError as exc:
        return "skip", f"cannot prepare the row: {exc}"
    o = probe.outcome
    if o.ok and o.rowcount:
        return "fail", f"row for other {s.noun} accepted"
    return ("pass", f"refused: {o.describe()}") if not o.ok else ("pass", "no row taken")


def truncate(st: Stage, t: Table) -> list[Result]:
    """TRUNCATE as every application role that reaches the table; judged by the rows left."""
    out = []
    for role in _roles(st, t):
        def count(conn):
            return conn.execute(f"SELECT count(*) FROM {q(t)}").fetchone()[0]
        probe = st.prober.run(st.actor_for(role), f"TRUNCATE ONLY {q(t)} CASCADE", count)
        o = probe.outcome
        if (probe.after or 0) < (probe.before or 0) or o.ok:
            verdict = "fail", f"{probe.before - probe.after} row(s) removed (RLS does not govern TRUNCATE)"
        else:
            verdict = "pass", f"refused: {o.describe()}"
        out.append(rls_result(t, f"TRUNCATE as {role}", verdict))
    return out


def _roles(st: Stage, t: Table) -> list[str]:
    roles = {s.actor.role for s in st.scopes.get(t.key, [])} | {st.ident.role_for(t.policies)}
    roles.add(st.ident.public_role)
    return sorted(roles & st.roles)
