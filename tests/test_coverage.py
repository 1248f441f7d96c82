"""PostgreSQL coverage: a schema holding every kind of object the spec language carries
(tests/sql/coverage.sql: sequences, collations, domains, composite and range types,
exclusions, storage parameters, CLUSTER ON, UNLOGGED, replica identity, partitions with RLS,
inheritance, function attributes, procedures, SQL-standard bodies, aggregates, transition
tables, trigger arguments and firing, materialized views with indexes, view triggers, schema
comments and privileges) imports with nothing lost, builds, applies and inspects back equal;
its migration from empty goes down to empty and up again; expressions are PostgreSQL's."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.db.apply import apply_statements
from generator.db.inspect import inspect
from generator.db.server import scratch_database
from generator.diagnostics import GenError
from generator.diff import diff, reverse_changes
from generator.importer import import_database
from generator.importer.compare import differences
from generator.importer.sqlsource import loaded_database
from generator.importer.verify import comparable, resolve_text
from generator.model import Schema
from generator.postgres.ddl import schema_statements
from generator.postgres.plan import plan

SQL = Path(__file__).parent / "sql" / "coverage.sql"
SCHEMAS = ("app", "public")


@pytest.fixture(scope="module")
def imported(pg_url):
    with loaded_database([str(SQL)], base_url=pg_url) as loaded:
        yield import_database(loaded.url, name="coverage"), loaded.url


def _facts(url: str) -> set[str]:
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from test_corpus import catalog_facts
    return catalog_facts(url, SCHEMAS)


def test_import_loses_nothing_and_round_trips_exactly(imported, pg_url):
    result, original = imported
    assert result.losses == [], [x.line() for x in result.losses]
    for key in ("sequences", "collations", "types", "aggregates", "schemas"):
        assert result.spec.get(key), key
    films = result.spec["entities"]["films"]
    assert films["columns"]["id"] == "serial" and films["primary_key"]["name"] == "films_pk"
    assert films["exclude"] and films["with"] == {"fillfactor": "70"} and films["cluster_on"] == "films_title_idx"
    assert result.spec["entities"]["measurement_2024"]["partition_of"] == "measurement"
    assert result.spec["entities"]["child"]["inherits"] == ["base"]
    assert result.spec["views"]["titles"]["materialized"] is True
    assert result.spec["functions"]["add"]["strict"] is True
    with scratch_database(pg_url) as url:
        apply_statements(url, schema_statements(result.resolved))
        rebuilt = inspect(url, SCHEMAS)
        assert differences(comparable(result.model, list(SCHEMAS)), comparable(rebuilt, list(SCHEMAS))) == []
        assert _facts(url) == _facts(original)


def test_migration_goes_down_to_empty_and_up_again(imported, pg_url):
    model = imported[0].resolved
    up = diff(Schema.empty(), model)
    with scratch_database(pg_url) as url:
        apply_statements(url, plan(up).statements)
        apply_statements(url, plan(reverse_changes(up)).statements)
        assert not inspect(url, SCHEMAS).tables
        apply_statements(url, plan(up).statements)
        again = inspect(url, SCHEMAS)
    assert differences(comparable(imported[0].model, list(SCHEMAS)), comparable(again, list(SCHEMAS))) == []


def test_changes_to_new_objects_migrate_both_ways(imported, pg_url):
    """Sequence options, a domain check, function attributes, table properties and a raw SQL
    object change; the migration's up reaches the new model and its down the old one."""
    text = imported[0].text
    changed = (text.replace("increment: 10", "increment: 20").replace("strict: true", "strict: false")
               .replace("start: 1000, increment: 5", "start: 2000, increment: 5")
               .replace("unlogged: true", "unlogged: false").replace("fillfactor: '70'", "fillfactor: '80'")
               + "sql:\n  stats: {create: 'CREATE STATISTICS app.films_stats (dependencies) ON id, invoice FROM app.films', "
               "drop: 'DROP STATISTICS app.films_stats', after: [films]}\n")
    old, new = imported[0].resolved, resolve_text(changed)
    changes = diff(old, new)
    with scratch_database(pg_url) as url:
        apply_statements(url, schema_statements(old))
        apply_statements(url, plan(changes).statements)
        after = inspect(url, SCHEMAS)
        assert _statistics(url) == ["films_stats"]
        assert differences(comparable(new, list(SCHEMAS)), comparable(after, list(SCHEMAS))) == []
        apply_statements(url, plan(reverse_changes(changes)).statements)
        back = inspect(url, SCHEMAS)
        assert _statistics(url) == []
    assert differences(comparable(old, list(SCHEMAS)), comparable(back, list(SCHEMAS))) == []


