"""Fleets on a real PostgreSQL: tenant schemas (the spec written once, `{tenant}` replaced) and
tenant databases (listed by a query on a control database) rolled forward with a canary and
waves; a drifted tenant stops its wave and is named in the report; a killed rollout resumes to
completion without applying anything twice; `add` creates a tenant that inspects identical to
the migrated ones."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from generator.db.connect import with_database
from generator.db.inspect import inspect
from generator.db.server import scratch_name
from generator.diagnostics import GenError
from generator.migrate.author import new_migration
from generator.migrate.files import MigrationDir
from generator.migrate.fleet.config import Target, load_fleet
from generator.migrate.fleet.provision import provision
from generator.migrate.fleet.report import to_markdown
from generator.migrate.fleet.rollout import resolve_targets, status, up
from generator.migrate.project import load_project
from generator.migrate.snapshot import to_json

ROOT = Path(__file__).resolve().parent.parent
SPEC = """spec: 1
name: crm
tenancy: {mode: schema}
auth: {roles: ["{tenant}_app"]}
roles: {"{tenant}_app": {}}
entities:
  customers:
    columns: {id: uuid pk, name: text!, email: text unique}
    grants: {"{tenant}_app": [select, insert, update, delete]}
    policies:
      - {name: customers_all, for: all, to: ["{tenant}_app"], using: "true", check: "true", public: true}
  notes:
    columns: {id: uuid pk, customer_id: uuid! -> customers cascade, body: text!}
