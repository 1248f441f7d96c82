"""UPDATE and DELETE with no WHERE clause. A WHERE clause, or a SET that reads a column, makes
PostgreSQL apply the SELECT policies as well, which hides an UPDATE or DELETE policy that opens
other tenants' rows (`FOR UPDATE USING (true)`); a bare `UPDATE t SET col = <constant>` or
`DELETE FROM t` is judged by that command's policies alone, as an application's bulk write is.

Inside the rolled-back probe the owner first switches foreign keys and user triggers off
(session_replication_role = replica, so a cascade, RESTRICT or trigger cannot hide a reached row
behind an error) and, for the isolation sweeps, removes the actor's own rows: whatever the
statement then reaches belongs to another tenant (user)."""
from __future__ import annotations

from typing import Callable

import psycopg

from generator.model import Table
from generator.verify.probe import Probe, Verdict, q
from generator.verify.report import Result
from generator.verify.rls_matrix import hinted
from generator.verify.stage import Scope, Stage, rls_result, sets

Prepare = Callable[[psycopg.Connection], str]
REPLICA = "SET LOCAL session_replication_role = replica"


def attacks(st: Stage, s: Scope) -> list[Result]:
    """A bulk UPDATE (moving every reached row into the actor's scope) and DELETE reach no
    row once the actor's own rows are gone."""
    out = []
    for command, sql in sweeps(s.table, s.own_set).items():
        if s.probes(command):
            probe = st.prober.run(s.actor, prepared(s.table, sql, drop_where=s.mine()))
            verb = "changed" if command == "UPDATE" else "deleted"
            verdict = hinted(s, command, reached_none(probe, verb, f"other {s.noun}s"))
            out.append(rls_result(s.table, f"{command} without WHERE{s.suffix}", verdict))
    return out


def sweeps(t: Table, values: dict[str, str]) -> dict[str, str]:
    """Per command, a statement with no WHERE that reads no column: `values` (the actor's own
    tenant, user or parents) are set, so a reached row is moved to the actor."""
    return {"UPDATE": f"UPDATE {q(t)} SET {sets(values)}", "DELETE": f"DELETE FROM {q(t)}"}


def prepared(t: Table, sql: str, drop_where: str | None = None) -> Prepare:
    """Prepare `sql` as the owner: constraint and user triggers off, then the rows matching
    `drop_where` (the actor's own) removed; all rolled back with the probe."""
    def make(conn: psycopg.Connection) -> str:
        conn.execute(REPLICA)
        if drop_where:
            conn.execute(f"DELETE FROM {q(t)} WHERE {drop_where}")
        return sql
    return make


def reached_none(p: Probe, verb: str, whose: str = "") -> Verdict:
    """No row reached: 0 rows affected. Every row left in the table is one the actor must not
    touch, so rows affected, or any error (only a reached row can raise one), is a leak."""
    o = p.outcome
    rows = f"row(s){' of ' + whose if whose else ''}"
    if o.ok:
        return ("pass", "") if o.rowcount == 0 else ("fail", f"{o.rowcount} {rows} {verb}")
    return "fail", f"{rows} reached; the statement then failed: {o.describe()}"
