"""`gen import` on a real PostgreSQL: gen's own example specs come back as the same spec (sugar
recognised), hostile identifiers survive import -> build -> apply, what the spec language
cannot hold is listed (and nothing else differs), SQL errors name file and line, and the CLI
writes atomically and deterministically."""
from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import psycopg
import pytest
import yaml

from generator.cli import main
from generator.db.apply import apply_statements
from generator.db.inspect import inspect
from generator.db.server import scratch_database
from generator.diagnostics import GenError
from generator.importer import import_database, import_sql
from generator.importer.compare import differences, unexplained
from generator.importer.verify import comparable, resolve_text
from generator.pipeline import load_schema
from generator.postgres.ddl import schema_statements
from generator.postgres.server_form import in_server_form
from generator.postgres.shim import SUPABASE_SHIM

SPECS = sorted((Path(__file__).resolve().parent.parent / "spec").glob("*.yaml"))


def _run(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _rebuild(base: str, result) -> list:
    """Apply the imported spec to a fresh database; differences from what was imported that
    no listed loss explains."""
    with scratch_database(base, prefix="gen_test_") as url:
        apply_statements(url, schema_statements(result.resolved),
                         shim=SUPABASE_SHIM if result.flavor == "supabase" else None)
        rebuilt = inspect(url, tuple(result.schemas))
    diffs = differences(comparable(result.model, result.schemas), comparable(rebuilt, result.schemas))
    return unexplained(diffs, result.losses)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_example_spec_comes_back_as_itself(pg_url, spec):
    original = load_schema(spec)
    with scratch_database(pg_url, prefix="gen_test_") as url:
        apply_statements(url, schema_statements(original),
                         shim=SUPABASE_SHIM if original.settings.flavor == "supabase" else None)
        result = import_database(url, name=original.name)
        with psycopg.connect(url, autocommit=True) as conn:     # both spelled as this server stores them
            spelled, back = in_server_form(conn, original), in_server_form(conn, result.resolved)
    assert result.losses == []
    assert differences(comparable(spelled, result.schemas), comparable(back, result.schemas)) == []
    assert result.flavor == original.settings.flavor


def test_chatapp_sugar_is_recognised(pg_url):
    original = load_schema(SPECS[[p.stem for p in SPECS].index("chatapp")])
    with scratch_database(pg_url, prefix="gen_test_") as url:
        apply_statements(url, schema_statements(original))
        spec = import_database(url, name="chatapp").spec
    assert spec["naming"] == {"table_prefix": "chatapp_"}
    assert spec["tenancy"] == {"root": "companies", "column": "company_id"}   # setting app.company_id: the default
    assert spec["auth"]["admin"] == {"entity": "users", "user_column": "id", "where": "role = 'master_admin'"}
    messages = spec["entities"]["messages"]
    assert messages["traits"] == ["timestamps"] and messages["tenant"] is True
    assert "company_id" not in messages["columns"]            # `tenant: true` adds it
    assert messages["columns"]["conversation_id"] == "uuid! -> conversations cascade"
    assert spec["entities"]["audit_logs"]["traits"] == ["created_at"]
    assert {"preset": "public_read", "where": "is_active"} in spec["entities"]["agent_packages"]["policies"]
    assert {"preset": "owner", "for": "select", "column": "id"} in spec["entities"]["users"]["policies"]
    assert "functions" not in spec                              # all made again by traits and presets


HOSTILE = r'''
CREATE SCHEMA "Odd Schema";
CREATE TYPE "Mood" AS ENUM ('it''s', 'a: b', '#x', 'yes', '');
CREATE TABLE "Group" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "select" text NOT NULL DEFAULT 'a # b: c',
  "yes" boolean DEFAULT true,
  "on" int CHECK ("on" > 0),
  "Mixed Case" varchar(20) COLLATE "C" UNIQUE,
  "dotted.name" text,
  "ünïcödé" text DEFAULT 'ü',
  mood "Mood" DEFAULT 'it''s'
);
COMMENT ON TABLE "Group" IS E'line one\nline two: "quoted" # not a comment';
COMMENT ON COLUMN "Group"."select" IS 'the ''select'' column';
CREATE TABLE "Odd Schema"."Member" (
  gid bigint REFERENCES "Group" ON DELETE CASCADE,
  "Group" text,
  PRIMARY KEY (gid)
);
CREATE INDEX "weird idx" ON "Group" (lower("select"), "yes") WHERE "on" IS NOT NULL;
CREATE TABLE "123 starts with digit" (x int);
ALTER TABLE "Group" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "it's mine" ON "Group" FOR SELECT USING ("select" <> 'x: y');
'''


def test_hostile_identifiers_survive_import_build_apply(pg_url, tmp_path):
    sql = tmp_path / "hostile.sql"
    sql.write_text(HOSTILE)
    result = import_sql([str(sql)], base_url=pg_url)
    assert yaml.safe_load(result.text.split("\n#\n", 1)[1]) == result.spec
    assert set(result.spec["entities"]) == {"Group", "Member", "t_123_starts_with_digit"}
    assert result.spec["entities"]["Member"]["schema"] == "Odd Schema"
    assert result.spec["enums"]["Mood"] == ["it's", "a: b", "#x", "yes", ""]
    assert _rebuild(pg_url, result) == []


UNSUPPORTED = '''
CREATE SEQUENCE shared_seq;
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b int);
CREATE TABLE a (id int PRIMARY KEY DEFAULT nextval('shared_seq'), n positive, p pair);
CREATE TABLE b (id int DEFAULT nextval('shared_seq'), c circle, EXCLUDE USING gist (c WITH &&));
CREATE TABLE m (d date NOT NULL) PARTITION BY RANGE (d);
CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE MATERIALIZED VIEW mv AS SELECT id FROM a;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER t_args BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch('x');
CREATE ROLE gen_test_importer NOLOGIN;
GRANT SELECT (id) ON a TO gen_test_importer;
'''


def test_objects_beyond_tables_are_imported_and_nothing_is_lost(pg_url, tmp_path):
    sql = tmp_path / "unsupported.sql"
    sql.write_text(UNSUPPORTED.replace("CREATE ROLE", "DROP ROLE IF EXISTS gen_test_importer; CREATE ROLE", 1))
    result = import_sql([str(sql)], base_url=pg_url)
    assert result.losses == [] and "Everything found was represented" in result.text
    spec = result.spec
    assert spec["sequences"] == {"shared_seq": {}}
    assert spec["types"]["positive"] == {"domain": "integer", "checks": {"positive_check": "VALUE > 0"}}
    assert spec["types"]["pair"] == {"composite": {"a": "integer", "b": "integer"}}
    columns = spec["entities"]["a"]["columns"]
    assert columns["n"] == "positive" and columns["p"] == "pair"
    assert columns["id"]["default"] == "nextval('shared_seq'::regclass)"
    assert columns["id"]["privileges"] == {"select": ["gen_test_importer"]}   # GRANT SELECT (id) ... TO
    assert spec["entities"]["b"]["exclude"] == [{"name": "b_c_excl", "using": "gist", "elements": [["c", "&&"]]}]
    assert spec["entities"]["m"]["partition_by"] == "RANGE (d)"
    assert spec["entities"]["m_2024"]["partition_of"] == "m"
    assert spec["views"]["mv"]["materialized"] is True
    assert spec["entities"]["a"]["triggers"] == [{"function": "touch", "name": "t_args", "args": ["x"]}]
    assert differences(comparable(result.model, result.schemas), comparable(result.resolved, result.schemas)) == []
    assert _rebuild(pg_url, result) == []


def test_serial_stays_serial_and_traits_need_the_exact_trigger(pg_url, tmp_path):
    sql = tmp_path / "serial.sql"
    sql.write_text('''
CREATE FUNCTION my_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
CREATE TABLE post (id serial PRIMARY KEY, title text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz);
CREATE TRIGGER post_touch BEFORE UPDATE ON post FOR EACH ROW EXECUTE FUNCTION my_touch();
CREATE TABLE note (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
''')
    spec = import_sql([str(sql)], base_url=pg_url).spec
    post = spec["entities"]["post"]
    assert post["columns"]["id"] == "serial pk"
    # timestamps needs gen's own trigger, soft_delete gen's own trigger and policies: a bare
    # deleted_at column stays a column
    assert "traits" not in post and post["columns"]["deleted_at"] == "timestamptz"
    assert post["triggers"] == [{"function": "my_touch", "name": "post_touch"}]
    assert "my_touch" in spec["functions"]
    assert spec["entities"]["note"] == {"traits": ["created_at"], "columns": {"id": "bigserial pk"}}


def test_supabase_project_is_recognised(pg_url, tmp_path):
    sql = tmp_path / "supa.sql"
    sql.write_text('''
CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL REFERENCES auth.users,
  body text, public boolean NOT NULL DEFAULT false);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner_select ON notes FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE POLICY notes_public_read ON notes FOR SELECT TO anon, authenticated USING (public);
CREATE POLICY "raw one" ON notes AS RESTRICTIVE FOR DELETE TO authenticated USING (auth.uid() = user_id);
''')
    result = import_sql([str(sql)], base_url=pg_url)
    assert result.flavor == "supabase" and result.schemas == ["public"]
    notes = result.spec["entities"]["notes"]
    assert notes["columns"]["user_id"] == "uuid! -> auth.users"
    assert notes["policies"] == [
        {"preset": "owner", "for": "select"}, {"preset": "public_read", "where": "public"},
        {"name": "raw one", "for": "delete", "using": "auth.uid() = user_id", "restrictive": True}]
    # Supabase's default privileges give the client roles ALL; gen's default leaves TRUNCATE,
    # TRIGGER and REFERENCES out, so the import spells the live grants out (and lint flags them)
    assert notes["grants"] == {"anon": ["all"], "authenticated": ["all"]}
    assert _rebuild(pg_url, result) == []


def test_database_url_with_schema_choice_and_supabase_schemas_left_out(fresh_db, capsys):
    _run(fresh_db, SUPABASE_SHIM.replace("BEGIN;", "").replace("COMMIT;", "") + '''
CREATE SCHEMA IF NOT EXISTS storage; CREATE TABLE IF NOT EXISTS storage.objects (id uuid PRIMARY KEY);
CREATE SCHEMA billing; CREATE TABLE billing.invoice (id uuid PRIMARY KEY, total numeric(10,2) NOT NULL);
CREATE TABLE public.account (id uuid PRIMARY KEY);
''')
    every = import_database(fresh_db)
    assert every.flavor == "supabase" and every.schemas == ["billing", "public"]
    only = import_database(fresh_db, schemas=["billing"])
    assert only.main == "billing" and list(only.spec["entities"]) == ["invoice"]
    assert only.spec["database"]["schema"] == "billing"
    with pytest.raises(GenError) as info:
        import_database(fresh_db, schemas=["nope"])
    assert info.value.diagnostics[0].code == "IM002"
    assert main(["import", "--database-url", fresh_db, "--schema", "billing", "-o", "-"]) == 0
    printed = capsys.readouterr().out
    assert "schema: billing" in printed and "  invoice:\n" in printed and "total: numeric(10,2)!" in printed


def test_syntax_error_in_second_file_names_it_and_writes_nothing(pg_url, tmp_path, capsys):
    good, bad = tmp_path / "1.sql", tmp_path / "2.sql"
    good.write_text("CREATE TABLE t (id int);\n")
    bad.write_text("-- comment\nCREATE TABLE u (\n  id int,\n  oops oops oops\n);\n")
    out = tmp_path / "spec.yaml"
    out.write_text("old\n")
    code = main(["import", "--sql", str(good), str(bad), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and f"{bad}:5:" in err and "IM010" in err and "lines 2-5" in err   # psql's line: the end
    assert "at line 4:13 in the statement" in err                                 # the server's position
    assert out.read_text() == "old\n"


def test_runtime_error_without_position_finds_its_statement(pg_url, tmp_path):
    sql = tmp_path / "div.sql"
    sql.write_text("CREATE TABLE t (id int);\n\nSELECT 1 / 0;\nCREATE TABLE u (id int);\n")
    with pytest.raises(GenError) as info:
        import_sql([str(sql)], base_url=pg_url)
    d = info.value.diagnostics[0]
    assert d.code == "IM010" and d.loc.line == 3 and "division by zero" in d.message


def test_missing_roles_are_created_and_noted(pg_url, tmp_path):
    sql = tmp_path / "roles.sql"
    sql.write_text("CREATE TABLE t (id int PRIMARY KEY);\nGRANT SELECT ON t TO gen_test_import_reader;\n")
    result = import_sql([str(sql)], base_url=pg_url)
    assert "gen_test_import_reader" in result.notes[0]
    assert result.spec["roles"] == {"gen_test_import_reader": {}}
    assert result.spec["entities"]["t"]["grants"] == {"gen_test_import_reader": ["select"]}


def test_cli_writes_deterministic_spec_that_validates(pg_url, tmp_path, capsys, monkeypatch):
    sql = tmp_path / "shop.sql"
    sql.write_text('''
CREATE TYPE status AS ENUM ('new', 'paid');
CREATE TABLE customer (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL UNIQUE);
CREATE TABLE orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  customer_id uuid NOT NULL REFERENCES customer ON DELETE CASCADE, status status NOT NULL DEFAULT 'new');
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
''')
    import generator.importer.sqlsource as source
    monkeypatch.setattr(source, "_server", lambda *args: nullcontext(pg_url))   # reuse the test server
    first, second = tmp_path / "a" / "shop.yaml", tmp_path / "b" / "shop.yaml"
    assert main(["import", "--sql", str(sql), "-o", str(first)]) == 0
    capsys.readouterr()
    assert main(["import", "--sql", str(sql), "-o", str(second), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["entities"] == 2 and summary["not_represented"] == [] and summary["flavor"] == "plain"
    assert first.read_text() == second.read_text()
    spec = yaml.safe_load(first.read_text())
    assert spec["entities"]["orders"]["columns"] == {"id": "bigint pk", "customer_id": "uuid! -> customer cascade",
                                                     "status": "status! = 'new'"}
    assert "naming" not in spec                                 # the FK index is the one gen adds itself
    assert main(["validate", str(first)]) == 0
    assert list(first.parent.iterdir()) == [first]             # no temporary file left behind


def test_resolve_text_reports_what_does_not_resolve():
    with pytest.raises(GenError):
        resolve_text("spec: 1\nname: x\nentities:\n  t:\n    columns:\n      a: nosuchtype\n")


def test_what_does_not_resolve_is_dropped_and_listed(pg15_url, tmp_path):
    sql = tmp_path / "gin.sql"
    sql.write_text("CREATE EXTENSION btree_gin;\nCREATE TABLE t (a int, b int);\n"
                   "CREATE INDEX t_gin ON t USING gin (a);\nCREATE INDEX t_b ON t (b);\n")
    result = import_sql([str(sql)], base_url=pg15_url)
    (loss,) = result.losses
    assert loss.part == "index t_gin" and "RS058" in loss.what
    assert result.spec["entities"]["t"]["indexes"] == [{"columns": ["b"], "name": "t_b"}]
    assert _rebuild(pg15_url, result) == []