"""
V2 = SPEC + "    indexes: [[customer_id]]\n  tags:\n    columns: {id: uuid pk, label: text! unique}\n"


def project(tmp_path: Path, spec: str, tenants: list[str], url: str, **rollout) -> Path:
    """Write the spec, its migrations so far and a fleet file of tenant schemas in `url`."""
    (tmp_path / "app.yaml").write_text(spec)
    settings = {"canary": 1, "wave_size": 4, "parallel": 2, **rollout}
    (tmp_path / "fleet.yaml").write_text(
        "fleet: 1\nspec: app.yaml\nmigrations: migrations\ntargets:\n"
        f"  - url: ${{FLEET_TEST_DB}}\n    schemas: [{', '.join(tenants)}]\n"
        f"rollout: {json.dumps(settings)}\n")
    os.environ["FLEET_TEST_DB"] = url
    return tmp_path / "fleet.yaml"


def migration(tmp_path: Path, name: str) -> None:
    new_migration(load_project(str(tmp_path / "app.yaml")), tmp_path / "migrations", name)


def fleet_of(path: Path):
    f = load_fleet(path)
    return f, resolve_targets(f)


def history(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT tenant, version, count(*) FROM gen.tenant_migrations "
                            "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()


def shape(url: str, schema: str) -> str:
    """A tenant schema as inspected, with its name taken out (to compare tenants)."""
    return to_json(inspect(url, (schema,))).replace(schema, "TENANT")


# ---------------------------------------------------------------- the fleet file

def test_the_fleet_file_interpolates_secrets_and_names_bad_lines(tmp_path):
    path = tmp_path / "fleet.yaml"
    path.write_text("fleet: 1\nspec: app.yaml\ntargets:\n  - url: postgresql://u:${PW}@h/db\n    name: acme\n"
                    "  - {url: \"postgresql://h/one\", schemas: [t_1, t_2]}\n")
    f = load_fleet(path, {"PW": "s3cret"})
    targets = resolve_targets(f)
    assert [(t.name, t.url, t.schema) for t in targets] == [
        ("acme", "postgresql://u:s3cret@h/db", None), ("t_1", "postgresql://h/one", "t_1"),
        ("t_2", "postgresql://h/one", "t_2")]
    with pytest.raises(GenError) as e:
        load_fleet(path, {})
    d = e.value.diagnostics[0]
    assert d.code == "MG081" and "PW" in d.message and (d.loc.line, d.loc.col) == (4, 25)
    path.write_text("fleet: 1\nspec: app.yaml\ntargets:\n  - {url: x, schemas: [\"T-1\"]}\n")
    with pytest.raises(GenError) as e:
        load_fleet(path, {})
    assert e.value.diagnostics[0].code == "MG082"


# ---------------------------------------------------------------- tenant schemas

TENANTS = [f"t_{i:02d}" for i in range(10)]


def test_schemas_roll_forward_drift_stops_the_wave_and_add_matches(tmp_path, fresh_db):
    path = project(tmp_path, SPEC, TENANTS, fresh_db)
    migration(tmp_path, "init")
    fleet, targets = fleet_of(path)
    first = up(fleet, targets)
    assert first.ok and first.waves == 4 and {o.state for o in first.outcomes} == {"migrated"}
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("INSERT INTO t_03.customers (name) VALUES ('x')")
        conn.execute("ALTER TABLE t_06.customers ADD COLUMN hand_made integer")     # manual drift
    (tmp_path / "app.yaml").write_text(V2)
    migration(tmp_path, "tags")
    second = up(fleet, targets)
    state = {o.target.name: o.state for o in second.outcomes}
    assert state["t_00"] == "migrated", "the canary went first"
    assert state["t_06"] == "drift" and not second.ok
    assert all(state[t] == "not reached" for t in TENANTS[9:]), "the waves after the drifted one did not start"
    report = to_markdown(second)
    assert "t_06" in report and "drop column customers.hand_made" in report and "failure budget (0)" in report
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("ALTER TABLE t_06.customers DROP COLUMN hand_made")
    third = up(fleet, targets)
    assert third.ok and {o.target.name for o in third.outcomes if o.state == "migrated"} >= {"t_06", "t_09"}
    versions = [m.version for m in MigrationDir(tmp_path / "migrations").migrations()]
    assert history(fresh_db) == [(t, v, 1) for t in TENANTS for v in versions], "every file once per tenant"
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT count(*) FROM t_03.customers").fetchone()[0] == 1, "data kept"
    added = provision(Target("t_new", fresh_db, "t_new"), MigrationDir(tmp_path / "migrations"),
                      load_project(str(tmp_path / "app.yaml")).schema)
    assert added.version == versions[-1]
    assert shape(fresh_db, "t_new") == shape(fresh_db, "t_01"), "provisioned from the spec = migrated"
    with psycopg.connect(fresh_db) as conn:
        role = conn.execute("SELECT has_table_privilege('t_new_app', 't_new.customers', 'INSERT'), "
                            "has_table_privilege('t_new_app', 't_01.customers', 'SELECT')").fetchone()
    assert role == (True, False), "each tenant's role reaches its own schema only"
    rows = status(fleet, targets + [Target("t_new", fresh_db, "t_new")], with_drift=True)
    assert all(r["pending"] == 0 and r["drift"] == [] and r["invalid_indexes"] == [] for r in rows), rows
    with pytest.raises(GenError) as e:
        provision(targets[1], MigrationDir(tmp_path / "migrations"), load_project(str(tmp_path / "app.yaml")).schema)
    assert e.value.diagnostics[0].code == "MG085"
    (tmp_path / "app.yaml").write_text(V2.replace("body: text!", "body: text!, pinned: boolean! = false"))
    with pytest.raises(GenError) as e:
        provision(Target("t_other", fresh_db, "t_other"), MigrationDir(tmp_path / "migrations"),
                  load_project(str(tmp_path / "app.yaml")).schema)
    assert e.value.diagnostics[0].code == "MG084" and "pinned" in e.value.diagnostics[0].message


def test_a_killed_rollout_resumes_and_applies_nothing_twice(tmp_path, fresh_db):
    tenants = [f"k_{i:02d}" for i in range(24)]
    path = project(tmp_path, SPEC, tenants, fresh_db, wave_size=6, parallel=2)
    migration(tmp_path, "init")
    d = MigrationDir(tmp_path / "migrations")
    slow = d.migrations()[0].up
    slow.write_text(slow.read_text().replace("COMMIT;", "SELECT pg_sleep(0.15);\n\nCOMMIT;"))   # a slow migration
    d.write_sum()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "generator", "fleet", "up", str(path)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = tmp_path / "fleet.log.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not log.exists() or log.read_text().count('"event": "target"') < 6):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = {t for t, _, _ in history(fresh_db)}
    assert 6 <= len(partial) < len(tenants), ("killed midway", log.read_text())
    fleet, targets = fleet_of(path)
    resumed = up(fleet, targets)
    state = {o.target.name: o.state for o in resumed.outcomes}
    assert resumed.ok and all(state[t] == "current" for t in partial)
    assert history(fresh_db) == [(t, d.migrations()[0].version, 1) for t in tenants]
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert lines[-1]["event"] == "end" and lines[-1]["stopped"] is None


# ---------------------------------------------------------------- tenant databases

PLAIN = """spec: 1
name: shop
entities:
  products:
    columns: {id: uuid pk, name: text!}
