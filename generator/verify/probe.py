"""Run one RLS probe: in a rolled-back transaction, prepare as the owner, become the actor,
run the statement in a savepoint, return to the owner and look at what changed; and the
verdicts that turn outcomes into pass/fail."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import psycopg

from generator.db.connect import connect
from generator.model import Schema, Table
from generator.model.naming import quote_ident
from generator.verify.actors import Actor, Identity, enter
from generator.verify.attempt import BAD_TEXT, Outcome, attempt
from generator.verify.rows import Row
from generator.verify.session import Session, later, scratch

Verdict = tuple[str, str]     # (status, detail)


@dataclass
class Probe:
    outcome: Outcome
    before: object = None
    after: object = None
    then: Outcome | None = None     # what `then` returned, still as the actor


class Prober:
    """Probes on the main connection; `unset` probes on a pristine one where no setting was
    ever defined (current_setting(..., true) is NULL there, not '')."""

    def __init__(self, conn: Session, url: str, schema: Schema, ident: Identity):
        self.conn, self.url, self.schema, self.ident = conn, url, schema, ident
        self._pristine: psycopg.Connection | None = None

    def close(self) -> None:
        if self._pristine is not None:
            self._pristine.close()
            self._pristine = None       # opened again should a probe want it

    def _conn_for(self, actor: Actor) -> psycopg.Connection:
        if actor.tenant is None and actor.user is None and actor.blank == "unset":
            if self._pristine is None:
                self._pristine = connect(self.url, autocommit=True, factory=Session)
            return self._pristine
        return self.conn

    def run(self, actor: Actor, sql: str | Callable[[psycopg.Connection], str],
            look: Callable[[psycopg.Connection], object] | None = None,
            runner: Callable[[psycopg.Connection, str], Outcome] = attempt, then: str | None = None) -> Probe:
        """`sql` may be built as the owner first (e.g. an INSERT of a prepared row); `look`
        runs as the owner before and after the statement; `runner` runs it (a COPY); `then`
        runs as the actor afterwards (is the actor an admin now?)."""
        conn = self._conn_for(actor)
        with scratch(conn):
            text = sql(conn) if callable(sql) else sql
            before = look(conn) if look else None
            enter(conn, self.ident, actor)
            got = runner(conn, text)
            followed = attempt(conn, then) if then else None
            later(conn, "RESET ROLE")
            after = look(conn) if look else None
        return Probe(got, before, after, followed)


def q(t: Table) -> str:
    return f"{quote_ident(t.schema)}.{quote_ident(t.name)}"


def row_text(row: Row) -> Callable[[psycopg.Connection], object]:
    """The whole row as text (None when gone), for 'unchanged' checks."""
    def look(conn: psycopg.Connection):
        got = conn.execute(f"SELECT t::text FROM {q(row.table)} AS t WHERE {row.where()}").fetchone()
        return got[0] if got else None
    return look


def _error(o: Outcome) -> Verdict | None:
    if o.sqlstate == BAD_TEXT:
        return "fail", f"cast error: {o.message}"
    return None


def none_visible(p: Probe) -> Verdict:
    o = p.outcome
    if not o.ok:
        return _error(o) or ("fail", f"query failed: {o.describe()}")
    count = o.rows[0][0]
    return ("pass", "") if count == 0 else ("fail", f"{count} row(s) visible")


def visible(p: Probe, want: int = 1) -> Verdict:
    o = p.outcome
    if not o.ok:
        return _error(o) or ("fail", f"query failed: {o.describe()}")
    count = o.rows[0][0]
    return ("pass", "") if count >= want else ("fail", f"{count} row(s) visible, expected {want}")


def refusal(o: Outcome) -> Verdict | None:
    """A refusal by access control (SQLSTATE 42501: a policy, a missing privilege, a guard
    trigger) is what an attack must meet; None for anything else."""
    if o.rls_refused:
        return "pass", "refused by policy"
    if o.refused:
        return "pass", f"refused: {o.message}"
    return None


def write_refused(p: Probe, verb: str) -> Verdict:
    o = p.outcome
    if o.ok and o.rowcount == 0 and p.before == p.after:
        return "pass", ""
    if o.ok:
        return "fail", f"{o.rowcount} row(s) {verb}" if o.rowcount else "row changed"
    return refusal(o) or _error(o) or ("warn", f"refused, but not by RLS: {o.describe()}")


def insert_refused(p: Probe) -> Verdict:
    o = p.outcome
    if o.ok:
        return "fail", "row accepted"
    return refusal(o) or _error(o) or ("warn", f"refused, but not by RLS: {o.describe()}")


def allowed(p: Probe, want_rows: int = 1) -> Verdict:
    o = p.outcome
    if not o.ok:
        return "fail", f"refused: {o.describe()}"
    return ("pass", "") if o.rowcount >= want_rows else ("fail", f"{o.rowcount} row(s) affected")
