"""The connection verify probes on, built to save round trips: statements that cannot fail and
return nothing (BEGIN, SET LOCAL, set_config, RELEASE / ROLLBACK TO of our own savepoint,
RESET ROLE) are held back and sent ahead of the next statement whose answer is
wanted, in one simple-protocol string; a statement tried in a savepoint travels with its
SAVEPOINT. What each statement does, and in which transaction, is exactly as if sent alone."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg.pq import ExecStatus, TransactionStatus

from generator.model.naming import quote_literal

ATTEMPT = "gen_attempt"      # the savepoint one statement is tried in (never nested)


@dataclass(frozen=True)
class Answer:
    rowcount: int
    rows: tuple           # () when the statement returns no rows


class Session(psycopg.Connection):
    """A psycopg connection (autocommit: transactions are ours) with a queue of held-back
    statements. Whatever needs the server in a definite state (psycopg's transaction(), a
    cursor, a statement with parameters) sends the queue first."""

    _held: list[str] | None = None
    _scratch: bool = False
    _settings: set[str] | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepare_threshold = None    # probe texts differ (literals): counting them costs, preparing gains nothing

    def settings(self) -> set[str]:
        """The custom settings this session has ever set (even in a transaction rolled back):
        PostgreSQL keeps such a placeholder for the session, and current_setting(name, true)
        then reads '' where a session that never set it reads NULL."""
        if self._settings is None:
            self._settings = set()
        return self._settings

    def define(self, names) -> None:
        """Leave each of `names` as a session that once set it does (see settings())."""
        todo = sorted(set(names) - self.settings())
        if todo:
            sets = "; ".join(f"SELECT set_config({quote_literal(n)}, '', true)" for n in todo)
            self.execute(f"BEGIN; {sets}; ROLLBACK")
            self.settings().update(todo)

    def held(self) -> list[str]:
        if self._held is None:
            self._held = []
        return self._held

    def defer(self, *statements: str) -> None:
        """Send `statements` (which cannot fail) ahead of the next one."""
        self.held().extend(statements)

    def flush(self) -> None:
        held = self.held()
        if held:
            text = "; ".join(held)
            held.clear()
            super().execute(text, prepare=False)

    def execute(self, query, params=None, *, prepare=None, binary=False):
        held = self.held()
        if params is None and isinstance(query, str) and not binary:
            text = "; ".join(held + [query])
            held.clear()
            cur = super().execute(text, prepare=False if len(text) > len(query) else prepare)
            while cur.nextset():       # the answer is the last statement's
                pass
            return cur
        self.flush()
        return super().execute(query, params, prepare=prepare, binary=binary)

    @contextmanager
    def transaction(self, *args, **kwargs):
        """psycopg's transaction (or savepoint), with what is held back sent before it opens
        and before it ends; leaving it by an exception rolls back whatever is still held."""
        self.flush()
        with super().transaction(*args, **kwargs) as tx:
            try:
                yield tx
            except BaseException:
                self.held().clear()
                raise
            self.flush()

    def cursor(self, *args, **kwargs):
        self.flush()
        return super().cursor(*args, **kwargs)

    def in_transaction(self) -> bool:
        """Inside a transaction once what is held back has run? What is held never ends one,
        so a transaction open now still is (no round trip to find out)."""
        if self._scratch:
            return True
        if self.held() and self.pgconn.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            return True
        self.flush()
        return self.pgconn.transaction_status != TransactionStatus.IDLE

    @contextmanager
    def scratch(self, *setup: str) -> Iterator[None]:
        """A transaction that is always rolled back, opened by `setup` (SET LOCAL ...); its
        opening travels with the first statement in it, its ROLLBACK is sent at once."""
        if self.in_transaction():
            raise RuntimeError("scratch() inside a transaction")
        opening = ["BEGIN", *setup]
        self.defer(*opening)
        self._scratch = True
        try:
            yield
        finally:
            self._scratch = False
            held = self.held()
            if held[-len(opening):] == opening:
                del held[-len(opening):]          # nothing ran: nothing to roll back
            else:
                # The ROLLBACK goes at once (what is held only changes this transaction, so it
                # goes unsent): no lock of ours outlives the probe, whichever connection is next.
                held.clear()
                super().execute("ROLLBACK", prepare=False)


@contextmanager
def scratch(conn: psycopg.Connection, *setup: str) -> Iterator[None]:
    """A transaction that is always rolled back, opened by `setup`: Session.scratch on a
    Session, else psycopg's transaction (a savepoint when one is open)."""
    if isinstance(conn, Session) and not conn.in_transaction():
        with conn.scratch(*setup):
            yield
        return
    with conn.transaction(force_rollback=True):
        for sql in setup:
            conn.execute(sql)
        yield


@contextmanager
def savepoint(conn: psycopg.Connection, name: str, undo: bool = True) -> Iterator[None]:
    """A savepoint of the current transaction: leaving it rolls back to it (when `undo`, or by
    an exception) and releases it. On a Session all three statements are held back (they
    travel with the next statement); locks taken inside go with the rollback."""
    later(conn, f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        _end_savepoint(conn, name, True)
        raise
    _end_savepoint(conn, name, undo)


def _end_savepoint(conn: psycopg.Connection, name: str, undo: bool) -> None:
    if isinstance(conn, Session) and conn.held()[-1:] == [f"SAVEPOINT {name}"]:
        conn.held().pop()              # nothing ran in it
        return
    for sql in ((f"ROLLBACK TO SAVEPOINT {name}",) if undo else ()) + (f"RELEASE SAVEPOINT {name}",):
        later(conn, sql)


def later(conn: psycopg.Connection, sql: str) -> None:
    """Run `sql` (a statement that cannot fail and returns nothing): held back on a Session,
    at once on any other connection."""
    if isinstance(conn, Session):
        conn.defer(sql)
    else:
        conn.execute(sql)


def _rows(cur: psycopg.Cursor) -> tuple:
    """The rows of the last answer (() for a command): cheaper than asking cur.description,
    which builds an object per column every time."""
    result = cur.pgresult
    return tuple(cur.fetchall()) if result is not None and result.status == ExecStatus.TUPLES_OK else ()


def in_savepoint(conn: psycopg.Connection, sql: str, undo: bool | Callable[[Answer], bool] = False) -> Answer:
    """Execute `sql` in a savepoint of the current transaction: an error rolls back only the
    savepoint and is raised; with `undo` (or when undo(answer) says so) a success is rolled
    back too. On a Session the SAVEPOINT travels with the statement and the RELEASE with the
    next one. With several statements in `sql`, the answer is the last one's."""
    if isinstance(conn, Session) and conn.in_transaction():
        try:
            cur = conn.execute(f"SAVEPOINT {ATTEMPT}; {sql}")
            answer = Answer(cur.rowcount, _rows(cur))
            back = undo(answer) if callable(undo) else undo
        except BaseException:
            conn.defer(f"ROLLBACK TO SAVEPOINT {ATTEMPT}", f"RELEASE SAVEPOINT {ATTEMPT}")
            raise
        conn.defer(*((f"ROLLBACK TO SAVEPOINT {ATTEMPT}",) if back else ()), f"RELEASE SAVEPOINT {ATTEMPT}")
        return answer
    with conn.transaction() as tx:
        cur = conn.execute(sql)
        while cur.nextset():
            pass
        answer = Answer(cur.rowcount, _rows(cur))
        if undo(answer) if callable(undo) else undo:
            raise psycopg.Rollback(tx)
    return answer
