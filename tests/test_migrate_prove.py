"""Large and proven plans on a real PostgreSQL: a migration too big for one transaction's locks
is written in transactional parts that replay, revert and replay; a chunked apply that fails
undoes its earlier steps; `migrate prove` applies the plan to a scratch copy with sample rows
(zero drift, no row lost) and the real run refuses a target that changed since."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from generator.cli import main
from generator.db import apply as db_apply
from generator.db.apply import lock_weight
from generator.diagnostics import GenError
from generator.migrate.author import new_migration
from generator.migrate.database import apply_schema
from generator.migrate.files import MigrationDir
from generator.migrate.project import load_project
from generator.migrate.runner import _body
from generator.migrate.verify import verify

ROOT = Path(__file__).resolve().parent.parent
SHOP = (Path(__file__).parent / "migrate" / "shop.yaml").read_text()


def gen(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def sql(url: str, query: str):
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query)
        return cur.fetchall() if cur.description else []


def test_a_migration_over_the_lock_budget_is_written_in_parts_that_round_trip(tmp_path, pg_url, monkeypatch):
    spec = tmp_path / "ai_chat.yaml"
    spec.write_text((ROOT / "spec" / "ai_chat.yaml").read_text())          # with a view
    monkeypatch.setattr(db_apply, "LOCK_BUDGET", 40)
    new_migration(load_project(str(spec)), tmp_path / "m", "init")
    parts = MigrationDir(tmp_path / "m").migrations()
    assert len(parts) > 3 and [m.slug for m in parts][:2] == ["init_part1", "init_part2"]
    assert "CREATE OR REPLACE FUNCTION is_admin()" in parts[0].up_text() and "CREATE VIEW" in parts[-1].up_text()
    for m in parts:
        statements = _body(m.up_text())
        assert len(statements) == 1 or sum(lock_weight(s) for s in statements) <= 40 or \
            sum(1 for s in statements if "CREATE TABLE" in s) == 1          # one table never splits
    result = verify(load_project(str(spec)).schema, tmp_path / "m", pg_url)
    assert result.checks[-1] == "down to empty and up again"


def test_a_chunked_apply_that_fails_undoes_its_earlier_steps(tmp_path, fresh_db, monkeypatch):
    spec = tmp_path / "shop.yaml"
    spec.write_text(SHOP)
    sql(fresh_db, "CREATE TABLE other (x int); CREATE INDEX products_company_id_idx ON other (x)")   # a clash, late
    monkeypatch.setattr(db_apply, "LOCK_BUDGET", 5)
    with pytest.raises(GenError) as failed:
        apply_schema(fresh_db, load_project(str(spec)).schema)
    assert failed.value.diagnostics[0].code == "AP001" and "were undone" in failed.value.diagnostics[0].hint
    assert sql(fresh_db, "SELECT to_regclass('companies'), to_regclass('products'), to_regtype('status')") == \
        [(None, None, None)]


@pytest.fixture
def target(tmp_path, fresh_db, capsys):
    """The shop schema migrated, with rows, and a pending migration adding a column."""
    spec, d = tmp_path / "shop.yaml", tmp_path / "m"
    spec.write_text(SHOP)
    gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    sql(fresh_db, "INSERT INTO companies (slug) VALUES ('acme')")
    spec.write_text(SHOP.replace("      legacy: text\n", "      legacy: text\n      stock: integer! = 0\n"))
    gen(capsys, "migrate", "new", "stock", "--spec", spec, "--dir", d)
    return spec, d, fresh_db


def test_prove_then_apply_refusing_a_target_that_changed(target, pg_url, capsys):
    spec, d, url = target
    code, out, err = gen(capsys, "migrate", "prove", "--spec", spec, "--dir", d, "--database-url", url,
                         "--scratch-url", pg_url)
    assert code == 0, err
    assert "zero drift from" in out and "no row lost" in out and "  products: 3 -> 3" in out
    fingerprint = out.split("fingerprint: ")[1].split()[0]
    sql(url, "ALTER TABLE products ADD COLUMN sneaked_in text")
    code, _, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", url, "--fingerprint", fingerprint)
    assert code == 1 and "MG062" in err and "changed since the plan was proven" in err
    assert sql(url, "SELECT count(*) FROM gen.schema_migrations") == [(1,)]
    sql(url, "ALTER TABLE products DROP COLUMN sneaked_in")
    code, out, err = gen(capsys, "migrate", "up", "--spec", spec, "--dir", d, "--database-url", url, "--prove",
                         "--scratch-url", pg_url)
    assert code == 0 and "proven:" in err and "applied 1 migrations" in out
    assert gen(capsys, "drift", spec, "--database-url", url)[0] == 0


def test_prove_finds_lost_rows(target, pg_url, capsys):
    spec, d, url = target
    gen(capsys, "migrate", "new", "purge", "--empty", "--dir", d)
    (up,) = d.glob("*_purge.up.sql")
    up.write_text(up.read_text().replace("-- your SQL here, e.g.\n", "DELETE FROM products;\n"))
    MigrationDir(d).write_sum()
    code, _, err = gen(capsys, "migrate", "prove", "--spec", spec, "--dir", d, "--database-url", url,
                       "--scratch-url", pg_url)
    assert code == 1 and "MG061" in err and "table products lost rows: 3 sample rows before, 0 after" in err
    assert sql(url, "SELECT count(*) FROM gen.schema_migrations") == [(1,)]         # the target is untouched
