"""The lock table of `gen review` (generator/review/locks.py) against a real PostgreSQL: each
statement kind runs on a scratch database inside a transaction and pg_locks must show exactly
the level the table claims, on the table it names and on the table a foreign key references;
statements that cannot run in a transaction (CONCURRENTLY) are caught waiting for their lock."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest

from generator.review import locks

SETUP = """
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (id int PRIMARY KEY, a int, b text, p_id int, c int);
CREATE INDEX t_a ON t (a);
CREATE UNIQUE INDEX t_u ON t (c);
CREATE TRIGGER x AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE POLICY pol ON t USING (true);
ALTER TABLE t ADD CONSTRAINT t_c CHECK (a > 0);
CREATE TYPE e AS ENUM ('a');
CREATE ROLE gen_lock_probe;
"""

# (statement as gen writes it, the table it names, the table it references or None)
SAMPLES = [
    ('CREATE TABLE "n" ("id" integer, CONSTRAINT "n_fk" FOREIGN KEY ("id") REFERENCES "p" ("id"))', None, "p"),
    ('DROP TABLE "t";', "t", None),
    ('ALTER TABLE "t" RENAME TO "t2";', "t", None),
    ('ALTER TABLE "t" RENAME COLUMN "a" TO "a2";', "t", None),
    ('ALTER TABLE "t" RENAME CONSTRAINT "t_c" TO "t_c2";', "t", None),
    ('ALTER TABLE "t" ADD COLUMN "z" integer;', "t", None),
    ('ALTER TABLE "t" ADD COLUMN "g" integer GENERATED ALWAYS AS (a + 1) STORED;', "t", None),
    ('ALTER TABLE "t" DROP COLUMN "b";', "t", None),
    ('ALTER TABLE "t" ALTER COLUMN "a" TYPE bigint;', "t", None),
    ('ALTER TABLE "t" ALTER COLUMN "a" SET NOT NULL;', "t", None),
    ('ALTER TABLE "t" ALTER COLUMN "a" SET DEFAULT 1;', "t", None),
    ('ALTER TABLE "t" ALTER COLUMN "a" DROP DEFAULT;', "t", None),
    ('ALTER TABLE "t"\n  ADD CONSTRAINT "fk" FOREIGN KEY ("p_id") REFERENCES "p" ("id") NOT VALID;', "t", "p"),
    ('ALTER TABLE "t"\n  ADD CONSTRAINT "fk" FOREIGN KEY ("p_id") REFERENCES "p" ("id");', "t", "p"),
    ('ALTER TABLE "t"\n  ADD CONSTRAINT "ck" CHECK (a > 1) NOT VALID;', "t", None),
    ('ALTER TABLE "t"\n  ADD CONSTRAINT "ck" CHECK (a > 1);', "t", None),
    ('ALTER TABLE "t"\n  ADD CONSTRAINT "uq" UNIQUE ("b");', "t", None),
    ('ALTER TABLE "t" ADD CONSTRAINT "t_u" UNIQUE USING INDEX "t_u";', "t", None),
    ('ALTER TABLE "t" VALIDATE CONSTRAINT "t_c";', "t", None),
    ('ALTER TABLE "t" DROP CONSTRAINT "t_c";', "t", None),
    ('ALTER TABLE "t" ENABLE ROW LEVEL SECURITY;', "t", None),
    ('ALTER TABLE "t" NO FORCE ROW LEVEL SECURITY;', "t", None),
    ('CREATE INDEX "i" ON "t" ("b");', "t", None),
    ('DROP INDEX "t_a";', "t", None),
    ('ALTER INDEX "t_a" RENAME TO "t_a2";', "t", None),
    ('CREATE TRIGGER "y"\nAFTER INSERT ON "t"\nFOR EACH ROW\nEXECUTE FUNCTION suppress_redundant_updates_trigger();',
     "t", None),
    ('DROP TRIGGER "x" ON "t";', "t", None),
    ('ALTER TRIGGER "x" ON "t" RENAME TO "x2";', "t", None),
    ('CREATE POLICY "pol2" ON "t"\n  FOR SELECT\n  TO public\n  USING (true);', "t", None),
    ('ALTER POLICY "pol" ON "t"\n  USING (false);', "t", None),
    ('ALTER POLICY "pol" ON "t" RENAME TO "pol3";', "t", None),
    ('DROP POLICY "pol" ON "t";', "t", None),
    ('GRANT SELECT ON "t" TO "gen_lock_probe";', "t", None),
    ('REVOKE SELECT ON "t" FROM "gen_lock_probe";', "t", None),
    ("COMMENT ON TABLE \"t\" IS 'x';", "t", None),
    ("COMMENT ON COLUMN \"t\".\"a\" IS 'x';", "t", None),
    ('CREATE VIEW "v" WITH (security_invoker = true) AS\nSELECT * FROM t;', "t", None),
    ("ALTER TYPE \"e\" RENAME VALUE 'a' TO 'b';", "t", None),
    ("CREATE TYPE \"e2\" AS ENUM ('x');", "t", None),
    ("SELECT setval(pg_get_serial_sequence('t', 'id'), COALESCE(MAX(\"id\"), 0) + 1, false) FROM \"t\";", "t", None),
]
CONCURRENT = [
    ('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "i2" ON "t" ("b");', "t"),
    ('DROP INDEX CONCURRENTLY IF EXISTS "t_a";', "t"),
]


def _level(mode: str) -> str:
    """pg_locks' AccessExclusiveLock -> ACCESS EXCLUSIVE."""
    words = []
    for ch in mode.removesuffix("Lock"):
        if ch.isupper() and words:
            words.append(" ")
        words.append(ch.upper())
    return "".join(words)