"""


def test_databases_listed_by_a_query_roll_forward_with_the_migrate_history(tmp_path, pg_url, fresh_db):
    names = [scratch_name("gen_fleet_") for _ in range(3)]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for n in names:
            conn.execute(f'CREATE DATABASE "{n}"')
    try:
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute("CREATE TABLE tenants (slug text, db_url text, active boolean)")
            for i, n in enumerate(names):
                conn.execute("INSERT INTO tenants VALUES (%s, %s, true)", (f"shop{i}", with_database(pg_url, n)))
            conn.execute("INSERT INTO tenants VALUES ('gone', 'postgresql://nowhere/x', false)")
        (tmp_path / "app.yaml").write_text(PLAIN)
        (tmp_path / "fleet.yaml").write_text(
            "fleet: 1\nspec: app.yaml\nmigrations: migrations\ntargets:\n  - url: ${CONTROL}\n"
            "    query: SELECT slug AS name, db_url AS url FROM tenants WHERE active ORDER BY slug\n"
            "rollout: {canary: [shop1], parallel: 2}\n")
        os.environ["CONTROL"] = fresh_db
        migration(tmp_path, "init")
        (tmp_path / "app.yaml").write_text(PLAIN.replace("name: text!", "name: text!, price: numeric! = 0"))
        migration(tmp_path, "price")
        fleet, targets = fleet_of(tmp_path / "fleet.yaml")
        assert [t.name for t in targets] == ["shop0", "shop1", "shop2"]
        run = up(fleet, targets)
        assert run.ok and run.outcomes[0].target.name == "shop1" and run.waves == 2
        from generator.migrate.runner import status as migrate_status
        for t in targets:
            assert [s.state for s in migrate_status(t.url, tmp_path / "migrations")] == ["applied", "applied"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with psycopg.connect(targets[2].url, autocommit=True) as conn:
            conn.execute("ALTER TABLE products DROP COLUMN price")
        done = subprocess.run([sys.executable, "-m", "generator", "fleet", "drift", str(tmp_path / "fleet.yaml")],
                              env=env, capture_output=True, text=True)
        assert done.returncode == 1 and "shop2: add column products.price" in done.stdout, done.stdout + done.stderr
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for n in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')


def test_the_cli_rolls_out_reports_and_adds(tmp_path, fresh_db, capsys):
    from generator.cli import main
    path = project(tmp_path, SPEC, ["c_1", "c_2", "c_3"], fresh_db, canary=["c_2"])
    migration(tmp_path, "init")
    report = tmp_path / "rollout.json"
    assert main(["fleet", "up", str(path), "--report", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["counts"] == {"migrated": 3} and data["targets"][0]["name"] == "c_2" and data["waves"] == 2
    assert main(["fleet", "add", str(path), "--schema", "c_4"]) == 0
    assert main(["fleet", "add", str(path), "--schema", "c_4"]) == 1, "exists: MG085"
    capsys.readouterr()
    assert main(["fleet", "status", str(path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["targets"]
    assert [(r["name"], r["pending"]) for r in rows] == [("c_1", 0), ("c_2", 0), ("c_3", 0)]
    assert shape(fresh_db, "c_4") == shape(fresh_db, "c_1")


def test_a_templated_name_too_long_for_a_tenant_is_refused_before_it_runs():
    """`{tenant}_app` for a 60-byte tenant name is 64 bytes: PostgreSQL would cut it to 63, and
    two tenants whose names share 59 bytes would share a role."""
    from generator.diagnostics import GenError
    from generator.migrate.fleet.config import Target
    from generator.migrate.fleet.target import for_target
    sql = 'CREATE ROLE "{tenant}_app";\nCREATE TABLE "{tenant}".t (id int);\n'
    ok = Target("short", "postgresql:///x", "acme")
    assert for_target(sql, ok) == 'CREATE ROLE "acme_app";\nCREATE TABLE "acme".t (id int);\n'
    long = Target("long", "postgresql:///x", "t" * 60)
    with pytest.raises(GenError) as got:
        for_target(sql, long)
    d = got.value.diagnostics[0]
    assert d.code == "MG088" and "t" * 60 + "_app" in d.message and "63 bytes" in d.message
    assert for_target("CREATE TABLE \"{tenant}\".t (id int);", long).startswith('CREATE TABLE "' + "t" * 60)
