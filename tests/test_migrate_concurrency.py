"""Concurrent and interrupted `gen migrate up` as real processes on a real PostgreSQL: two runs
with a pending CREATE INDEX CONCURRENTLY apply it once and the index ends VALID; a cancelled or
killed build records nothing, leaves an INVALID index that drift reports, and the next run
drops and rebuilds it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from generator.migrate.author import new_migration
from generator.migrate.project import load_project
from generator.migrate import runner

ROOT = Path(__file__).resolve().parent.parent
SHOP = (Path(__file__).parent / "migrate" / "shop.yaml").read_text()
CIC = "%CREATE INDEX CONCURRENTLY%products_price_idx%"
WAIT = 60          # seconds: an upper bound for a state to appear, never a timing assertion


def sql(url: str, query: str, *params):
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def until(what: str, check):
    """Poll `check` until it returns something truthy (fail after WAIT seconds)."""
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def gen_process(*args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "generator", *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(p: subprocess.Popen) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=WAIT)
    return p.returncode, out, err


@pytest.fixture
def pending_index(tmp_path, fresh_db):
    """The shop schema applied with rows, and a pending migration building an index
    concurrently. Yields (migrations dir, url, spec)."""
    spec, d = tmp_path / "shop.yaml", tmp_path / "migrations"
    spec.write_text(SHOP)
    new_migration(load_project(str(spec)), d, "init")
    runner.up(fresh_db, d)
    sql(fresh_db, "INSERT INTO companies (slug) VALUES ('acme')")
    sql(fresh_db, "INSERT INTO products (company_id, name, price) SELECT (SELECT id FROM companies), "
                  "'p' || g, g FROM generate_series(1, 2000) g")
    spec.write_text(SHOP.replace("    policies:\n", "    indexes: [[price]]\n    policies:\n"))
    written = new_migration(load_project(str(spec)), d, "price_index").written
    assert [p.name for p in written if p.name.endswith(".up.sql")][0].endswith("_price_index_concurrently.up.sql")
    return d, fresh_db, spec


def blocker(url: str) -> psycopg.Connection:
    """An open transaction holding a lock on products: a concurrent build waits for it (after
    it has created the index, still INVALID)."""
    conn = psycopg.connect(url)
    conn.execute("LOCK TABLE products IN ROW EXCLUSIVE MODE")
    return conn


def building(url: str) -> int | None:
    """The pid of the session whose CREATE INDEX CONCURRENTLY waits for the blocker."""
    rows = sql(url, "SELECT pid FROM pg_stat_activity WHERE query LIKE %s AND wait_event_type = 'Lock' "
                    "AND datname = current_database()", CIC)
    return rows[0][0] if rows else None


def index_valid(url: str):
    rows = sql(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('products_price_idx')")
    return rows[0][0] if rows else None


def history(url: str) -> list[str]:
    return [r[0] for r in sql(url, "SELECT name FROM gen.schema_migrations ORDER BY version")]


def test_two_concurrent_runs_apply_a_concurrent_index_exactly_once(pending_index):
    d, url, _ = pending_index
    hold = blocker(url)
    try:
        first = gen_process("migrate", "up", "--dir", d, "--database-url", url)
        cic = until("a concurrent index build", lambda: building(url))
        second = gen_process("migrate", "up", "--dir", d, "--database-url", url)
        until("the second run asking for the lock", lambda: sql(
            url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'gen' AND pid <> %s "
                 "AND query LIKE 'SELECT pg_try_advisory_lock%%' AND datname = current_database()", cic))
    finally:
        hold.rollback()
        hold.close()
    results = sorted([finish(first), finish(second)], key=lambda r: r[1])
    (code1, out1, err1), (code2, out2, err2) = results
    assert (code1, code2) == (0, 0), err1 + err2
    assert out1.startswith("applied 1 migrations") and out2.startswith("nothing to apply")
    assert "waiting for the lock held by pid" in err2
    assert index_valid(url) is True
    assert len(history(url)) == 2 and history(url)[1].endswith("_price_index_concurrently")


def test_a_cancelled_build_records_nothing_and_the_next_run_rebuilds_it(pending_index):
    d, url, spec = pending_index
    hold = blocker(url)
    try:
        run = gen_process("migrate", "up", "--dir", d, "--database-url", url)
        sql(url, "SELECT pg_cancel_backend(%s)", until("a concurrent index build", lambda: building(url)))
        code, out, err = finish(run)
    finally:
        hold.rollback()
        hold.close()
    assert code == 1 and "MG014" in err and "canceling statement" in err
    assert len(history(url)) == 1                                   # not recorded
    assert index_valid(url) is False                                # what the cancelled build left
    drift = subprocess.run([sys.executable, "-m", "generator", "drift", str(spec), "--database-url", url],
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert drift.returncode == 1 and "rebuild INVALID index products_price_idx on products" in drift.stdout
    code, out, err = finish(gen_process("migrate", "up", "--dir", d, "--database-url", url))
    assert code == 0 and "dropped INVALID index products_price_idx" in err and out.startswith("applied 1")
    assert index_valid(url) is True and len(history(url)) == 2


def test_a_killed_run_records_nothing_and_frees_the_lock(pending_index):
    d, url, _ = pending_index
    hold = blocker(url)
    try:
        run = gen_process("migrate", "up", "--dir", d, "--database-url", url)
        backend = until("a concurrent index build", lambda: building(url))
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=WAIT) == -signal.SIGKILL
        # the server notices the vanished client (client_connection_check_interval) and ends
        # the build and the session, which frees the migration lock
        until("the killed run's backend to end",
              lambda: not sql(url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", backend))
    finally:
        hold.rollback()
        hold.close()
    assert len(history(url)) == 1 and index_valid(url) is False
    code, out, err = finish(gen_process("migrate", "up", "--dir", d, "--database-url", url))
    assert code == 0 and "dropped INVALID index products_price_idx" in err
    assert index_valid(url) is True and len(history(url)) == 2