def _strongest(modes: set[str]) -> str | None:
    levels = [_level(m) for m in modes]
    return max(levels, key=locks.LEVELS.index) if levels else None


@pytest.fixture
def db(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS gen_lock_probe")
        conn.execute(SETUP)
    yield fresh_db
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP OWNED BY gen_lock_probe")
        conn.execute("DROP ROLE IF EXISTS gen_lock_probe")


def test_every_rule_has_a_sample_or_is_not_a_table_lock():
    covered = {locks.rule_for(sql).kind for sql, _, _ in SAMPLES} | {locks.rule_for(sql).kind for sql, _ in CONCURRENT}
    missing = [r.kind for r in locks.RULES if r.kind not in covered and r.kind not in
               ("add identity", "alter column", "rebuild step", "attach constraint", "drop view",
                "add unique or primary key", "no table lock")]
    assert not missing, missing


def test_lock_levels_match_pg_locks(db):
    wrong = []
    with psycopg.connect(db, autocommit=True) as conn:
        oids = dict(conn.execute("SELECT relname, oid FROM pg_class WHERE relname IN ('t', 'p')").fetchall())
        for sql, table, ref in SAMPLES:
            rule = locks.rule_for(sql)
            conn.execute("BEGIN")
            conn.execute(sql)
            held = conn.execute("SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() "
                                "AND relation = ANY(%s)", (list(oids.values()),)).fetchall()
            conn.execute("ROLLBACK")
            on = {oid: {m for r, m in held if r == oid} for oid in oids.values()}
            got_table = _strongest(on[oids[table]]) if table else None
            got_ref = _strongest(on[oids[ref]]) if ref else None
            if table and got_table != rule.lock and not (rule.lock is None and got_table in (None, "ACCESS SHARE")):
                wrong.append(f"{rule.kind}: {sql!r} takes {got_table} on {table}, the table says {rule.lock}")
            if ref and got_ref != rule.referenced:
                wrong.append(f"{rule.kind}: {sql!r} takes {got_ref} on {ref}, the table says {rule.referenced}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("sql,table", CONCURRENT)
def test_concurrent_statements_wait_for_the_claimed_lock(db, sql, table):
    """Outside a transaction: hold a lock that conflicts, and read what the statement waits for."""
    rule = locks.rule_for(sql)
    with psycopg.connect(db, autocommit=True) as holder, psycopg.connect(db, autocommit=True) as watcher:
        holder.execute("BEGIN")
        holder.execute(f'LOCK TABLE "{table}" IN SHARE UPDATE EXCLUSIVE MODE')
        done = threading.Event()

        def run():
            with psycopg.connect(db, autocommit=True) as conn:
                conn.execute(sql)
            done.set()

        worker = threading.Thread(target=run)
        worker.start()
        waiting = []
        for _ in range(200):
            waiting = watcher.execute(
                "SELECT mode FROM pg_locks WHERE NOT granted AND relation = %s::regclass", (table,)).fetchall()
            if waiting:
                break
            time.sleep(0.05)
        holder.execute("ROLLBACK")
        worker.join(30)
    assert done.is_set()
    assert [_level(m) for (m,) in waiting] == [rule.lock]