def _statistics(url: str) -> list[str]:
    from generator.db.connect import connect
    with connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT stxname FROM pg_statistic_ext")]


def test_raw_sql_without_drop_cannot_be_removed(imported):
    old = resolve_text(imported[0].text + "sql:\n  note: {create: \"COMMENT ON TABLE app.films IS 'x'\"}\n")
    with pytest.raises(GenError) as info:
        plan(diff(old, imported[0].resolved))
    assert info.value.diagnostics[0].code == "PG020"


SPEC = """spec: 1
name: exprs
entities:
  t:
    columns: {{id: integer pk, a: integer, b: integer}}
    checks: ["{check}"]
"""


def test_expressions_are_parsed_by_postgresql_grammar(tmp_path):
    from generator.pipeline import load_schema

    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.format(check="b > > 1"))
    with pytest.raises(GenError) as info:
        load_schema(bad)
    (d,) = [d for d in info.value.diagnostics if d.code == "RS020"]
    assert "syntax error at or near" in d.message and "at character 5" in d.message and d.loc.line == 6
    good = tmp_path / "good.yaml"
    good.write_text(SPEC.format(check="a === b"))        # a custom operator: PostgreSQL's grammar accepts it
    assert load_schema(good).table("t").checks[0].expression == "a === b"


def test_one_server_option_picks_a_server_with_the_extensions():
    from generator.db.server import choose_server

    assert choose_server("auto", {"vector"}) == "embedded"
    assert choose_server(None, {"pg_trgm", "citext"}) == "pg15"          # contrib: Debian's 15
    assert choose_server("postgresql://me@host/db", {"postgis"}) == "postgresql://me@host/db"
    with pytest.raises(GenError) as info:
        choose_server("embedded", {"pg_trgm", "vector"})
    (d,) = info.value.diagnostics
    assert d.code == "DB006" and "pg_trgm" in d.message and "vector" not in d.message
    assert "--server pg15" in d.hint and "pg_trgm" in d.hint


def test_every_command_that_starts_a_server_has_the_same_option():
    from generator.cli import parser as build_parser

    parser = build_parser()
    for argv in (["verify", "s.yaml"], ["import", "--sql", "x.sql", "-o", "-"], ["migrate", "verify", "--spec", "s"]):
        args = parser.parse_args(argv + ["--server", "pg15"])
        assert args.server == "pg15", argv


def test_every_target_builds_the_coverage_spec(imported, tmp_path, monkeypatch):
    """Targets that cannot hold a construct list it in PARITY.md (never silently, never a crash)."""
    from generator.cli import main

    spec = tmp_path / "coverage.yaml"
    spec.write_text(imported[0].text)
    monkeypatch.chdir(tmp_path)
    assert main(["build", str(spec)]) == 0
    parity = (tmp_path / "out" / "coverage" / "PARITY.md").read_text()
    for kind in ("partition", "exclusion", "sequence", "domain", "aggregate", "table option"):
        assert f"| {kind} |" in parity, kind
    prisma = (tmp_path / "out" / "coverage" / "prisma" / "schema.prisma").read_text()
    assert "model measurement_2024" not in prisma and 'Unsupported("app.year")' in prisma


