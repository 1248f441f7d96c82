"""The differ, planner and renderer without a database: what changes two models produce, in
which order and step, how each reverses, which are destructive, and that snapshots and the
SQL splitter round-trip. Behaviour on a real server is in test_migrate.py."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from generator.diff import alter as al
from generator.diff import changes as ch
from generator.diff import diff, reverse_changes
from generator.migrate import safety
from generator.migrate.script import down_statements, split_parts
from generator.migrate.snapshot import from_json, to_json
from generator.migrate.sqlsplit import split_statements
from generator.model import DataType, Schema
from generator.pipeline import load_schema
from generator.postgres.plan import plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "spec").glob("*.yaml"))
BASE = (Path(__file__).parent / "migrate" / "shop.yaml").read_text()


def model(tmp_path: Path, text: str, name: str = "spec") -> Schema:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return load_schema(path)


def evolve(tmp_path: Path, *edits: tuple[str, str]) -> tuple[Schema, Schema]:
    """The base spec and a copy with each (old, new) text edit applied."""
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return model(tmp_path, BASE, "old"), model(tmp_path, text, "new")


def kinds(changes) -> list[str]:
    return [type(c).__name__ for c in changes]


def sql(changes) -> str:
    return "\n".join(s.sql for s in plan(changes).statements)


# ---------------------------------------------------------------- full schema

@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_full_schema_is_one_transactional_step_and_equal_models_differ_in_nothing(spec):
    m = load_schema(spec)
    statements = plan(diff(Schema.empty(), m)).statements
    assert {s.step for s in statements} == {"main"} and all(s.transactional for s in statements)
    assert not {s.phase for s in statements} & {"renames", "columns", "constraints"}
    assert diff(m, m) == []


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_undoing_a_full_schema_drops_tables_and_types_without_touching_their_parts(spec):
    m = load_schema(spec)
    undo = reverse_changes(diff(Schema.empty(), m))
    assert {type(c) for c in undo} <= {ch.DropTable, ch.DropEnum, ch.DropFunction, ch.DropExtension, ch.DropSchema,
                                       ch.DropRole, ch.DropView, ch.DropTrigger}
    assert sum(isinstance(c, ch.DropTable) for c in undo) == len(m.tables)


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_snapshot_round_trips_and_is_deterministic(spec):
    m = load_schema(spec)
    text = to_json(m)
    again = from_json(text)
    assert again == m and diff(again, m) == []
    assert to_json(load_schema(spec)) == text
    assert again.external_triggers == m.external_triggers


# ---------------------------------------------------------------- renames are declared, never guessed

def test_declared_column_rename_keeps_the_column(tmp_path):
    old, new = evolve(tmp_path, ("      name: text!", "      title: {type: text, nullable: false, renamed_from: name}"))
    changes = diff(old, new)
    assert kinds(changes) == ["RenameColumn"]
    assert "ALTER TABLE products RENAME COLUMN name TO title;" in sql(changes)
    assert safety.risks(changes) == []


def test_without_the_hint_a_rename_is_drop_and_add_and_destructive(tmp_path):
    old, new = evolve(tmp_path, ("      name: text!", "      title: text!"))
    changes = diff(old, new)
    assert kinds(changes) == ["DropColumn", "AddColumn"]
    assert [r.key for r in safety.risks(changes)] == ["drop_column:products.name"]


def test_a_hint_left_in_the_spec_after_its_migration_changes_nothing(tmp_path):
    _, new = evolve(tmp_path, ("      name: text!", "      title: {type: text, nullable: false, renamed_from: name}"))
    assert diff(new, new) == []


def test_table_rename_renames_the_table_and_its_generated_names(tmp_path):
    old, new = evolve(tmp_path, ("  products:\n", "  items:\n    renamed_from: products\n"))
    changes = diff(old, new)
    assert "DropTable" not in kinds(changes) and "AddTable" not in kinds(changes)
    text = sql(changes)
    assert "ALTER TABLE products RENAME TO items;" in text
    assert "ALTER TABLE items RENAME CONSTRAINT products_pkey TO items_pkey;" in text
    assert "ALTER INDEX products_company_id_idx RENAME TO items_company_id_idx;" in text
    assert "ALTER POLICY products_tenant_isolation ON items RENAME TO items_tenant_isolation;" in text
    undo = sql(reverse_changes(changes))
    assert "ALTER TABLE items RENAME TO products;" in undo
    assert "ALTER TABLE products RENAME CONSTRAINT items_pkey TO products_pkey;" in undo


# ---------------------------------------------------------------- columns

def test_alter_column_names_what_changed_and_casts_where_needed(tmp_path):
    old, new = evolve(tmp_path, ("      price: integer", "      price: bigint! = 0"),
                      ("      code: text", "      code: integer"))
    changes = diff(old, new)
    by_column = {c.new.name: c for c in changes if isinstance(c, al.AlterColumn)}
    assert by_column["price"].what == {"type", "nullable", "default"}
    assert by_column["code"].what == {"type"}
    text = sql(changes)
    assert "ALTER TABLE products ALTER COLUMN code TYPE integer USING code::integer;" in text
    assert "ALTER TABLE products ALTER COLUMN price SET NOT NULL;" in text
    assert {r.key for r in safety.risks(changes)} == {"alter_type:products.code", "set_not_null:products.price"}


def test_modifier_only_type_change_needs_no_using(tmp_path):
    old, new = evolve(tmp_path, ("      code: text", "      code: varchar(20)"))
    base_old = model(tmp_path, BASE.replace("      code: text", "      code: varchar(10)"), "v10")
    changes = diff(base_old, new)
    assert "ALTER TABLE products ALTER COLUMN code TYPE character varying(20);" in sql(changes)
    assert safety.risks(changes) == []                      # varchar(10) -> varchar(20) widens
    assert [r.key for r in safety.risks(diff(new, base_old))] == ["alter_type:products.code"]


T = DataType


@pytest.mark.parametrize("old,new,widens", [
    (T("integer"), T("bigint"), True), (T("bigint"), T("integer"), False),
    (T("character varying", (10,)), T("text"), True), (T("text"), T("character varying", (10,)), False),
    (T("numeric", (10, 2)), T("numeric", (12, 2)), True), (T("numeric", (10, 2)), T("numeric", (10, 3)), False),
    (T("status", enum=True, schema="public"), T("text"), True), (T("text"), T("integer"), False),
    (T("integer", array_dims=1), T("bigint"), False), (T("real"), T("double precision"), True),
])
def test_type_changes_that_cannot_lose_data_are_not_destructive(old, new, widens):
    assert safety.widens(old, new) is widens


def test_a_column_that_stops_being_generated_keeps_its_values_and_comes_back_rebuilt(tmp_path):
    old, new = evolve(tmp_path, ("      code: text", "      code: {type: text, generated: upper(name)}"))
    changes = diff(new, old)                                    # generated -> plain
    assert kinds(changes) == ["AlterColumn"] and "DROP EXPRESSION" in sql(changes)
    assert kinds(reverse_changes(changes)) == ["DropColumn", "AddColumn"]
    assert kinds(diff(old, new)) == ["DropColumn", "AddColumn"]     # plain -> generated: rebuilt
    assert safety.risks(diff(old, new)) == [safety.Risk("drop_column:products.code",
                                                        "drops column products.code and its data")]


def test_add_not_null_column_without_default_is_warned(tmp_path):
    old, new = evolve(tmp_path, ("      legacy: text\n", "      legacy: text\n      sku: text!\n"))
    assert [d.code for d in safety.warnings(diff(old, new))] == ["MG002"]


# ---------------------------------------------------------------- enums

def test_new_enum_values_are_added_in_place_before_the_transaction(tmp_path):
    old, new = evolve(tmp_path, ("status: [draft, active, archived]", "status: [new, draft, active, paused, archived]"))
    changes = diff(old, new)
    assert kinds(changes) == ["AddEnumValues"]
    statements = plan(changes).statements
    assert [s.sql for s in statements] == [
        "ALTER TYPE status ADD VALUE IF NOT EXISTS 'new' BEFORE 'draft';",
        "ALTER TYPE status ADD VALUE IF NOT EXISTS 'paused' AFTER 'active';"]
    assert all(s.step == "pre" and not s.transactional for s in statements)
    assert safety.risks(changes) == []


def test_renamed_value_keeps_rows_and_anchors_use_the_names_of_the_time(tmp_path):
    old, new = evolve(tmp_path, ("status: [draft, active, archived]",
                                 "status: {values: [draft, live, paused, archived], renamed_values: {live: active}}"))
    changes = diff(old, new)
    assert kinds(changes) == ["RenameEnumValue", "AddEnumValues"]
    text = sql(changes)
    assert "ALTER TYPE status RENAME VALUE 'active' TO 'live';" in text
    assert "ADD VALUE IF NOT EXISTS 'paused' AFTER 'active';" in text       # runs before the rename


def test_removing_a_value_rebuilds_the_type_and_refuses_rows_holding_it(tmp_path):
    old, new = evolve(tmp_path, ("status: [draft, active, archived]", "status: [draft, active]"))
    changes = diff(old, new)
    assert kinds(changes) == ["RebuildEnum", "DropPolicy", "AddPolicy"] and changes[0].removed == ("archived",)
    assert [r.key for r in safety.risks(changes)] == ["drop_enum_value:status.archived"]
    text = sql(changes)
    assert "WHERE status::text IN ('archived')" in text
    cast = "ALTER TABLE products ALTER COLUMN status TYPE status USING status::text::status;"
    assert "ALTER TABLE products ALTER COLUMN status SET DEFAULT 'draft';" in text
    # PostgreSQL refuses to retype a column a policy uses: the policy goes first and comes back after
    assert text.index("DROP POLICY read_active") < text.index(cast) < text.index("CREATE POLICY read_active")
    assert text.index("CREATE TYPE status") < text.index("DROP TYPE status_old")


def test_reordering_values_rebuilds_without_loss(tmp_path):
    old, new = evolve(tmp_path, ("status: [draft, active, archived]", "status: [active, draft, archived]"))
    changes = diff(old, new)
    assert kinds(changes) == ["RebuildEnum", "DropPolicy", "AddPolicy"] and safety.risks(changes) == []


def test_dropping_an_enum_waits_for_the_columns_that_used_it(tmp_path):
    old, new = evolve(tmp_path, ("enums:\n  status: [draft, active, archived]\n", ""),
                      ("      status: status! = 'draft'", "      status: text! = 'draft'"),
                      ("status = 'active'", "status = 'active'::text"))
    text = sql(diff(old, new))
    assert text.index("ALTER COLUMN status TYPE text") < text.index("DROP TYPE status;")


# ---------------------------------------------------------------- indexes, constraints, policies, functions, views

def test_index_on_an_existing_table_is_built_concurrently_after_the_transaction(tmp_path):
    old, new = evolve(tmp_path, ("    policies:\n", "    indexes: [[price]]\n    policies:\n"))
    parts = split_parts(diff(old, new))
    assert [p.step for p in parts] == ["post"]
    (st,) = parts[0].up
    assert st.sql == "CREATE INDEX CONCURRENTLY IF NOT EXISTS products_price_idx ON products (price);"
    assert not st.transactional
    (undo,), _ = down_statements(parts[0])
    assert undo.sql == "DROP INDEX CONCURRENTLY IF EXISTS products_price_idx;"


def test_constraints_on_existing_tables_are_added_without_blocking(tmp_path):
    old, new = evolve(tmp_path, ("      code: text", "      code: {type: text, unique: true, check: \"code <> ''\"}"))
    statements = plan(diff(old, new)).statements
    main = [s.sql for s in statements if s.step == "main"]
    post = [s.sql for s in statements if s.step == "post"]
    assert any("CHECK (code <> '') NOT VALID" in s for s in main)
    assert post[0] == "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS products_code_key ON products (code);"
    assert "ALTER TABLE products ADD CONSTRAINT products_code_key UNIQUE USING INDEX products_code_key;" in post[1]
    assert post[2] == "ALTER TABLE products VALIDATE CONSTRAINT products_code_check;"


def test_changed_policy_is_altered_in_place(tmp_path):
    old, new = evolve(tmp_path, ("using: \"status = 'active'\"", "using: \"status <> 'archived'\""))
    changes = diff(old, new)
    assert kinds(changes) == ["AlterPolicy"]
    assert sql(changes) == "ALTER POLICY read_active ON products\n  USING (status <> 'archived');"


def test_policy_command_change_is_drop_and_create(tmp_path):
    old, new = evolve(tmp_path, ("for: select, to: [app_user]", "for: all, to: [app_user]"))
    assert kinds(diff(old, new)) == ["DropPolicy", "AddPolicy"]


def test_function_body_change_replaces_it_and_view_follows_column_type(tmp_path):
    extra = ("functions:\n  answer: {returns: integer, language: sql, body: select 1}\n"
             "views:\n  cheap: {query: 'select id, price from products'}\n")
    old = model(tmp_path, BASE + extra, "old")
    new = model(tmp_path, BASE.replace("      price: integer", "      price: bigint")
                + extra.replace("select 1", "select 2"), "new")
    changes = diff(old, new)
    assert "ReplaceFunction" in kinds(changes) and "DropFunction" not in kinds(changes)
    statements = plan(changes).statements
    order = [s.comment for s in statements]
    assert order.index("drop view cheap") < order.index("type integer -> bigint of products.price") \
        < order.index("view cheap")


def test_views_are_dropped_dependants_first_and_created_dependencies_first(tmp_path):
    views = ("views:\n  a: {query: 'select name from products'}\n  b: {query: 'select name from a'}\n"
             "  c: {query: 'select name from b'}\n")
    old = model(tmp_path, BASE + views, "old")
    new = model(tmp_path, BASE + views.replace("select name from products", "select name, code from products"), "new")
    order = [s.sql.split(" AS")[0] for s in plan(diff(old, new)).statements]
    assert order == ["DROP VIEW c;", "DROP VIEW b;", "DROP VIEW a;",             # b and c read a: remade too
                     "CREATE VIEW a WITH (security_invoker = true)", "CREATE VIEW b WITH (security_invoker = true)",
                     "CREATE VIEW c WITH (security_invoker = true)"]


def test_functions_a_table_default_calls_come_before_the_tables(tmp_path):
    text = BASE.replace("      code: text", "      code: text = next_code()") + (
        "functions:\n  next_code: {returns: text, language: sql, body: select helper() || 'x'}\n"
        "  helper: {returns: text, language: sql, body: select count(*)::text from products}\n")
    comments = [s.comment for s in plan(diff(Schema.empty(), model(tmp_path, text))).statements]
    assert comments.index("function helper") < comments.index("function next_code") < comments.index("table products")
    assert comments[comments.index("function helper") - 1].startswith("function bodies below are checked when called")


# ---------------------------------------------------------------- reverse

def _sample_changes(tmp_path) -> list:
    old, new = evolve(
        tmp_path, ("  products:\n", "  items:\n    renamed_from: products\n"),
        ("      name: text!", "      title: {type: text, nullable: false, renamed_from: name}"),
        ("      price: integer", "      price: bigint"), ("    policies:\n", "    indexes: [[code]]\n    policies:\n"),
        ("status: [draft, active, archived]", "status: [draft, active, paused, archived]"),
        ("using: \"status = 'active'\"", "using: \"status <> 'draft'\""))
    return diff(old, new)


def test_every_change_reverses_to_itself_twice(tmp_path):
    changes = _sample_changes(tmp_path)
    assert len({type(c) for c in changes}) >= 7
    for c in changes:
        if isinstance(c, al.AddEnumValues):        # undone by a rebuild, redone by one
            assert c.reverse().reverse().new == c.after
        else:
            assert c.reverse().reverse() == c, type(c).__name__


def test_in_place_changes_reverse_under_the_names_of_their_direction(tmp_path):
    changes = _sample_changes(tmp_path)
    alter = next(c for c in changes if isinstance(c, al.AlterColumn))
    assert (alter.table.name, alter.new.name) == ("items", "price")
    assert alter.reverse().table.name == "products"
    policy = next(c for c in changes if isinstance(c, al.AlterPolicy))
    assert policy.table.name == "items" and policy.reverse().table.name == "products"


def test_change_classes_carry_whole_objects_on_drops():
    for cls in (ch.DropTable, ch.DropEnum, ch.DropIndex, ch.DropPolicy, al.DropColumn, al.DropConstraint):
        assert {f.name for f in fields(cls)} - {"existing", "concurrently"}, cls


# ---------------------------------------------------------------- SQL splitting

def test_split_statements_respects_quotes_dollar_bodies_and_comments():
    script = ("SET lock_timeout = '5s';\nBEGIN;\n-- a comment; with a semicolon\n"
              "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END $fn$ LANGUAGE plpgsql;\n"
              "COMMENT ON TABLE \"a;b\" IS 'x;y';\nDO $$ BEGIN END $$; /* ; */\nCOMMIT;\n-- trailing;\n")
    assert split_statements(script) == [
        "SET lock_timeout = '5s'", "BEGIN",
        "-- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END $fn$ "
        "LANGUAGE plpgsql", "COMMENT ON TABLE \"a;b\" IS 'x;y'", "DO $$ BEGIN END $$", "/* ; */\nCOMMIT"]


def test_an_index_replaced_by_another_goes_only_once_the_new_one_is_built():
    """docs/review: tickets(company_id) gives way to UNIQUE (company_id, id), which serves the
    same foreign-key lookups; dropping the old one first would leave them without an index while
    the new one builds."""
    root = Path(__file__).parent.parent / "docs" / "review"
    statements = [s.sql for s in plan(diff(load_schema(root / "base.yaml"), load_schema(root / "head.yaml"))).statements]
    built = next(i for i, s in enumerate(statements) if s.startswith("CREATE UNIQUE INDEX CONCURRENTLY")
                 and "tickets_company_id_id_key" in s)
    dropped = next(i for i, s in enumerate(statements) if s.startswith("DROP INDEX") and "tickets_company_id_idx" in s)
    assert built < dropped, statements
