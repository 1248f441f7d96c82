"""Citus mode: every rule Citus enforces is reported with the spec line that breaks it, the
example specs validate (multi-tenant) or name each rule they break, the emitted schema and
migrations put the distribution calls after the tables and before keys, indexes, triggers and
policies, and everything but those calls applies to a real PostgreSQL (`SET gen.citus =
'skip'`). With GEN_TEST_CITUS_URL the schema is applied to a real Citus cluster as well."""
from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest

from generator.diagnostics import GenError
from generator.lint import lint
from generator.pipeline import load_schema
from generator.postgres.ddl import schema_statements
from generator.postgres.plan import render_script

ROOT = Path(__file__).resolve().parent.parent
MULTI_TENANT = ("chatapp", "conversational_commerce")
# what the examples without tenancy break on Citus, rule by rule
BROKEN = {"ai_chat": {"RS160", "RS163"}, "automations": {"RS160", "RS163", "RS167"},
          "commerce": {"RS160"}}

HEAD = """spec: 1
name: t
tenancy:
  root: companies
  column: company_id
"""
COMPANIES = """  companies:
    tenant: true
    columns: {id: uuid pk, name: text!}
"""


def errors_of(path: Path, citus: bool = True) -> list:
    try:
        schema = load_schema(path, citus=citus)
    except GenError as e:
        return e.diagnostics
    return [d for d in schema.warnings] + [d for d in lint(schema) if d.severity == "error"]


