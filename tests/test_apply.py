"""`gen apply` on a real PostgreSQL: one transaction (a failure changes nothing), a no-op on a
database already equal to the spec, the supabase shim when needed, a session advisory lock,
and exit codes 0 / 2 / 3."""
from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from generator.cli import main
from generator.db.apply import APPLY_LOCK, apply_statements
from generator.db.connect import lock_key
from generator.db.inspect import inspect

SPECS = Path(__file__).parent / "specs" / "verify"
TENANTS = str(SPECS / "tenants.yaml")
SUPABASE = str(SPECS / "supabase.yaml")


def _tables(url: str) -> list[str]:
    return [t.name for t in inspect(url).tables]


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_apply_creates_schema_and_seed(fresh_db, capsys):
    assert main(["apply", TENANTS, "--database-url", fresh_db]) == 0
    out = capsys.readouterr().out
    assert "applied" in out and "supabase shim" not in out
    assert "shop_companies" in _tables(fresh_db)
    assert _count(fresh_db, "SELECT count(*) FROM shop_companies WHERE slug = 'acme'") == 1


def test_apply_without_seed(fresh_db):
    assert main(["apply", TENANTS, "--database-url", fresh_db, "--no-seed"]) == 0
    assert _count(fresh_db, "SELECT count(*) FROM shop_companies") == 0


def test_second_apply_is_a_no_op(fresh_db, capsys):
    assert main(["apply", TENANTS, "--database-url", fresh_db]) == 0
    before = inspect(fresh_db)
    capsys.readouterr()
    assert main(["apply", TENANTS, "--database-url", fresh_db]) == 0
    assert "already equals the spec: nothing to apply" in capsys.readouterr().out
    assert inspect(fresh_db) == before
    assert _count(fresh_db, "SELECT count(*) FROM shop_companies") == 1


def test_failure_midway_rolls_back_earlier_statements(fresh_db, capsys):
    with psycopg.connect(fresh_db, autocommit=True) as conn:   # an index name a later statement needs
        conn.execute("CREATE TABLE other (x int); CREATE INDEX shop_orders_company_id_idx ON other (x)")
    assert main(["apply", TENANTS, "--database-url", fresh_db]) == 2
    err = capsys.readouterr().err
    assert "statement 'index shop_orders_company_id_idx' failed" in err       # the failing statement's comment
    assert 'relation "shop_orders_company_id_idx" already exists' in err      # the server's message
    assert _tables(fresh_db) == ["other"]                       # companies, products ... rolled back
    assert _count(fresh_db, "SELECT count(*) FROM pg_type WHERE typname = 'order_status'") == 0


def test_unreachable_server_exits_3(capsys):
    url = "postgresql://postgres@/postgres?host=/nonexistent-gen-socket-dir&connect_timeout=2"
    assert main(["apply", TENANTS, "--database-url", url]) == 3
    err = capsys.readouterr().err
    assert "DB001" in err and "cannot connect" in err


def test_missing_url_is_bad_input(capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["apply", TENANTS]) == 2
    assert "AP002" in capsys.readouterr().err


def test_supabase_spec_gets_the_shim_first(fresh_db, capsys):
    assert main(["apply", SUPABASE, "--database-url", fresh_db]) == 0
    assert "supabase shim first" in capsys.readouterr().out
    assert _count(fresh_db, "SELECT count(*) FROM pg_proc WHERE proname = 'uid'") == 1
    assert "chat_agents" in _tables(fresh_db)


def test_shim_is_skipped_when_auth_uid_exists(fresh_db):
    from generator.pipeline import load_schema
    from generator.postgres.shim import SUPABASE_SHIM
    from generator.targets.sql import schema_statements

    assert apply_statements(fresh_db, [], SUPABASE_SHIM).shim is True
    schema = load_schema(SUPABASE)
    assert apply_statements(fresh_db, schema_statements(schema), SUPABASE_SHIM).shim is False


def _waiting_for_advisory_lock(url: str) -> bool:
    """gen's session asks with pg_try_advisory_lock until it gets the lock."""
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gen' "
           "AND query LIKE 'SELECT pg_try_advisory_lock%' AND datname = current_database()")
    return _count(url, sql) > 0


def test_apply_waits_for_the_advisory_lock(fresh_db):
    """A second apply cannot start while the lock is held; it runs once the lock is released."""
    from generator.pipeline import load_schema
    from generator.targets.sql import schema_statements

    statements = schema_statements(load_schema(TENANTS))
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = apply_statements(fresh_db, statements)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    with psycopg.connect(fresh_db, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key(APPLY_LOCK),))
        worker = threading.Thread(target=run)
        worker.start()
        for _ in range(10_000):                 # poll the server, not the clock
            if _waiting_for_advisory_lock(fresh_db):
                break
        assert _waiting_for_advisory_lock(fresh_db)
        assert _tables(fresh_db) == []           # nothing ran while we held the lock
        holder.execute("SELECT pg_advisory_unlock(%s)", (lock_key(APPLY_LOCK),))
        worker.join()
    assert "error" not in outcome, outcome.get("error")
    assert "shop_companies" in _tables(fresh_db)


@pytest.mark.parametrize("fmt", ["summary", "sql", "json"])
def test_inspect_formats(fresh_db, capsys, fmt):
    assert main(["apply", TENANTS, "--database-url", fresh_db]) == 0
    capsys.readouterr()
    assert main(["inspect", "--database-url", fresh_db, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "summary":
        assert "shop_products: 9 columns" in out and "rls forced" in out
        assert out.strip().splitlines()[-1].startswith("6 tables")
    elif fmt == "sql":
        assert "CREATE TABLE shop_products (" in out
        assert "CREATE POLICY shop_products_tenant_isolation ON shop_products" in out
    else:
        import json
        data = json.loads(out)
        assert {t["name"] for t in data["tables"]} >= {"shop_companies", "shop_orders"}
