"""Apply SQL statements to a live database under a session advisory lock, stopping at the first
failure with the statement's comment and the server's message (AP codes). One transaction when
the statements' locks fit in it; with `chunked`, a schema too big for one transaction (each new
table takes several locks; PostgreSQL's default shared lock table holds 64 x max_connections)
runs in consecutive transactions of at most LOCK_BUDGET locks each."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError

if TYPE_CHECKING:   # psycopg is imported where a database is used: `gen diff` of two specs plans
    import psycopg  # statements through this module and never connects (~0.18 s of imports)

APPLY_LOCK = "gen:apply"
# Locks one transaction may take: far below the default lock table (64 x 100 connections = 6400
# slots) so that the sessions of the application still find room beside us.
LOCK_BUDGET = 1000
_CREATES_RELATION = re.compile(r"\b(CREATE\s+(?:UNLOGGED\s+)?TABLE|CREATE\s+(?:UNIQUE\s+)?INDEX|CREATE\s+"
                               r"(?:OR\s+REPLACE\s+)?VIEW|CREATE\s+SEQUENCE|PRIMARY\s+KEY|UNIQUE|REFERENCES|"
                               r"GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY)\b", re.IGNORECASE)
_TABLE = re.compile(r"\bCREATE\s+(?:UNLOGGED\s+)?TABLE\b", re.IGNORECASE)
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
    transactions: int = 1                               # more than one when chunked


def lock_weight(sql: str) -> int:
    """An upper estimate of the locks a statement holds until commit: one per relation it
    creates or references (a table also brings its TOAST table and index)."""
    return 1 + len(_CREATES_RELATION.findall(sql)) + 2 * len(_TABLE.findall(sql))


def chunks(steps: list, budget: int | None = None) -> list[list]:
    """Consecutive groups of steps whose lock weights add up to at most `budget` (default
    LOCK_BUDGET; a single heavier step gets a group of its own)."""
    budget = budget or LOCK_BUDGET
    out: list[list] = [[]]
    used = 0
    for step in steps:
        weight = lock_weight(step.sql)
        if out[-1] and used + weight > budget:
            out.append([])
            used = 0
        out[-1].append(step)
        used += weight
    return [group for group in out if group]


def without_transaction(script: str) -> str:
    """A script's own BEGIN;/COMMIT; lines removed, so it can run inside our transaction."""
    return _TX_LINE.sub("", script)


def needs_shim(conn: psycopg.Connection) -> bool:
    """True when auth.uid() is missing, i.e. this is not Supabase and no shim ran yet."""
    return not conn.execute(AUTH_UID_EXISTS).fetchone()[0]


def apply_statements(url: str, statements: Iterable[StatementLike], shim: str | None = None,
                     lock: str = APPLY_LOCK, chunked: bool = False,
                     undo: Callable[[psycopg.Connection], None] | None = None) -> ApplyResult:
    """Run `statements` while holding a session advisory lock. `shim` (a script) runs first,
    in the first transaction, when auth.uid() does not exist yet. One transaction, unless
    `chunked` and their locks exceed LOCK_BUDGET: then one transaction per chunk. A failing
    statement rolls its transaction back and raises AP001 (exit 2); earlier chunks stay
    committed unless `undo` (called on the same connection) removes what they made."""
    from generator.db.connect import advisory_lock, connect
    steps = [Step(s.sql, s.comment) for s in statements]
    groups = chunks(steps) if chunked else [steps]
    result = ApplyResult(transactions=len(groups))
    with connect(url, autocommit=True) as conn, advisory_lock(conn, lock):
        for number, group in enumerate(groups):
            try:
                with conn.transaction():
                    if number == 0 and shim is not None and needs_shim(conn):
                        group = [Step(without_transaction(shim), "supabase shim (auth schema and roles)")] + group
                        result.shim = True
                    for step in group:
                        result.rows += _run(conn, step, url)
                        result.applied.append(step.comment)
            except _Failed as failed:
                if number and undo is not None:
                    undo(conn)
                raise _partial(failed.error, number, len(groups), undo is not None) if number else failed.error \
                    from None
    return result


def _partial(error: GenError, done: int, total: int, undone: bool) -> GenError:
    d = error.diagnostics[0]
    hint = (f"the schema was applied in {total} transactions (too many locks for one); the {done} before "
            + ("the failing one were undone: the objects they created were dropped" if undone else
               "the failing one stay committed"))
    return GenError([Diagnostic(d.code, d.message, d.loc, d.name, hint)], error.exit_code)


def drop_tables(conn: psycopg.Connection, names: list[str], batch: int = 100) -> None:
    """DROP TABLE IF EXISTS ... CASCADE for already quoted, qualified `names`, `batch` per
    transaction (dropping thousands in one would exceed the lock table too)."""
    for start in range(0, len(names), batch):
        with conn.transaction():
            conn.execute("DROP TABLE IF EXISTS " + ", ".join(names[start:start + batch]) + " CASCADE")


class _Failed(Exception):
    def __init__(self, error: GenError):
        super().__init__(str(error))
        self.error = error


def _run(conn: psycopg.Connection, step: Step, url: str) -> int:
    """Run one step; returns the rows it changed (0 for DDL, which reports none)."""
    import psycopg
    try:
        return max(conn.execute(step.sql).rowcount, 0)
    except psycopg.Error as exc:
        raise _Failed(statement_error(exc, step, url)) from None


def statement_error(exc: psycopg.Error, step: Step, url: str) -> GenError:
    """AP001: which statement failed (its comment and first line) and what the server said."""
    from generator.db.connect import describe
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