def spec(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(head + body)
    return path


# ---------------------------------------------------------------- the examples

@pytest.mark.parametrize("name", MULTI_TENANT)
def test_the_multi_tenant_examples_validate_in_citus_mode(name):
    schema = load_schema(ROOT / "spec" / f"{name}.yaml", citus=True)
    assert schema.settings.citus and schema.settings.citus.version == 13
    assert not [d for d in lint(schema) if d.severity == "error"]
    placed = {t.name: t.meta.placement for t in schema.tables}
    distributed = [t for t in schema.tables if placed[t.name].kind == "distributed"]
    assert len(distributed) >= 10, "the tenant tables are sharded"
    anchors = [t for t in distributed if placed[t.name].colocate_with is None]
    assert len(anchors) == 1, "one colocation group"
    for t in distributed:
        d = placed[t.name].column
        assert d == schema.tenancy.column and not t.column(d).nullable
        assert d in t.primary_key.columns
        assert all(d in u.columns for u in t.uniques) and all(d in i.columns for i in t.indexes if i.unique)
        for p in t.policies:
            assert "SELECT" not in (p.using or "") + (p.check or ""), (t.name, p.name)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_other_examples_name_each_rule_they_break_with_a_location(name):
    path = ROOT / "spec" / f"{name}.yaml"
    found = errors_of(path)
    assert {d.code for d in found} == BROKEN[name]
    for d in found:
        assert d.loc is not None and d.loc.file.endswith(f"{name}.yaml") and d.loc.line > 0, d
        assert d.name and d.hint
    assert errors_of(path, citus=False) == [], "valid as plain PostgreSQL"


def test_gen_validate_citus_prints_locations(tmp_path, capsys):
    from generator.cli import main
    code = main(["validate", "--citus", str(ROOT / "spec" / "ai_chat.yaml")])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 2
    assert re.search(r"ai_chat\.yaml:\d+:\d+: error RS163 \[citus\.reference_to_distributed\]", out)
    assert main(["validate", "--citus", str(ROOT / "spec" / "chatapp.yaml")]) == 0


# ---------------------------------------------------------------- each rule

RULES = {
    "RS161": (COMPANIES + """  invoices:
    tenant: true
    columns: {id: uuid pk, number: text! unique}
""", "number"),
    "RS162": (COMPANIES + """  users:
    tenant: {required: false}
    columns: {id: uuid pk}
""", "tenant"),
    "RS163": (COMPANIES + """  projects:
    tenant: true
    columns: {id: uuid pk}
  plans:
    columns: {id: uuid pk, project_id: uuid -> projects}
""", "project_id"),
    "RS164": (COMPANIES + """  projects:
    tenant: true
    columns: {id: uuid pk}
  tasks:
    tenant: true
    columns:
      id: uuid pk
      project_id: {type: uuid, ref: {entity: projects, same_tenant: false}}
""", "project_id"),
    "RS165": (COMPANIES + """  projects:
    tenant: true
    columns: {id: uuid pk}
  tasks:
    tenant: true
    columns: {id: uuid pk, project_id: uuid -> projects set null}
""", "project_id"),
    "RS166": (COMPANIES + """  projects:
    tenant: true
    columns: {id: uuid pk}
  notes:
    columns: {id: uuid pk, project_id: uuid -> projects}
""", "project_id"),
    "RS167": (COMPANIES + """  projects:
    tenant: true
    columns: {id: uuid pk, owner: uuid}
    policies:
      - tenant_isolation
      - {name: mine, for: select, restrictive: true, using: "EXISTS (SELECT 1 FROM companies c WHERE c.id = company_id)"}
""", "mine"),
    "RS169": (COMPANIES + """  events:
    columns: {id: uuid, at: timestamptz!}
    primary_key: [id, at]
    partition_by: RANGE (at)
""", "partition_by"),
    "RS171": ("""  companies:
    tenant: true
    columns: {id: uuid, region: text!}
    primary_key: [id, region]
""", "primary_key"),
    "RS172": (COMPANIES, "citus"),
    "RS174": (COMPANIES + """  counters:
    columns: {id: {type: integer, pk: true, identity: always}}
""", "id"),
}
LAYOUTS = {"RS166": "  citus: {local: [notes]}\n", "RS172": "  citus: {reference: [compnies]}\n"}


@pytest.mark.parametrize("code", sorted(RULES))
def test_each_rule_fires_at_the_line_that_breaks_it(tmp_path, code):
    body, word = RULES[code]
    path = spec(tmp_path, LAYOUTS.get(code, "") + "entities:\n" + body)
    found = [d for d in errors_of(path) if d.code == code]
    assert found, f"{code} did not fire: {[d.code for d in errors_of(path)]}"
    lines = path.read_text().splitlines()
    for d in found:
        assert d.loc is not None and word in lines[d.loc.line - 1], (d, lines[d.loc.line - 1])
    assert [d for d in errors_of(path, citus=False) if d.code == code] == [] or code == "RS172"


def test_rs160_without_tenancy_and_rs168_rs170_on_distribution_columns(tmp_path):
    plain = spec(tmp_path, "entities:\n  notes:\n    columns: {id: uuid pk}\n", "spec: 1\nname: t\n")
    found = errors_of(plain)
    assert [d.code for d in found] == ["RS160"] and found[0].loc is not None
    generated = spec(tmp_path, """entities:
  companies:
    tenant: true
    columns: {code: text!, id: {type: text, pk: true, generated: "lower(code)"}}
  projects:
    tenant: true
    columns: {id: uuid pk, company_id: "text! -> companies cascade"}
""")
    assert "RS168" in {d.code for d in errors_of(generated)}
    mixed = spec(tmp_path, """entities:
  companies:
    tenant: true
    columns: {id: bigint pk = 1}
  projects:
    tenant: true
    columns: {id: uuid pk, company_id: "integer! -> companies cascade"}
""")
    assert "RS170" in {d.code for d in errors_of(mixed)}


def test_rs173_warns_about_tenant_rows_on_every_node_unless_a_reason_is_given(tmp_path):
    body = COMPANIES + "  projects:\n    tenant: true\n    columns: {id: uuid pk}\n"
    warned = spec(tmp_path, "  citus: {root: reference, reference: [projects]}\nentities:\n" + body)
    found = [d for d in load_schema(warned, citus=True).warnings if d.code == "RS173"]
    assert found and found[0].severity == "warning"
    reasoned = spec(tmp_path, "  citus: {root: reference, reference: {projects: \"few rows, joined everywhere\"}}\n"
                              "entities:\n" + body)
    assert not [d for d in load_schema(reasoned, citus=True).warnings if d.code == "RS173"]


def test_rs175_schema_sharding_keeps_keys_inside_the_tenant_schema(tmp_path):
    head = "spec: 1\nname: t\ndatabase: {citus: 13}\ntenancy: {mode: schema}\n"
    body = "entities:\n  notes:\n    columns: {id: uuid pk, plan_id: uuid -> shared.plans(id)}\n"
    found = errors_of(spec(tmp_path, body, head))
    assert [d.code for d in found] == ["RS175"]
    ok = head.replace("tenancy: {mode: schema}", "tenancy: {mode: schema, citus: {reference: [shared.plans]}}")
    assert errors_of(spec(tmp_path, body, ok)) == []


# ---------------------------------------------------------------- by construction

def test_gen_makes_keys_citus_safe_by_construction(tmp_path):
    path = spec(tmp_path, """  citus: {root: reference, reference: {users: "admins of no company"}}
entities:
""" + COMPANIES + """  users:
    tenant: {required: false}
    columns: {id: uuid pk}
  projects:
    tenant: true
    columns: {id: uuid pk, owner_id: uuid -> users set null}
  tasks:
    tenant: true
    columns: {id: uuid pk, project_id: uuid! -> projects cascade, position: integer!}
    unique: [[project_id, position]]
    policies: [tenant_isolation]
""")
    s = load_schema(path, citus=True)
    projects, tasks = s.table("projects"), s.table("tasks")
    assert projects.primary_key.columns == ("company_id", "id")
    assert not [u for u in projects.uniques if set(u.columns) == {"company_id", "id"}], "the PK makes it redundant"
    assert [u.columns for u in tasks.uniques] == [("company_id", "project_id", "position")]
    keys = {fk.columns: fk for fk in projects.foreign_keys}
    assert keys[("owner_id",)].on_delete == "SET NULL" and keys[("owner_id",)].ref_columns == ("id",)
    assert keys[("company_id", "owner_id")].on_delete == "NO ACTION"
    assert all("(SELECT" not in (p.using or "") for p in tasks.policies)


def test_the_layout_is_inert_without_citus():
    for name in MULTI_TENANT:
        schema = load_schema(ROOT / "spec" / f"{name}.yaml")
        assert schema.settings.citus is None and all(t.meta.placement is None for t in schema.tables)
        assert "create_distributed_table" not in render_script(schema_statements(schema))


def test_rl017_a_shared_reference_table_the_app_may_write(tmp_path):
    body = """auth: {roles: [app]}
roles: {app: {}}
entities:
""" + COMPANIES + """  plans:
    columns: {id: uuid pk, price: numeric!}
    grants: {app: [select, insert, update, delete]}
    policies:
      - {name: plans_write, for: all, to: [app], using: "true", check: "true", public: true}
"""
    found = [d for d in lint(load_schema(spec(tmp_path, body), citus=True)) if d.code == "RL017"]
    assert found and "plans" in found[0].message
    assert not [d for d in lint(load_schema(spec(tmp_path, body))) if d.code == "RL017"], "Citus only"


# ---------------------------------------------------------------- the emitted plan

def citus_sql(name: str = "chatapp") -> str:
    return render_script(schema_statements(load_schema(ROOT / "spec" / f"{name}.yaml", citus=True)))


def test_distribution_calls_come_after_the_tables_and_before_keys_indexes_triggers_and_policies():
    sql = citus_sql()
    first_call = sql.index("PERFORM create_")
    last_call = sql.rindex("PERFORM create_")
    assert sql.index("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'") < sql.index("CREATE TABLE")
    assert sql.rindex("CREATE TABLE") < first_call
    for later in ("FOREIGN KEY", "CREATE INDEX", "CREATE TRIGGER", "CREATE POLICY", "ENABLE ROW LEVEL SECURITY"):
        assert sql.index(later) > last_call, later
    assert "REFERENCES" not in sql[:first_call], "no key inline: keys come once both tables are placed"
    anchor = re.search(r"create_distributed_table\('([^']+)', 'company_id'\);", sql).group(1)
    assert sql.index(f"'{anchor}', 'company_id');") < sql.index(f"colocate_with => '{anchor}'")
    assert sql.count("create_distributed_table(") == 11 and sql.count("create_reference_table(") == 6


def test_the_citus_schema_applies_to_postgres_with_the_calls_skipped_and_refuses_without(fresh_db):
    sql = citus_sql()
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="Citus is not installed"):
            conn.execute(sql)
        conn.execute("ROLLBACK")
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
        conn.execute("SET gen.citus = 'skip'")
        conn.execute(sql)
        n = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        pk = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                          "WHERE conname = 'chatapp_messages_pkey'").fetchone()[0]
    assert n == 18 and pk == "PRIMARY KEY (company_id, id)"


