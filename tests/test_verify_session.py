"""The batching connection verify probes on (generator/verify/session.py) does what the same
statements sent one by one would do: held statements take effect in order, a failed attempt
rolls back only its savepoint, a scratch transaction leaves no row and no lock behind."""
from __future__ import annotations

import secrets

import psycopg
import pytest

from generator.db.connect import connect
from generator.verify.session import Session, in_savepoint, later, scratch

ROLE = f"gen_session_{secrets.token_hex(4)}"     # roles are per server: a name of our own


@pytest.fixture
def session(fresh_db: str):
    with connect(fresh_db, autocommit=True, factory=Session) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, n int CHECK (n > 0))")
        conn.execute("INSERT INTO t VALUES (1, 1)")
        conn.execute(f"CREATE ROLE {ROLE}")
        conn.execute(f"GRANT SELECT ON t TO {ROLE}")
        try:
            yield conn
        finally:
            conn.execute(f"DROP OWNED BY {ROLE}")
            conn.execute(f"DROP ROLE {ROLE}")


def test_held_statements_take_effect_before_the_next_one(session):
    with scratch(session):
        later(session, f"SET LOCAL ROLE {ROLE}")
        later(session, "SELECT set_config('app.who', 'probe', true)")
        assert session.held(), "nothing was held back"
        got = session.execute("SELECT current_user, current_setting('app.who')").fetchone()
        assert got == (ROLE, "probe")
        later(session, "RESET ROLE")
        assert session.execute("SELECT current_user").fetchone()[0] != ROLE
    assert session.execute("SELECT current_user").fetchone()[0] != ROLE


def test_a_failed_attempt_rolls_back_only_its_savepoint(session):
    with scratch(session):
        session.execute("UPDATE t SET n = 2 WHERE id = 1")
        with pytest.raises(psycopg.errors.CheckViolation):
            in_savepoint(session, "UPDATE t SET n = -1 WHERE id = 1")
        kept = in_savepoint(session, "INSERT INTO t VALUES (2, 5) RETURNING id")
        undone = in_savepoint(session, "INSERT INTO t VALUES (3, 5) RETURNING id", undo=True)
        judged = in_savepoint(session, "UPDATE t SET n = 7 WHERE id = 2; SELECT n FROM t WHERE id = 2",
                              undo=lambda a: a.rows[0][0] != 8)
        assert (kept.rows, undone.rows, judged.rows) == (((2,),), ((3,),), ((7,),))
        assert session.execute("SELECT id, n FROM t ORDER BY id").fetchall() == [(1, 2), (2, 5)]
    assert session.execute("SELECT id, n FROM t ORDER BY id").fetchall() == [(1, 1)]


def test_a_scratch_transaction_leaves_no_lock_behind(session, fresh_db: str):
    with scratch(session, "SET CONSTRAINTS ALL IMMEDIATE"):
        in_savepoint(session, "UPDATE t SET n = 3 WHERE id = 1")
        in_savepoint(session, "UPDATE t SET n = 4 WHERE id = 1", undo=True)
    with psycopg.connect(fresh_db, autocommit=True) as other:
        other.execute("SET lock_timeout = '2s'")
        assert other.execute("UPDATE t SET n = 9 WHERE id = 1").rowcount == 1   # no lock waits
    assert session.execute("SELECT n FROM t").fetchone()[0] == 9


def test_scratch_inside_a_transaction_is_a_savepoint(session):
    with session.transaction():
        session.execute("UPDATE t SET n = 2 WHERE id = 1")
        with scratch(session):
            session.execute("UPDATE t SET n = 3 WHERE id = 1")
        assert session.execute("SELECT n FROM t").fetchone()[0] == 2
    assert session.execute("SELECT n FROM t").fetchone()[0] == 2