def rails_schema(n: int) -> str:
    """A Rails app's structure.sql of `n` tables: bigserial keys, timestamps, references with
    Rails' fk_rails_<hash> keys and index_<table>_on_<column> indexes, a unique index."""
    from generator.model.conventions import foreign_key
    out = []
    for i in range(n):
        t = f"table_{i:03d}"
        ref = f"table_{i - 1:03d}" if i else None
        cols = ["id bigserial PRIMARY KEY", "name character varying NOT NULL", "status integer DEFAULT 0 NOT NULL",
                "notes text", "created_at timestamp(6) without time zone NOT NULL",
                "updated_at timestamp(6) without time zone NOT NULL"]
        if ref:
            cols.insert(1, f"{ref}_id bigint NOT NULL")
        out.append(f"CREATE TABLE public.{t} (\n    " + ",\n    ".join(cols) + "\n);")
        out.append(f"CREATE UNIQUE INDEX index_{t}_on_name ON public.{t} USING btree (name);")
        if ref:
            out.append(f"CREATE INDEX index_{t}_on_{ref}_id ON public.{t} USING btree ({ref}_id);")
            out.append(f"ALTER TABLE ONLY public.{t}\n    ADD CONSTRAINT {foreign_key('rails', t, [ref + '_id'])} "
                       f"FOREIGN KEY ({ref}_id) REFERENCES public.{ref}(id);")
    return "\n\n".join(out) + "\n"


def test_a_100_table_rails_import_is_compact_and_exact(pg15_url, tmp_path):
    """The Rails convention is detected, so no key or index name is spelled out; the spec is
    clearly shorter than pg_dump's text of the same database."""
    import subprocess

    sql = tmp_path / "structure.sql"
    sql.write_text(rails_schema(100))
    with loaded_database([str(sql)], base_url=pg15_url) as loaded:
        result = import_database(loaded.url, name="railsapp")
        dump = subprocess.run(["/usr/lib/postgresql/15/bin/pg_dump", "--schema-only", "--no-owner", loaded.url],
                              capture_output=True, text=True, check=True).stdout
    assert result.losses == [] and result.spec["naming"]["convention"] == "rails"
    assert "fk_rails_" not in result.text and "index_" not in result.text
    assert len(result.text) * 2 < len(dump), (len(result.text), len(dump))
    with scratch_database(pg15_url) as url:
        apply_statements(url, schema_statements(result.resolved))
        assert differences(comparable(result.model), comparable(inspect(url))) == []


def test_supabase_auth_migrations_load_on_the_stand_in_and_the_app_imports(pg_url):
    """The stand-in leaves auth.users to the SQL that creates it: the real (documented) shape
    loads instead of being shadowed, and the app on top of it imports and rebuilds exactly."""
    from generator.db.connect import connect

    sql = Path(__file__).parent / "sql" / "supabase_auth_init.sql"
    with loaded_database([str(sql)], base_url=pg_url) as loaded:
        assert loaded.supabase
        with connect(loaded.url, autocommit=True) as conn:
            columns = {r[0] for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'auth.users'::regclass AND attnum > 0")}
            assert {"encrypted_password", "instance_id", "raw_app_meta_data"} <= columns
            assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'extensions'").fetchone()
        result = import_database(loaded.url, name="supa", hidden_extensions={"pgcrypto", "uuid-ossp"})
    assert result.flavor == "supabase" and result.losses == []
    assert result.spec["entities"]["profiles"]["columns"]["id"].endswith("-> auth.users cascade")
    with scratch_database(pg_url) as url:
        from generator.postgres.shim import SUPABASE_SHIM
        apply_statements(url, schema_statements(result.resolved), shim=SUPABASE_SHIM)
        rebuilt = inspect(url, ("public",))
    assert differences(comparable(result.model, ["public"]), comparable(rebuilt, ["public"])) == []


def test_django_names_match_djangos_own_output():
    """The names Django's tutorial shows (`sqlmigrate polls 0001`)."""
    from generator.model.conventions import foreign_key, index

    assert foreign_key("django", "polls_choice", ["question_id"], "polls_question", ["id"]) == \
        "polls_choice_question_id_c5b4b260_fk_polls_question_id"
    assert index("django", "polls_choice", ["question_id"]) == "polls_choice_question_id_c5b4b260"