def test_verify_proves_the_citus_model_on_postgres(pg_url):
    from generator.verify import verify
    report = verify(load_schema(ROOT / "spec" / "chatapp.yaml", citus=True), "chatapp", database_url=pg_url)
    bad = [r for r in report.results if r.status in ("fail", "skip")]
    assert not bad, bad[:5]
    assert sum(r.check == "rls" for r in report.results) > 100


# ---------------------------------------------------------------- migrations

V1 = HEAD.replace("name: t\n", "name: t\ndatabase: {citus: 13}\n") + """entities:
""" + COMPANIES + """  projects:
    tenant: true
    columns: {id: uuid pk, name: text!}
"""


def test_migrations_distribute_new_tables_and_refuse_what_citus_cannot_do(tmp_path, fresh_db):
    from generator.migrate.author import new_migration
    from generator.migrate.project import load_project
    from generator.migrate.runner import up
    path, d = tmp_path / "app.yaml", tmp_path / "migrations"
    path.write_text(V1)
    new_migration(load_project(str(path)), d, "init")
    path.write_text(V1 + "  tasks:\n    tenant: true\n    columns: {id: uuid pk, project_id: uuid! -> projects cascade}\n")
    new_migration(load_project(str(path)), d, "tasks")
    second = sorted(d.glob("*_tasks.up.sql"))[0].read_text()
    assert "create_distributed_table('public.tasks', 'company_id', colocate_with => 'public.companies')" in second
    assert second.index("PERFORM create_distributed_table") < second.index("FOREIGN KEY")
    os.environ["PGOPTIONS"] = "-c gen.citus=skip"
    try:
        up(fresh_db, d)
    finally:
        del os.environ["PGOPTIONS"]
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT to_regclass('public.tasks') IS NOT NULL").fetchone()[0]
    moved = path.read_text().replace("  column: company_id\n", "  column: company_id\n  citus: {root: reference}\n")
    path.write_text(moved)
    with pytest.raises(GenError) as e:
        new_migration(load_project(str(path)), d, "move")
    assert e.value.diagnostics[0].code == "MG070" and "companies moves from distributed by id" in str(e.value)


