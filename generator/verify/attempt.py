"""Run one statement in a savepoint and record what happened (rows affected, or the error's
SQLSTATE, constraint and message), so an expected failure never aborts the surrounding work."""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

from generator.verify.session import in_savepoint

FK_VIOLATION = "23503"
UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"
NOT_NULL_VIOLATION = "23502"
RLS_VIOLATION = "42501"          # insufficient_privilege: "new row violates row-level security policy"
BAD_TEXT = "22P02"               # invalid_text_representation: e.g. ''::uuid


@dataclass(frozen=True)
class Outcome:
    rowcount: int = 0
    rows: tuple = ()
    sqlstate: str | None = None
    constraint: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.sqlstate is None

    @property
    def refused(self) -> bool:
        """Refused by access control: a policy, a missing privilege or a guard trigger."""
        return self.sqlstate == RLS_VIOLATION

    @property
    def rls_refused(self) -> bool:
        return self.sqlstate == RLS_VIOLATION and "row-level security" in self.message

    def describe(self) -> str:
        if self.ok:
            return f"{self.rowcount} row(s)"
        return f"{self.message} [{self.sqlstate}]"


def attempt(conn: psycopg.Connection, sql: str, undo: bool = False) -> Outcome:
    """Execute in a savepoint; an error rolls back only the savepoint and is returned.
    With undo, a success is rolled back too (the outcome is all we wanted)."""
    try:
        answer = in_savepoint(conn, sql, undo)
    except psycopg.Error as exc:
        return failure(exc)
    return Outcome(rowcount=answer.rowcount, rows=answer.rows)


def attempt_copy(conn: psycopg.Connection, sql: str, rows: list[tuple] | None = None) -> Outcome:
    """COPY … TO STDOUT (the rows come back as text tuples) or, with `rows`, COPY … FROM STDIN,
    in a savepoint like attempt()."""
    try:
        with conn.transaction():
            cur = conn.cursor()
            got: list[tuple] = []
            with cur.copy(sql) as copy:
                if rows is None:
                    got = [tuple(r) for r in copy.rows()]
                else:
                    for r in rows:
                        copy.write_row(r)
            return Outcome(rowcount=cur.rowcount, rows=tuple(got))
    except psycopg.Error as exc:
        return failure(exc)


def failure(exc: psycopg.Error) -> Outcome:
    diag = exc.diag
    message = (diag.message_primary or str(exc)).strip() if diag else str(exc).strip()
    return Outcome(sqlstate=exc.sqlstate or "?", constraint=diag.constraint_name if diag else None,
                   message=message.splitlines()[0] if message else type(exc).__name__)
