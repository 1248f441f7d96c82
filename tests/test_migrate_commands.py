"""The migration commands as a user runs them (`gen migrate …`, `gen diff`, `gen drift`,
`gen seed`, `gen reset`) on a real PostgreSQL: output, exit codes, and what they refuse."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import psycopg
import pytest

from generator.cli import main

SHOP = (Path(__file__).parent / "migrate" / "shop.yaml").read_text()


def gen(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(url: str, query: str):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture
def spec(tmp_path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    return path


def test_new_up_status_down_as_commands(spec, tmp_path, fresh_db, capsys):
    d = tmp_path / "migrations"
    code, out, _ = gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)
    assert code == 0 and "wrote 3 files" in out
    code, out, _ = gen(capsys, "migrate", "status", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and "  init  pending  -  " in out and "0 applied, 1 pending" in out
    code, out, err = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and out.startswith("applied 1 migrations") and "applying" in err
    code, out, _ = gen(capsys, "migrate", "new", "again", "--spec", spec, "--dir", d)
    assert code == 0 and "no changes" in out and len(list(d.iterdir())) == 4
    code, out, _ = gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and "nothing to apply" in out
    code, out, _ = gen(capsys, "migrate", "status", "--dir", d, "--database-url", fresh_db, "--format", "json")
    assert code == 0 and '"applied_at": "20' in out
    code, out, _ = gen(capsys, "migrate", "down", "--dir", d, "--database-url", fresh_db)
    assert code == 0 and out.startswith("reverted 1 migrations")
    assert rows(fresh_db, "SELECT to_regclass('products')") == [(None,)]


def test_status_is_an_aligned_table(spec, tmp_path, fresh_db, capsys):
    # audit: "applied 2026-11-22 04:55:1220261122045511_init": the time ran into the version
    d = tmp_path / "migrations"
    assert gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)[0] == 0
    assert gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)[0] == 0
    spec.write_text(SHOP.replace("      legacy: text\n", "      legacy: text\n      note: text\n"))
    assert gen(capsys, "migrate", "new", "add_note", "--spec", spec, "--dir", d)[0] == 0
    code, out, _ = gen(capsys, "migrate", "status", "--dir", d, "--database-url", fresh_db)
    assert code == 0
    header, first, second, total = out.splitlines()
    assert header.split() == ["VERSION", "NAME", "STATE", "APPLIED", "AT", "CHECKSUM"]
    v1, v2 = sorted(p.name.split("_")[0] for p in d.glob("*.up.sql"))
    assert re.fullmatch(rf"{v1}  init      applied  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC  h1:\S{{9}}", first)
    assert re.fullmatch(rf"{v2}  add_note  pending  -\s+h1:\S{{9}}", second)
    for column in ("NAME", "STATE", "APPLIED AT", "CHECKSUM"):     # every row starts each column at the header's
        at = header.index(column)
        assert first[at - 2:at] == second[at - 2:at] == "  " and first[at] != " " and second[at] != " "
    assert total == "1 applied, 1 pending"
    code, out, _ = gen(capsys, "migrate", "status", "--dir", d, "--database-url", fresh_db, "--format", "json")
    listed = json.loads(out)["migrations"]
    assert [(m["version"], m["state"]) for m in listed] == [(v1, "applied"), (v2, "pending")]
    assert all(m["checksum"].startswith("h1:") for m in listed)


def test_destructive_change_exits_1_unless_acknowledged(spec, tmp_path, capsys):
    d = tmp_path / "migrations"
    assert gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)[0] == 0
    spec.write_text(SHOP.replace("      legacy: text\n", ""))
    code, _, err = gen(capsys, "migrate", "new", "drop_legacy", "--spec", spec, "--dir", d)
    assert code == 1 and "MG001" in err and "drop_column:products.legacy" in err
    assert len(list(d.iterdir())) == 4                                  # nothing written
    code, out, _ = gen(capsys, "migrate", "new", "drop_legacy", "--spec", spec, "--dir", d, "--allow-destructive")
    assert code == 0 and "acknowledged destructive changes: drop_column:products.legacy" in out


def test_diff_prints_the_migration_and_exit_code_flags_changes(spec, tmp_path, capsys):
    new = tmp_path / "new.yaml"
    new.write_text(SHOP.replace("      price: integer", "      price: bigint"))
    code, out, _ = gen(capsys, "diff", spec, new)
    assert code == 0 and "ALTER TABLE products ALTER COLUMN price TYPE bigint USING price::bigint;" in out
    assert gen(capsys, "diff", spec, new, "--exit-code")[0] == 1
    code, out, _ = gen(capsys, "diff", spec, spec, "--exit-code")
    assert code == 0 and "-- no changes" in out


def test_diff_reads_the_old_spec_from_git(spec, tmp_path, capsys, monkeypatch):
    git = ["git", "-c", "user.name=gen test", "-c", "user.email=test@gen.local"]
    subprocess.run(git + ["init", "-q", str(tmp_path)], check=True)
    subprocess.run(git + ["-C", str(tmp_path), "add", "shop.yaml"], check=True)
    subprocess.run(git + ["-C", str(tmp_path), "commit", "-qm", "v1"], check=True)
    spec.write_text(SHOP.replace("      code: text\n", "      code: text\n      sku: text\n"))
    monkeypatch.chdir(tmp_path)
    code, out, _ = gen(capsys, "diff", "git:HEAD:shop.yaml", "shop.yaml", "--exit-code")
    assert code == 1 and "ALTER TABLE products ADD COLUMN sku text;" in out
    code, _, err = gen(capsys, "diff", "git:HEAD:missing.yaml", "shop.yaml")
    assert code == 2 and "MG031" in err


def test_drift_lists_what_the_live_database_lacks(spec, tmp_path, fresh_db, capsys):
    d = tmp_path / "migrations"
    gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    code, out, _ = gen(capsys, "drift", spec, "--database-url", fresh_db)
    assert code == 0 and "in sync" in out
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("ALTER TABLE products ADD COLUMN extra integer; DROP INDEX products_company_id_idx")
    code, out, _ = gen(capsys, "drift", spec, "--database-url", fresh_db)
    assert code == 1 and "drop column products.extra" in out and "index products_company_id_idx" in out


def test_seed_is_idempotent(spec, tmp_path, fresh_db, capsys):
    d = tmp_path / "migrations"
    gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    code, out, _ = gen(capsys, "seed", spec, "--database-url", fresh_db)
    assert code == 0 and "seeded 1 tables: 2 rows inserted or updated" in out
    before = rows(fresh_db, "SELECT slug, xmin::text FROM companies ORDER BY slug")
    assert [r[0] for r in before] == ["acme", "globex"]
    code, out, _ = gen(capsys, "seed", spec, "--database-url", fresh_db)
    assert code == 0 and "nothing changed" in out
    assert rows(fresh_db, "SELECT slug, xmin::text FROM companies ORDER BY slug") == before   # no row rewritten


def test_reset_refuses_what_looks_like_production(spec, tmp_path, fresh_db, capsys, monkeypatch):
    d = tmp_path / "migrations"
    gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)
    gen(capsys, "migrate", "up", "--dir", d, "--database-url", fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO companies (slug) VALUES ('customer')")
    monkeypatch.setenv("GEN_ENV", "Production")
    code, _, err = gen(capsys, "reset", spec, "--database-url", fresh_db, "--dir", d)
    assert code == 1 and "MG040" in err and "GEN_ENV=Production" in err
    monkeypatch.delenv("GEN_ENV")
    spec.write_text(SHOP.replace("spec: 1\n", "spec: 1\ndatabase: {protected: ['gen_test_*']}\n"))
    code, _, err = gen(capsys, "reset", spec, "--database-url", fresh_db, "--dir", d)
    assert code == 1 and "matches database.protected pattern 'gen_test_*'" in err
    assert rows(fresh_db, "SELECT count(*) FROM companies") == [(1,)]            # untouched
    code, out, _ = gen(capsys, "reset", spec, "--database-url", fresh_db, "--dir", d, "--i-know-this-is-production")
    assert code == 0 and "migrated (1 migrations)" in out and "seeded 1 tables" in out
    assert rows(fresh_db, "SELECT slug FROM companies ORDER BY slug") == [("acme",), ("globex",)]
    assert gen(capsys, "drift", spec, "--database-url", fresh_db)[0] == 0


def test_reset_without_migrations_applies_the_full_schema(spec, tmp_path, fresh_db, capsys):
    code, out, _ = gen(capsys, "reset", spec, "--database-url", fresh_db, "--dir", tmp_path / "none")
    assert code == 0 and "applied the full schema" in out
    assert gen(capsys, "drift", spec, "--database-url", fresh_db)[0] == 0
    assert rows(fresh_db, "SELECT count(*) FROM companies") == [(2,)]


def test_verify_command_on_an_embedded_or_given_server(spec, tmp_path, pg_url, capsys):
    d = tmp_path / "migrations"
    gen(capsys, "migrate", "new", "init", "--spec", spec, "--dir", d)
    code, out, _ = gen(capsys, "migrate", "verify", "--spec", spec, "--dir", d, "--database-url", pg_url)
    assert code == 0 and "down to empty and up again" in out
    spec.write_text(SHOP.replace("      price: integer", "      price: numeric(10, 2)"))
    code, _, err = gen(capsys, "migrate", "verify", "--spec", spec, "--dir", d, "--database-url", pg_url)
    assert code == 1 and "MG021" in err
