"""Migrations on a real PostgreSQL: empty -> up -> down -> up equals the spec each time;
scripted evolutions of tests/migrate/shop.yaml write the expected statements, keep data
where promised, converge, and pass squawk (or its reviewed allowlist); failures, edited
files and concurrent runs stop safely."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase
from pathlib import Path

import psycopg
import pytest
import yaml

from generator.db.connect import lock_key
from generator.db.inspect import inspect
from generator.diagnostics import GenError
from generator.diff import diff
from generator.migrate import history, runner
from generator.migrate.author import changes_between, new_migration
from generator.migrate.files import MigrationDir
from generator.migrate.project import load_project
from generator.migrate.verify import differences, verify
from generator.model import Schema
from generator.postgres.normalize import normalize

HERE = Path(__file__).parent / "migrate"
SHOP = (HERE / "shop.yaml").read_text()
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "spec").glob("*.yaml"))
ALLOWLIST = yaml.safe_load((HERE / "squawk_allowlist.yaml").read_text())
SQUAWK_VERSION = "2.70.0"


# ---------------------------------------------------------------- harness

class Repo:
    """A spec file and its migrations directory in tmp_path, and the database they migrate."""

    def __init__(self, tmp_path: Path, url: str, text: str = SHOP):
        self.spec, self.dir, self.url = tmp_path / "shop.yaml", tmp_path / "migrations", url
        self.clock = datetime(2025, 1, 1, tzinfo=timezone.utc)
        self.write(text)

    def write(self, text: str) -> None:
        self.text = text
        self.spec.write_text(text)

    def edit(self, *edits: tuple[str, str]) -> None:
        text = self.text
        for old, new in edits:
            assert old in text, old
            text = text.replace(old, new)
        self.write(text)

    def new(self, name: str, allow: bool = False) -> list[Path]:
        self.clock += timedelta(days=1)
        written = new_migration(load_project(str(self.spec)), self.dir, name, allow, self.clock).written
        squawk_clean(written)
        return written

    def up(self, count=None):
        return [m.name for m in runner.up(self.url, self.dir, count).done]

    def down(self, count=1, allow=False):
        return [m.name for m in runner.down(self.url, self.dir, count, allow_destructive=allow).done]

    def model(self) -> Schema:
        return load_project(str(self.spec)).schema

    def in_sync(self) -> list[str]:
        """Differences between the live database and the spec (empty when equal)."""
        return differences(inspect(self.url), self.model())

    def converged(self) -> bool:
        """The database inspects equal to the spec, and the spec re-diffs empty against the
        last snapshot (another `migrate new` would write nothing)."""
        last = MigrationDir(self.dir).last_snapshot()[1]
        return self.in_sync() == [] and changes_between(last, self.model()) == []

    def rows(self, query: str, *params):
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def run(self, sql: str, *params) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql, params)


def up_sql(written: list[Path]) -> str:
    return "\n".join(p.read_text() for p in written if p.name.endswith(".up.sql"))


def squawk_clean(paths: list[Path]) -> None:
    """squawk on every generated SQL file: each finding must be allowlisted for that file."""
    files = [str(p) for p in paths if p.suffix == ".sql"]
    if not files:
        return
    exe = shutil.which("squawk")
    if exe is None:
        pytest.fail(f"squawk is not installed: pip install squawk-cli=={SQUAWK_VERSION}", pytrace=False)
    done = subprocess.run([exe, "--reporter", "json", "--pg-version", "16", *files], capture_output=True, text=True)
    findings = json.loads(done.stdout or "[]")
    bad = [f"{Path(f['file']).name}:{f['line']}: {f['rule_name']}: {f['message']}" for f in findings
           if not any(fnmatchcase(Path(f["file"]).name, pattern)
                      for pattern in ALLOWLIST.get(f["rule_name"], {}).get("files", []))]
    assert not bad, "squawk findings not in tests/migrate/squawk_allowlist.yaml:\n" + "\n".join(bad)


@pytest.fixture
def shop(tmp_path, fresh_db) -> Repo:
    """The base spec migrated (first migration = full schema) with two companies and two products."""
    repo = Repo(tmp_path, fresh_db)
    repo.new("init")
    assert repo.up() and repo.in_sync() == []
    acme = repo.rows("INSERT INTO companies (slug) VALUES ('acme') RETURNING id")[0][0]
    repo.run("INSERT INTO products (company_id, name, price, code, legacy, status) VALUES "
             "(%s, 'Widget', 10, '101', 'old', 'active'), (%s, 'Gadget', NULL, '202', NULL, 'archived')", acme, acme)
    return repo


def errors(exc: pytest.ExceptionInfo) -> list[str]:
    return [d.code for d in exc.value.diagnostics]


# ---------------------------------------------------------------- empty -> up -> down -> up

@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_example_specs_replay_down_to_empty_and_up_again(spec, tmp_path, pg_url):
    project = load_project(str(spec))
    written = new_migration(project, tmp_path / "m", "init").written
    squawk_clean(written)
    result = verify(project.schema, tmp_path / "m", pg_url)
    assert result.checks[-1] == "down to empty and up again"


def test_up_down_up_equals_the_spec_each_time_and_a_second_up_does_nothing(tmp_path, fresh_db):
    repo = Repo(tmp_path, fresh_db)
    repo.new("init")
    assert repo.up() == ["20250102000000_init"]
    assert repo.in_sync() == []
    assert repo.up() == []                                          # second up: nothing to do
    assert repo.down() == ["20250102000000_init"]
    assert differences(inspect(repo.url), Schema.empty()) == []
    assert repo.rows(f"SELECT count(*) FROM {history.TABLE}") == [(0,)]
    assert repo.up() == ["20250102000000_init"] and repo.in_sync() == []


def test_nothing_changed_writes_nothing(shop):
    before = sorted(p.name for p in shop.dir.iterdir())
    assert shop.new("again") == []
    assert sorted(p.name for p in shop.dir.iterdir()) == before


def test_first_migration_is_the_full_schema_with_snapshot_and_sums(tmp_path, fresh_db):
    repo = Repo(tmp_path, fresh_db)
    written = [p.name for p in repo.new("init")]
    assert written == ["20250102000000_init.up.sql", "20250102000000_init.down.sql",
                       "20250102000000_init.snapshot.json"]
    up = (repo.dir / written[0]).read_text()
    assert "SET lock_timeout = '3s';" in up and "\nBEGIN;\n" in up and "CREATE TABLE products" in up
    sums = (repo.dir / "gen.sum").read_text().splitlines()
    assert sums[0].startswith("h1:") and [line.split()[0] for line in sums[1:]] == sorted(written)


# ---------------------------------------------------------------- scripted evolutions

def test_add_drop_and_rename_columns_keep_data(shop):
    shop.edit(("      name: text!", "      title: {type: text, nullable: false, renamed_from: name}"),
              ("      legacy: text\n", "      stock: integer! = 0\n"))
    with pytest.raises(GenError) as refused:
        shop.new("columns")
    assert errors(refused) == ["MG001"] and refused.value.exit_code == 1
    assert "drop_column:products.legacy" in str(refused.value.diagnostics[0].hint)
    shop.edit(("  lock_timeout: 3s", "  lock_timeout: 3s\n  allow_destructive: [drop_column:products.legacy]"))
    written = shop.new("columns")
    sql = up_sql(written)
    down = next(p for p in written if p.name.endswith(".down.sql")).read_text()
    assert "-- gen:data-not-restored drop_column:products.legacy" in down
    for line in ("ALTER TABLE products RENAME COLUMN name TO title;", "ALTER TABLE products DROP COLUMN legacy;",
                 "ALTER TABLE products ADD COLUMN stock integer NOT NULL DEFAULT 0;"):
        assert line in sql
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT title, stock FROM products ORDER BY title") == [("Gadget", 0), ("Widget", 0)]
    with pytest.raises(GenError) as refused:            # the down drops stock, which holds data
        shop.down()
    assert errors(refused) == ["MG041"] and "column products.stock (2 rows hold a value)" in str(refused.value)
    shop.down(allow=True)
    assert shop.rows("SELECT name, legacy FROM products ORDER BY name") == [("Gadget", None), ("Widget", None)]
    shop.up()
    assert shop.converged()


def test_rename_table_keeps_rows_and_policies(shop):
    shop.edit(("  products:\n", "  items:\n    renamed_from: products\n"))
    sql = up_sql(shop.new("rename_table"))
    assert "ALTER TABLE products RENAME TO items;" in sql and "DROP TABLE" not in sql
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT name FROM items ORDER BY name") == [("Gadget",), ("Widget",)]
    assert shop.rows("SELECT policyname FROM pg_policies WHERE tablename = 'items' ORDER BY 1") == \
        [("items_tenant_isolation",), ("read_active",)]
    shop.down()
    assert shop.rows("SELECT count(*) FROM products") == [(2,)]


def test_type_change_casts_and_a_failing_cast_changes_nothing(shop):
    shop.edit(("      price: integer", "      price: bigint"), ("      code: text", "      code: integer"),
              ("  lock_timeout: 3s", "  lock_timeout: 3s\n  allow_destructive: ['alter_type:products.*']"))
    sql = up_sql(shop.new("types"))
    assert "ALTER TABLE products ALTER COLUMN code TYPE integer USING code::integer;" in sql
    assert sql.index("price TYPE bigint") < sql.index("code TYPE integer")
    shop.run("UPDATE products SET code = 'abc' WHERE name = 'Gadget'")
    applied = shop.rows(f"SELECT version, checksum FROM {history.TABLE}")
    before = inspect(shop.url)
    with pytest.raises(GenError) as failed:                 # price is retyped first, then code fails
        shop.up()
    assert errors(failed) == ["MG014"] and "products.code" in failed.value.diagnostics[0].message
    assert shop.rows(f"SELECT version, checksum FROM {history.TABLE}") == applied          # history unchanged
    assert differences(inspect(shop.url), before) == []                                    # schema unchanged
    assert shop.rows("SELECT data_type FROM information_schema.columns WHERE table_name = 'products' "
                     "AND column_name IN ('price', 'code') ORDER BY column_name") == [("text",), ("integer",)]
    shop.run("UPDATE products SET code = '202' WHERE name = 'Gadget'")
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT code, price FROM products ORDER BY code") == [(101, 10), (202, None)]
    shop.down()
    assert shop.rows("SELECT code FROM products ORDER BY code") == [("101",), ("202",)]


def test_new_enum_values_are_committed_before_the_migration_uses_them(shop):
    shop.edit(("status: [draft, active, archived]", "status: [new, draft, active, paused, archived]"),
              ("      status: status! = 'draft'", "      status: status! = 'new'"))
    written = shop.new("enum_add")
    names = [p.name for p in written if p.name.endswith(".up.sql")]
    assert names == ["20250103000000_enum_add_enum_values.up.sql", "20250103000001_enum_add.up.sql"]
    pre = written[0].read_text()
    assert pre.startswith("-- gen:no-transaction") and "BEGIN;" not in pre
    assert "ADD VALUE IF NOT EXISTS 'new' BEFORE 'draft';" in pre and "'paused' AFTER 'active';" in pre
    assert "SET DEFAULT 'new'" in written[2].read_text()             # uses the value: safe, it is committed
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT enum_range(NULL::status)::text") == [("{new,draft,active,paused,archived}",)]
    shop.run("UPDATE products SET status = 'paused' WHERE name = 'Widget'")
    with pytest.raises(GenError) as refused:                  # undoing the values: refused while a row holds one
        shop.down(2)
    assert errors(refused) == ["MG014"] and "paused" in str(refused.value)
    assert [r[0] for r in shop.rows(f"SELECT name FROM {history.TABLE} ORDER BY 1")] == \
        ["20250102000000_init", "20250103000000_enum_add_enum_values"]
    shop.run("UPDATE products SET status = 'active' WHERE name = 'Widget'")
    shop.down()
    assert shop.rows("SELECT enum_range(NULL::status)::text") == [("{draft,active,archived}",)]


def test_renamed_enum_value_relabels_rows(shop):
    shop.edit(("status: [draft, active, archived]",
               "status: {values: [draft, live, archived], renamed_values: {live: active}}"),
              ("using: \"status = 'active'\"", "using: \"status = 'live'\""))
    sql = up_sql(shop.new("enum_rename"))
    assert "ALTER TYPE status RENAME VALUE 'active' TO 'live';" in sql
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT name, status::text FROM products ORDER BY name") == [("Gadget", "archived"),
                                                                                   ("Widget", "live")]
    shop.down()
    assert shop.rows("SELECT status::text FROM products WHERE name = 'Widget'") == [("active",)]


def test_removed_enum_value_is_refused_while_a_row_holds_it(shop):
    shop.edit(("status: [draft, active, archived]", "status: [draft, active]"),
              ("  lock_timeout: 3s", "  lock_timeout: 3s\n  allow_destructive: [drop_enum_value:status.archived]"))
    sql = up_sql(shop.new("enum_remove"))
    assert "CREATE TYPE status AS ENUM ('draft', 'active');" in sql
    with pytest.raises(GenError) as failed:
        shop.up()
    assert errors(failed) == ["MG014"] and "holds a value removed from enum status" in str(failed.value)
    assert shop.rows("SELECT enum_range(NULL::status)::text") == [("{draft,active,archived}",)]
    shop.run("UPDATE products SET status = 'draft' WHERE status = 'archived'")
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT name, status::text FROM products ORDER BY name") == [("Gadget", "draft"),
                                                                                   ("Widget", "active")]
    shop.down()
    assert shop.rows("SELECT enum_range(NULL::status)::text") == [("{draft,active,archived}",)]


def test_index_on_a_populated_table_is_built_concurrently_in_its_own_step(shop):
    shop.edit(("    policies:\n", "    indexes: [[price]]\n    policies:\n"))
    written = shop.new("index")
    (up,) = [p for p in written if p.name.endswith(".up.sql")]
    assert up.name == "20250103000000_index_concurrently.up.sql"
    text = up.read_text()
    assert text.startswith("-- gen:no-transaction") and "BEGIN;" not in text
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS products_price_idx ON products (price);" in text
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT indisvalid FROM pg_index WHERE indexrelid = 'products_price_idx'::regclass") == [(True,)]
    shop.down()
    assert shop.rows("SELECT to_regclass('products_price_idx')") == [(None,)]


def test_keys_checks_and_generated_columns_on_a_populated_table(shop):
    shop.edit(("      code: text", "      code: {type: text, unique: true, check: \"code <> ''\"}\n"
               "      serial_no: {type: bigint, identity: always}\n"
               "      label: {type: text, generated: \"upper(name)\"}\n      maker_id: uuid -> companies"))
    written = shop.new("keys_and_generated")
    main, post = (p.read_text() for p in written if p.name.endswith(".up.sql"))
    assert "ADD CONSTRAINT products_code_check CHECK (code <> '') NOT VALID;" in main
    assert "REFERENCES companies (id) NOT VALID;" in main
    assert "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS products_code_key ON products (code);" in post
    assert "VALIDATE CONSTRAINT products_maker_id_fkey;" in post
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'products'::regclass "
                     "AND contype IN ('c', 'f', 'u') ORDER BY 1") == [
        ("products_code_check", True), ("products_code_key", True), ("products_company_id_fkey", True),
        ("products_maker_id_fkey", True)]
    assert shop.rows("SELECT name, serial_no, label FROM products ORDER BY serial_no") == [
        ("Widget", 1, "WIDGET"), ("Gadget", 2, "GADGET")]
    with pytest.raises(psycopg.errors.UniqueViolation):
        shop.run("UPDATE products SET code = '101'")
    assert shop.down(2, allow=True) and shop.up() and shop.in_sync() == []


def test_changed_policy_is_altered(shop):
    shop.edit(("using: \"status = 'active'\"", "using: \"status <> 'archived'\""))
    sql = up_sql(shop.new("policy"))
    assert "ALTER POLICY read_active ON products\n  USING (status <> 'archived');" in sql
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT qual FROM pg_policies WHERE policyname = 'read_active'") == \
        [("(status <> 'archived'::status)",)]


def test_every_evolution_converges(shop):
    """All the evolutions at once, then one more `migrate new`: nothing left to write."""
    shop.edit(("      name: text!", "      title: {type: text, nullable: false, renamed_from: name}"),
              ("  products:\n", "  items:\n    renamed_from: products\n"),
              ("      price: integer", "      price: bigint"),
              ("status: [draft, active, archived]",
               "status: {values: [draft, live, paused, archived], renamed_values: {live: active}}"),
              ("    policies:\n", "    indexes: [[price]]\n    policies:\n"),
              ("using: \"status = 'active'\"", "using: \"status = 'live'\""))
    shop.new("everything")
    assert shop.up() == ["20250103000000_everything_enum_values", "20250103000001_everything",
                         "20250103000002_everything_concurrently"]
    assert shop.in_sync() == [] and shop.new("again") == []
    assert shop.rows("SELECT title, status::text FROM items ORDER BY title") == [("Gadget", "archived"),
                                                                                 ("Widget", "live")]
    shop.down(3)
    assert differences(inspect(shop.url), _snapshot(shop, 0)) == []
    assert shop.rows("SELECT name, status::text FROM products ORDER BY name") == [("Gadget", "archived"),
                                                                                   ("Widget", "active")]


def _snapshot(repo: Repo, index: int) -> Schema:
    from generator.migrate.snapshot import from_json
    snaps = sorted(repo.dir.glob("*.snapshot.json"))
    return from_json(snaps[index].read_text())


# ---------------------------------------------------------------- stopping safely

def test_an_edited_applied_file_stops_everything_naming_both_checksums(shop):
    (first,) = MigrationDir(shop.dir).migrations()
    recorded = first.up_checksum()
    first.up.write_text(first.up.read_text() + "\n-- edited\n")
    with pytest.raises(GenError) as stopped:
        shop.up()
    assert errors(stopped) == ["MG010"] and first.up.name in str(stopped.value)
    MigrationDir(shop.dir).write_sum()                                 # even with gen.sum rewritten
    with pytest.raises(GenError) as stopped:
        shop.up()
    message = stopped.value.diagnostics[0].message
    assert errors(stopped) == ["MG011"] and str(first.up) in message
    assert recorded in message and first.up_checksum() in message


def test_a_deleted_applied_file_stops_everything(shop):
    (first,) = MigrationDir(shop.dir).migrations()
    first.up.unlink()
    with pytest.raises(GenError) as stopped:
        shop.up()
    assert errors(stopped) == ["MG010"] and "was deleted" in str(stopped.value)


def test_irreversible_down_is_refused_loudly(shop):
    from generator.migrate.script import irreversible_script
    (first,) = MigrationDir(shop.dir).migrations()
    first.down.write_text(irreversible_script(first.name, "shop.yaml", "test"))
    MigrationDir(shop.dir).write_sum()
    with pytest.raises(GenError) as refused:
        shop.down()
    assert errors(refused) == ["MG015"]
    assert shop.rows(f"SELECT count(*) FROM {history.TABLE}") == [(1,)]


def test_runs_wait_for_the_advisory_lock(shop):
    shop.edit(("      price: integer", "      price: bigint"))
    shop.new("types")
    done: list = []
    said: list[str] = []
    with psycopg.connect(shop.url, autocommit=True) as holder:
        holder.execute("SET application_name = 'gen-test'")
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key(history.LOCK),))
        me = holder.info.backend_pid
        worker = threading.Thread(target=lambda: done.append(runner.up(shop.url, shop.dir, progress=said.append)))
        worker.start()
        try:
            for _ in range(300):               # until the runner says it waits (not a timing assertion)
                if said:
                    break
                threading.Event().wait(0.1)
            assert said == [f"waiting for the lock held by pid {me} (gen-test, idle)"] and not done
            assert len(shop.rows(f"SELECT * FROM {history.TABLE}")) == 1
            # it polls with pg_try_advisory_lock: never a session blocked in pg_advisory_lock,
            # which a CREATE INDEX CONCURRENTLY of the holder would wait for (a deadlock)
            assert shop.rows("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == [(0,)]
        finally:
            holder.execute("SELECT pg_advisory_unlock_all()")
            worker.join()
    assert [m.name for m in done[0].done] == ["20250103000000_types"]


# ---------------------------------------------------------------- verify

def test_verify_finds_a_spec_change_without_migration_and_an_edited_file(shop, pg_url):
    assert verify(shop.model(), shop.dir, pg_url).migrations == 1
    shop.edit(("      price: integer", "      price: bigint"))
    with pytest.raises(GenError) as found:
        verify(shop.model(), shop.dir, pg_url)
    assert errors(found) == ["MG021"] and "price" in str(found.value)
    (first,) = MigrationDir(shop.dir).migrations()
    first.up.write_text(first.up.read_text().replace("  legacy text,\n", ""))
    MigrationDir(shop.dir).write_sum()
    with pytest.raises(GenError) as found:
        verify(shop.model(), shop.dir, pg_url)
    assert "MG020" in errors(found) and "legacy" in str(found.value)


def test_live_changes_after_migration_are_seen_by_a_new_diff(shop):
    assert diff(normalize(inspect(shop.url)), normalize(_snapshot(shop, -1))) == []


def test_soft_delete_versioning_and_audit_arrive_on_populated_tables_and_leave_again(shop):
    shop.edit(("  products:\n    tenant: true\n", "  products:\n    tenant: true\n    traits: [soft_delete, versioned]\n"
               "    audit: true\n    unique: [[company_id, code]]\n"))
    written = shop.new("lifecycle")
    text = up_sql(written)
    assert "ADD COLUMN deleted_at timestamp with time zone" in text and "ADD COLUMN version integer" in text
    assert "CREATE TRIGGER products_soft_delete" in text and "CREATE TRIGGER products_audit" in text
    assert "CREATE TABLE audit_log" in text
    shop.up()
    assert shop.converged()
    assert shop.rows("SELECT name, version, deleted_at FROM products ORDER BY name") == [
        ("Gadget", 1, None), ("Widget", 1, None)]
    shop.run("UPDATE products SET price = 11 WHERE name = 'Widget'")       # audited, versioned
    assert shop.rows("SELECT operation, changed_columns FROM audit_log") == [("UPDATE", ["price", "version"])]
    assert shop.rows("SELECT version FROM products WHERE name = 'Widget'") == [(2,)]
    parts = len([p for p in written if p.name.endswith(".up.sql")])
    with pytest.raises(GenError) as refused:           # the down drops the audit rows and versions
        shop.down(parts)
    assert errors(refused) == ["MG041"] and "table audit_log (1 rows)" in str(refused.value)
    assert len(shop.down(parts, allow=True)) == parts  # every part of it undone ...
    shop.write(SHOP)
    assert shop.in_sync() == []                        # ... back to the base spec, rows kept
    assert shop.rows("SELECT name FROM products ORDER BY name") == [("Gadget",), ("Widget",)]
    assert shop.rows("SELECT to_regclass('audit_log') IS NULL, count(*) FROM pg_trigger "
                     "WHERE tgrelid = 'products'::regclass AND NOT tgisinternal") == [(True, 0)]
