"""The migration workflow teams run, as commands on a real PostgreSQL: import -> baseline ->
change -> new -> up; hand-written (data) migrations and `hash`; removing a failed migration;
squash (fresh and existing databases agree); push; apply twice; down refusing to drop data;
production protection; the rows that block a UNIQUE or NOT NULL; enum values a view reads;
every example up -> down -> up from the command line, Supabase ones in Supabase's layout."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from generator.cli import main
from generator.db.inspect import inspect
from generator.migrate.database import drift
from generator.migrate.files import MigrationDir
from generator.migrate.project import load_project
from generator.migrate.protect import production_reasons
from generator.migrate.verify import differences
from generator.model import Schema

ROOT = Path(__file__).resolve().parent.parent
SHOP = (Path(__file__).parent / "migrate" / "shop.yaml").read_text()
EXAMPLES = sorted((ROOT / "spec").glob("*.yaml"))


def gen(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def sql(url: str, query: str, *params):
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def history(url: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in sql(url, "SELECT name, checksum FROM gen.schema_migrations ORDER BY version")]


@pytest.fixture
def shop(tmp_path) -> Path:
    spec = tmp_path / "shop.yaml"
    spec.write_text(SHOP)
    return spec


def edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text()
    assert old in text, old
    spec.write_text(text.replace(old, new))


# ---------------------------------------------------------------- baseline

def test_import_baseline_change_new_up(shop, tmp_path, fresh_db, capsys):
    assert gen(capsys, "apply", shop, "--database-url", fresh_db)[0] == 0          # an existing database
    spec, d = tmp_path / "imported.yaml", tmp_path / "m"
    assert gen(capsys, "import", "--database-url", fresh_db, "-o", spec)[0] == 0
    code, out, _ = gen(capsys, "migrate", "baseline", "--spec", spec, "--dir", d, "--database-url", fresh_db)
    assert code == 0 and "recorded as applied" in out and "_baseline.up.sql" in out
    assert [name for name, _ in history(fresh_db)] == [MigrationDir(d).migrations()[0].name]
    code, out, _ = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and "nothing to apply" in out                        # the baseline is not run again
    edit(spec, "      legacy: text\n", "      legacy: text\n      stock: integer! = 0\n")
    assert gen(capsys, "migrate", "new", "add_stock", "--spec", spec, "--dir", d)[0] == 0
    code, out, _ = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and "add_stock" in out
    assert gen(capsys, "drift", spec, "--database-url", fresh_db)[0] == 0


def test_baseline_refuses_a_database_that_differs(shop, tmp_path, fresh_db, capsys):
    assert gen(capsys, "apply", shop, "--database-url", fresh_db)[0] == 0
    sql(fresh_db, "ALTER TABLE products ADD COLUMN extra text")
    code, _, err = gen(capsys, "migrate", "baseline", "--spec", shop, "--dir", tmp_path / "m",
                       "--database-url", fresh_db)
    assert code == 1 and "MG050" in err and "drop column products.extra" in err
    assert not (tmp_path / "m").exists() and sql(fresh_db, "SELECT to_regclass('gen.schema_migrations')") == [(None,)]


# ---------------------------------------------------------------- hand-written migrations, hash, rm

def test_empty_migration_with_a_backfill_is_checksummed(shop, tmp_path, fresh_db, capsys):
    d = tmp_path / "m"
    gen(capsys, "migrate", "new", "init", "--spec", shop, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    sql(fresh_db, "INSERT INTO companies (slug) VALUES ('acme')")
    code, out, _ = gen(capsys, "migrate", "new", "backfill", "--empty", "--spec", shop, "--dir", d)
    assert code == 0 and "gen migrate hash" in out
    (up,) = d.glob("*_backfill.up.sql")
    up.write_text(up.read_text().replace("-- your SQL here, e.g.\n", "UPDATE companies SET slug = upper(slug);\n"))
    code, _, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 1 and "MG010" in err and "gen migrate hash" in err            # edited: gen.sum says so
    code, out, _ = gen(capsys, "migrate", "hash", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and up.name in out
    assert gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)[0] == 0
    assert sql(fresh_db, "SELECT slug FROM companies") == [("ACME",)]
    assert history(fresh_db)[-1] == (up.name.removesuffix(".up.sql"), MigrationDir(d).migrations()[-1].up_checksum())
    up.write_text(up.read_text() + "\n-- an edit after it was applied\n")
    code, _, err = gen(capsys, "migrate", "hash", "--dir", d, "--database-url", fresh_db)
    assert code == 1 and "MG011" in err                                          # applied: hash refuses


def test_a_failed_migration_is_removed_and_written_again(shop, tmp_path, fresh_db, capsys):
    d = tmp_path / "m"
    gen(capsys, "migrate", "new", "init", "--spec", shop, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    sql(fresh_db, "INSERT INTO companies (slug) VALUES ('acme')")
    sql(fresh_db, "INSERT INTO products (company_id, name, code) SELECT id, 'x', 'abc' FROM companies")
    edit(shop, "      code: text", "      code: integer")
    edit(shop, "  lock_timeout: 3s", "  lock_timeout: 3s\n  allow_destructive: ['alter_type:products.code']")
    gen(capsys, "migrate", "new", "code_int", "--spec", shop, "--dir", d)
    code, _, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 1 and "MG014" in err
    code, out, _ = gen(capsys, "migrate", "rm", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and "code_int.up.sql" in out and not list(d.glob("*code_int*"))
    MigrationDir(d).check_sum()                                                  # gen.sum is consistent
    code, _, err = gen(capsys, "migrate", "rm", "--dir", d, "--database-url", fresh_db)
    assert code == 1 and "MG052" in err and "is applied" in err                  # init is applied: kept


# ---------------------------------------------------------------- squash

def test_squash_then_up_on_a_fresh_database_equals_the_unsquashed(shop, tmp_path, pg_url, capsys):
    from generator.db.server import scratch_database
    d = tmp_path / "m"
    gen(capsys, "migrate", "new", "init", "--spec", shop, "--dir", d)
    edit(shop, "status: [draft, active, archived]", "status: [new, draft, active, archived]")
    gen(capsys, "migrate", "new", "status_new", "--spec", shop, "--dir", d)
    edit(shop, "    policies:\n", "    indexes: [[price]]\n    policies:\n")
    gen(capsys, "migrate", "new", "price_index", "--spec", shop, "--dir", d)
    assert len(MigrationDir(d).migrations()) == 3
    with scratch_database(pg_url) as old, scratch_database(pg_url) as fresh, scratch_database(pg_url) as behind:
        assert gen(capsys, "migrate", "up", "--dir", d, "--database-url", old)[0] == 0
        assert gen(capsys, "migrate", "up", "1", "--dir", d, "--database-url", behind)[0] == 0
        code, out, _ = gen(capsys, "migrate", "squash", "--spec", shop, "--dir", d)
        assert code == 0 and "squashed 3 migrations" in out and len(MigrationDir(d).migrations()) == 1
        assert gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh)[0] == 0
        assert differences(inspect(fresh), inspect(old)) == []                  # same schema
        code, out, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", old)
        assert code == 0 and "nothing to apply" in out and "recorded as" in err
        assert history(old) == history(fresh)                                    # same history
        code, _, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", behind)
        assert code == 1 and "MG054" in err                                      # stopped inside the range


# ---------------------------------------------------------------- push and apply

def test_push_is_the_development_loop(shop, fresh_db, capsys):
    code, out, _ = gen(capsys, "push", shop, "--database-url", fresh_db)
    assert code == 0 and out.startswith("pushed") and gen(capsys, "drift", shop, "--database-url", fresh_db)[0] == 0
    code, out, _ = gen(capsys, "push", shop, "--database-url", fresh_db)
    assert code == 0 and "nothing to push" in out
    sql(fresh_db, "INSERT INTO companies (slug) VALUES ('acme')")
    sql(fresh_db, "INSERT INTO products (company_id, name, legacy) SELECT id, 'x', 'keep me' FROM companies")
    edit(shop, "      legacy: text\n", "      sku: text\n")
    code, out, _ = gen(capsys, "push", shop, "--database-url", fresh_db, "--dry-run")
    assert code == 0 and "DROP COLUMN legacy" in out and "destructive" in out
    code, _, err = gen(capsys, "push", shop, "--database-url", fresh_db)
    assert code == 1 and "MG001" in err and sql(fresh_db, "SELECT legacy FROM products") == [("keep me",)]
    code, out, _ = gen(capsys, "push", shop, "--database-url", fresh_db, "--allow-destructive")
    assert code == 0 and "drop column products.legacy" in out
    assert gen(capsys, "drift", shop, "--database-url", fresh_db)[0] == 0
    assert sql(fresh_db, "SELECT name FROM products") == [("x",)]              # the rest of the row stays


def test_apply_twice_is_a_no_op_and_a_different_schema_is_refused(shop, fresh_db, capsys):
    assert gen(capsys, "apply", shop, "--database-url", fresh_db)[0] == 0
    code, out, _ = gen(capsys, "apply", shop, "--database-url", fresh_db)
    assert code == 0 and "already equals the spec: nothing to apply" in out
    edit(shop, "      legacy: text\n", "      legacy: text\n      sku: text\n")
    code, _, err = gen(capsys, "apply", shop, "--database-url", fresh_db)
    assert code == 1 and "AP003" in err and "gen push" in err


# ---------------------------------------------------------------- data safety

def test_down_that_drops_data_and_production_are_refused(shop, tmp_path, fresh_db, capsys, monkeypatch):
    d = tmp_path / "m"
    gen(capsys, "migrate", "new", "init", "--spec", shop, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    sql(fresh_db, "INSERT INTO companies (slug) VALUES ('acme'), ('globex')")
    code, _, err = gen(capsys, "migrate", "down", "--dir", d, "--database-url", fresh_db)
    assert code == 1 and "MG041" in err and "table companies (2 rows)" in err
    monkeypatch.setenv("GEN_ENV", "production")
    code, _, err = gen(capsys, "migrate", "down", "--dir", d, "--database-url", fresh_db, "--allow-destructive")
    assert code == 1 and "MG040" in err and "GEN_ENV=production" in err
    assert sql(fresh_db, "SELECT count(*) FROM companies") == [(2,)]
    code, _, _ = gen(capsys, "migrate", "down", "--dir", d, "--database-url", fresh_db, "--allow-destructive",
                     "--i-know-this-is-production")
    assert code == 0 and sql(fresh_db, "SELECT to_regclass('companies')") == [(None,)]


def test_the_production_rule():
    empty = Schema.empty()
    assert production_reasons("postgresql://h/shop_production", empty, {}) == \
        ["database name 'shop_production' contains the word 'production'"]
    assert production_reasons("postgresql://db.prod.internal/shop", empty, {}) == \
        ["host 'db.prod.internal' contains the word 'prod'"]
    assert production_reasons("postgresql://localhost/delivery_dev", empty, {}) == []      # not 'live'
    assert production_reasons("postgresql://localhost/shop", empty, {"GEN_ENV": "Live"}) == ["GEN_ENV=Live"]


def test_reset_with_a_malformed_url_is_an_error_not_a_traceback(shop, capsys):
    code, _, err = gen(capsys, "reset", shop, "--database-url", "postgresql://x:y@/db?bogus=1")
    assert code == 2 and "DB002" in err and "Traceback" not in err


def test_unique_and_not_null_name_the_rows_that_block_them(shop, tmp_path, fresh_db, capsys):
    d = tmp_path / "m"
    gen(capsys, "migrate", "new", "init", "--spec", shop, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    sql(fresh_db, "INSERT INTO companies (slug) VALUES ('acme')")
    sql(fresh_db, "INSERT INTO products (company_id, name, code, price) SELECT id, n, '101', p FROM companies, "
                  "(VALUES ('a', 1), ('b', NULL), ('c', 3)) v(n, p)")
    edit(shop, "      code: text", "      code: text unique")
    code, _, err = gen(capsys, "migrate", "new", "code_unique", "--spec", shop, "--dir", d)
    assert code == 0 and "MG003" in err                                           # warned when written
    code, _, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 1 and "products (code) has duplicate values: (101) in 3 rows" in err
    sql(fresh_db, "UPDATE products SET code = name")
    assert gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)[0] == 0
    edit(shop, "      price: integer", "      price: integer!")
    edit(shop, "  lock_timeout: 3s", "  lock_timeout: 3s\n  allow_destructive: ['set_not_null:products.price']")
    gen(capsys, "migrate", "new", "price_required", "--spec", shop, "--dir", d)
    code, _, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    (blocked,) = sql(fresh_db, "SELECT id FROM products WHERE price IS NULL")
    assert code == 1 and f"1 rows of products hold NULL in price, e.g. id={blocked[0]}" in err


def test_removing_an_enum_value_a_view_reads_recreates_the_view(shop, tmp_path, fresh_db, capsys):
    d = tmp_path / "m"
    shop.write_text(shop.read_text() + "views:\n  live_products:\n"
                    "    query: \"SELECT id, name, status FROM products WHERE status <> 'draft'\"\n")
    gen(capsys, "migrate", "new", "init", "--spec", shop, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    edit(shop, "status: [draft, active, archived]", "status: [draft, active]")
    edit(shop, "  lock_timeout: 3s", "  lock_timeout: 3s\n  allow_destructive: ['drop_enum_value:status.archived']")
    gen(capsys, "migrate", "new", "no_archived", "--spec", shop, "--dir", d)
    code, _, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 0, err
    assert drift(fresh_db, load_project(str(shop)).schema) == []
    assert sql(fresh_db, "SELECT enum_range(NULL::status)::text") == [("{draft,active}",)]


# ---------------------------------------------------------------- every example, from the command line

@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_goes_up_down_and_up_on_plain_postgresql(spec, tmp_path, fresh_db, capsys):
    """Supabase-flavoured ones in Supabase's layout: the runner adds the shim on plain PostgreSQL."""
    supabase = load_project(str(spec)).schema.settings.flavor == "supabase"
    d = tmp_path / ("supabase/migrations" if supabase else "migrations")
    assert gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)[0] == 0
    if supabase:
        assert [p.name for p in d.iterdir()] == [MigrationDir(d).migrations()[0].name + ".sql"]
        assert (tmp_path / "supabase" / "gen" / "gen.sum").exists()
    for action in ("up", "down", "up"):
        code, _, err = gen(capsys, "migrate", action, "--dir", d, "--database-url", fresh_db)
        assert code == 0, err
    assert gen(capsys, "drift", spec, "--database-url", fresh_db)[0] == 0
    code, out, err = gen(capsys, "push", spec, "--database-url", fresh_db, "--dry-run")
    assert code == 0 and "nothing to push" in out, out + err                   # push agrees with drift
    assert gen(capsys, "reset", spec, "--dir", d, "--database-url", fresh_db)[0] == 0
    assert gen(capsys, "drift", spec, "--database-url", fresh_db)[0] == 0
