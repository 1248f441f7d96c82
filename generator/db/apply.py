"""Apply SQL statements to a live database: one transaction, under a session advisory lock,
stopping at the first failure with the statement's comment and the server's message (AP codes)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Protocol

import psycopg

from generator.db.connect import advisory_lock, connect, describe
from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError

APPLY_LOCK = "gen:apply"
AUTH_UID_EXISTS = "SELECT to_regprocedure('auth.uid()') IS NOT NULL"
_TX_LINE = re.compile(r"^\s*(BEGIN|COMMIT)\s*;\s*$", re.IGNORECASE | re.MULTILINE)


class StatementLike(Protocol):
    sql: str
    comment: str


@dataclass(frozen=True)
class Step:
    """One unit of SQL to run, with the comment that names it in messages."""

    sql: str
    comment: str


@dataclass
class ApplyResult:
    applied: list[str] = field(default_factory=list)   # comments of the steps that ran
    shim: bool = False                                  # the supabase shim was applied first
    rows: int = 0                                       # rows inserted, updated or deleted by DML steps


def without_transaction(script: str) -> str:
    """A script's own BEGIN;/COMMIT; lines removed, so it can run inside our transaction."""
    return _TX_LINE.sub("", script)


def needs_shim(conn: psycopg.Connection) -> bool:
    """True when auth.uid() is missing, i.e. this is not Supabase and no shim ran yet."""
    return not conn.execute(AUTH_UID_EXISTS).fetchone()[0]


def apply_statements(url: str, statements: Iterable[StatementLike], shim: str | None = None,
                     lock: str = APPLY_LOCK) -> ApplyResult:
    """Run `statements` in one transaction while holding a session advisory lock. `shim`
    (a script) runs first, in the same transaction, when auth.uid() does not exist yet.
    A failing statement rolls everything back and raises AP001 (exit 2)."""
    steps = [Step(s.sql, s.comment) for s in statements]
    result = ApplyResult()
    with connect(url, autocommit=True) as conn, advisory_lock(conn, lock):
        try:
            with conn.transaction():
                if shim is not None and needs_shim(conn):
                    steps.insert(0, Step(without_transaction(shim), "supabase shim (auth schema and roles)"))
                    result.shim = True
                for step in steps:
                    result.rows += _run(conn, step, url)
                    result.applied.append(step.comment)
        except _Failed as failed:
            raise failed.error from None
    return result


class _Failed(Exception):
    def __init__(self, error: GenError):
        super().__init__(str(error))
        self.error = error


def _run(conn: psycopg.Connection, step: Step, url: str) -> int:
    """Run one step; returns the rows it changed (0 for DDL, which reports none)."""
    try:
        return max(conn.execute(step.sql).rowcount, 0)
    except psycopg.Error as exc:
        raise _Failed(statement_error(exc, step, url)) from None


def statement_error(exc: psycopg.Error, step: Step, url: str) -> GenError:
    """AP001: which statement failed (its comment and first line) and what the server said."""
    diag = exc.diag
    message = (diag.message_primary or str(exc).strip().splitlines()[0]) if diag else str(exc)
    detail = "; ".join(x for x in (diag.message_detail, diag.message_hint) if x) if diag else ""
    first = next((line for line in step.sql.splitlines() if line.strip() and not line.startswith("--")), "")
    hint = "nothing was changed: the whole apply ran in one transaction and was rolled back"
    if diag and diag.sqlstate in ("42P07", "42710", "42723"):
        hint += "; the object already exists (schema.sql is for an empty database: use `gen migrate`)"
    text = f"statement '{step.comment}' failed on {describe(url)}: {message}"
    if detail:
        text += f" ({detail})"
    if first:
        text += f"\n    {first.strip()[:120]}"
    return GenError([Diagnostic("AP001", text, name=f"apply.{step.comment}", hint=hint)], EXIT_BAD_INPUT)