def test_a_distribution_column_type_change_is_refused(tmp_path):
    from generator.migrate.author import new_migration
    from generator.migrate.project import load_project
    path, d = tmp_path / "app.yaml", tmp_path / "migrations"
    v1 = """spec: 1
name: t
database: {citus: 13}
tenancy: {root: companies, column: company_id}
entities:
  companies:
    tenant: true
    columns: {id: uuid pk}
  tasks:
    tenant: true
    columns: {id: uuid pk, company_id: "uuid! -> companies cascade"}
"""
    path.write_text(v1)
    new_migration(load_project(str(path)), d, "init")
    path.write_text(v1.replace("{id: uuid pk}", "{id: text pk = 'x'}").replace('"uuid! ->', '"text! ->'))
    with pytest.raises(GenError) as e:
        new_migration(load_project(str(path)), d, "retype")
    assert {x.code for x in e.value.diagnostics} == {"MG070"}
    assert "the distribution column company_id would change type from uuid to text" in str(e.value)
    assert len(list(d.glob("*.up.sql"))) == 1, "nothing written"


# ---------------------------------------------------------------- a real Citus cluster

CITUS_URL = os.environ.get("GEN_TEST_CITUS_URL")


@pytest.mark.skipif(not CITUS_URL, reason="GEN_TEST_CITUS_URL is not set: no Citus cluster to apply the "
                                          "distributed schema to (Citus is not installable from this machine's "
                                          "registries; see docs/scale-out.md)")
def test_on_a_real_citus_cluster_tables_are_placed_and_tenants_stay_apart():
    """Applies chatapp's Citus schema to the (throw-away) database GEN_TEST_CITUS_URL names,
    checks pg_dist_partition, then reads as the application role with SET LOCAL tenant settings."""
    sql = citus_sql()
    with psycopg.connect(CITUS_URL, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
        conn.execute(sql)
        placed = dict(conn.execute("SELECT logicalrelid::regclass::text, partmethod FROM pg_dist_partition").fetchall())
        assert placed.get("chatapp_messages") == "h" and placed.get("chatapp_companies") == "n"
        groups = {r[0] for r in conn.execute("SELECT colocationid FROM pg_dist_partition WHERE partmethod = 'h'")}
        assert len(groups) == 1
        a, b = conn.execute("INSERT INTO chatapp_companies (name, slug) VALUES ('A', 'a'), ('B', 'b') "
                            "RETURNING id").fetchall()
        for company in (a[0], b[0]):
            conn.execute("INSERT INTO chatapp_customers (company_id, name) VALUES (%s, 'c')", (company,))
        with conn.transaction():
            conn.execute("SET LOCAL ROLE chatapp_app")
            conn.execute(f"SET LOCAL app.company_id = '{a[0]}'")
            seen = {r[0] for r in conn.execute("SELECT company_id FROM chatapp_customers")}
        assert seen == {a[0]}, "the tenant setting reached the shards and RLS kept B's rows out"


def test_the_citus_script_parses_with_postgres_own_parser():
    """Structural check of what plain PostgreSQL skips: every statement, the guarded Citus
    calls included (their PL/pgSQL bodies too), parses with libpg_query."""
    import pglast
    from pglast import parse_plpgsql
    sql = citus_sql("conversational_commerce")
    statements = pglast.parse_sql(sql)
    calls = [s for s in statements if "create_distributed_table" in sql[s.stmt_location:s.stmt_location + s.stmt_len]
             or "create_reference_table" in sql[s.stmt_location:s.stmt_location + s.stmt_len]]
    assert len(calls) == sql.count("PERFORM create_")
    for s in calls:
        body = sql[s.stmt_location:s.stmt_location + s.stmt_len]
        assert s.stmt.__class__.__name__ == "DoStmt"
        block = body.split("$citus$")[1]
        parse_plpgsql(f"CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f${block}$f$")
