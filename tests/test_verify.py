"""`gen verify` on a real PostgreSQL: good specs pass every proof, a leaking policy is named
by table and command, drift and misbehaving constraints are caught, hostile names round-trip."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from generator.cli import main
from generator.db.apply import apply_statements
from generator.db.connect import connect
from generator.model import Column, DataType
from generator.pipeline import load_schema
from generator.postgres.normalize import normalize
from generator.verify import shim_for, statements
from generator.verify.compare import compare
from generator.verify.constraints import check_constraints
from generator.verify.report import FAIL, PASS
from generator.verify.sync import check_synced, differences

SPECS = Path(__file__).parent / "specs" / "verify"


def spec(name: str) -> str:
    return str(SPECS / f"{name}.yaml")


def run_verify(capsys, name: str, url: str) -> tuple[int, dict]:
    code = main(["verify", spec(name), "--database-url", url, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def results(data: dict, check: str | None = None, status: str | None = None) -> list[dict]:
    return [r for r in data["results"] if (check is None or r["check"] == check)
            and (status is None or r["status"] == status)]


def test_plain_multi_tenant_spec_verifies(pg_url, capsys):
    code, data = run_verify(capsys, "tenants", pg_url)
    assert code == 0, results(data, status=FAIL)
    assert results(data, "synced", PASS)
    rls = results(data, "rls", PASS)
    tables = {r["object"] for r in rls}
    assert {"shop_products", "shop_orders", "shop_categories"} <= tables
    whats = {r["what"] for r in rls if r["object"] == "shop_orders"}
    assert {"SELECT other tenant's row", "UPDATE other tenant's row", "DELETE other tenant's row",
            "INSERT for other tenant", "UPDATE own row to other tenant", "UPDATE without WHERE",
            "DELETE without WHERE", "SELECT with no tenant", "INSERT with no tenant", "UPDATE with no tenant",
            "DELETE with no tenant"} <= whats
    fk = {r["what"] for r in results(data, "fk", PASS)}
    assert {"orphan rejected", "ON DELETE CASCADE", "ON DELETE SET NULL", "ON DELETE RESTRICT"} <= fk
    checks = {r["object"] for r in results(data, "check", PASS)}
    assert {"shop_products.shop_products_price_check", "shop_orders.shop_orders_quantity_check",
            "shop_companies.shop_companies_plan_check", "shop_companies.shop_companies_slug_check",
            "shop_companies.shop_companies_api_token_check"} <= checks
    assert results(data, "unique", PASS)


def test_supabase_spec_with_owner_public_read_and_admin_verifies(pg_url, capsys):
    code, data = run_verify(capsys, "supabase", pg_url)
    assert code == 0, results(data, status=FAIL)
    rls = {(r["object"], r["what"]) for r in results(data, "rls", PASS)}
    assert ("chat_notes", "SELECT other user's row") in rls
    assert ("chat_notes", "INSERT for other user") in rls
    assert ("chat_profiles", "public row visible to anon") in rls
    assert ("chat_profiles", "private row hidden from anon") in rls
    assert ("chat_agents", "SELECT other tenant's row") in rls
    assert ("chat_agents", "admin sees every row") in rls
    assert ("chat_agents", "non-admin sees no other rows") in rls
    # chat_settings rows are made by a sign-up trigger on auth.users; the probes still run
    assert ("chat_settings", "INSERT for other user") in rls
    assert ("chat_settings", "UPDATE own row to other user") in rls
    assert not results(data, status="skip")


def test_leaking_policy_fails_and_names_table_and_command(pg_url, capsys):
    code = main(["verify", spec("leaky"), "--database-url", pg_url])
    out = capsys.readouterr().out
    assert code == 1

    def line(table: str, what: str, result: str) -> bool:
        pattern = rf"^rls\s+{table}\s+{re.escape(what)}\s+{re.escape(result)}"
        return re.search(pattern, out, re.MULTILINE) is not None

    assert line("leaky_agents", "INSERT for other tenant", "FAIL: row accepted"), out
    assert line("leaky_agents", "SELECT other tenant's row", "FAIL: 1 row(s) visible"), out
    assert line("leaky_agents", "UPDATE other tenant's row", "FAIL: 1 row(s) updated"), out
    assert line("leaky_agents", "DELETE other tenant's row", "FAIL: 1 row(s) deleted"), out
    assert line("leaky_agents", "UPDATE own row to other tenant", "FAIL: 1 row(s) moved"), out
    assert line("leaky_agents", "SELECT with no tenant", "FAIL: unset:"), out
    assert line("leaky_documents", "INSERT for other tenant", "FAIL: row accepted"), out
    assert line("leaky_documents", "SELECT other tenant's row", "PASS"), out   # only INSERT leaks there
    assert "NOT verified" in out.splitlines()[-1]


def rls_line(out: str, table: str, what: str, result: str) -> bool:
    return re.search(rf"^rls\s+{table}\s+{re.escape(what)}\s+{re.escape(result)}", out, re.MULTILINE) is not None


def test_update_policy_leak_needs_no_where_to_fail(pg_url, capsys):
    """`FOR UPDATE USING (true)` beside tenant isolation: `UPDATE … WHERE id = …` also applies
    the SELECT policies and is refused, but a bare `UPDATE lu_notes SET …` overwrites tenant B."""
    code = main(["verify", spec("leak_update"), "--database-url", pg_url])
    out = capsys.readouterr().out
    assert code == 1, out
    assert rls_line(out, "lu_notes", "UPDATE without WHERE", "FAIL: 1 row(s) of other tenants changed"), out
    assert rls_line(out, "lu_notes", "UPDATE with no tenant", "FAIL: unset: 2 row(s) updated"), out
    assert rls_line(out, "lu_notes", "UPDATE other tenant's row", "PASS"), out      # the WHERE hides it
    assert rls_line(out, "lu_notes", "DELETE without WHERE", "PASS"), out


def test_permissive_owner_policy_on_tenant_table_fails(pg_url, capsys):
    """Permissive tenant and owner policies OR: with the tenant set, as an application runs,
    every user of the tenant reads every row, which verify must not call owner isolation."""
    code = main(["verify", spec("owner_in_tenant"), "--database-url", pg_url])
    out = capsys.readouterr().out
    assert code == 1, out
    assert rls_line(out, "oit_drafts", "SELECT other user's row (same tenant)",
                    "FAIL: 1 row(s) visible — permissive policies combine with OR; make the owner policy "
                    "restrictive or drop tenant isolation"), out
    assert rls_line(out, "oit_drafts", "SELECT own row (same tenant)", "PASS"), out
    assert "UPDATE other user's row" not in out      # the owner policy covers SELECT only


def test_restrictive_owner_policy_isolates_users_within_a_tenant(pg_url, capsys):
    code, data = run_verify(capsys, "owner_restrictive", pg_url)
    assert code == 0, results(data, status=FAIL)
    whats = {r["what"] for r in results(data, "rls", PASS) if r["object"] == "ort_drafts"}
    assert {"SELECT own tenant's row", "INSERT own tenant's row", "SELECT other user's row (same tenant)",
            "UPDATE other user's row (same tenant)", "DELETE other user's row (same tenant)",
            "INSERT for other user (same tenant)", "UPDATE own row to other user (same tenant)",
            "UPDATE without WHERE (same tenant)", "DELETE without WHERE (same tenant)"} <= whats


def test_verify_starts_its_own_server_without_url(capsys):
    code = main(["verify", spec("hostile")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "inspected schema equals the spec" in out


def test_hostile_names_apply_and_inspect_back_identically(fresh_db):
    schema = load_schema(spec("hostile"))
    names = {t.name for t in schema.tables}
    assert {"user", "order"} <= names and any(len(n.encode()) == 63 for n in names)
    assert schema.enum("Group") is not None
    apply_statements(fresh_db, statements(schema), shim_for(schema))
    assert differences(schema, fresh_db) == []


def test_drift_is_named_by_object(fresh_db):
    schema = load_schema(spec("tenants"))
    apply_statements(fresh_db, statements(schema))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("ALTER TABLE shop_orders ALTER COLUMN quantity SET DEFAULT 2")
        conn.execute("DROP POLICY shop_products_tenant_isolation ON shop_products")
        conn.execute("CREATE INDEX extra_idx ON shop_companies (name)")
    found = {(r.object, r.what, r.detail) for r in check_synced(schema, fresh_db)}
    assert ("shop_orders.quantity", "column", "default: '1' (spec) vs '2' (database)") in found
    assert ("shop_products.shop_products_tenant_isolation", "policy", "missing in database") in found
    assert ("shop_companies.extra_idx", "index", "in database but not in spec") in found


def test_constraint_proofs_catch_a_misdeclared_action(fresh_db):
    """The database cascades, the model claims RESTRICT: the fk proof must fail."""
    schema = load_schema(spec("tenants"))
    apply_statements(fresh_db, statements(schema))
    products = schema.table("shop_products")
    fk = products.foreign_keys[0]
    lying = replace(schema, tables=tuple(
        replace(t, foreign_keys=(replace(fk, on_delete="RESTRICT"),)) if t.name == "shop_products" else t
        for t in schema.tables))
    with connect(fresh_db, autocommit=True) as conn:
        got = [r for r in check_constraints(conn, lying) if r.object == f"shop_products.{fk.name}"]
    assert [(r.what, r.status) for r in got] == [("orphan rejected", PASS), ("ON DELETE RESTRICT", FAIL)]


def test_check_without_violating_value_is_a_warning(fresh_db):
    """`status IN (every enum label)` cannot be violated: reported as a warning, not a pass."""
    schema = load_schema(spec("tenants"))
    orders = schema.table("shop_orders")
    from generator.model import Check
    extra = Check("shop_orders_status_known", "status IN ('pending', 'paid', 'shipped')")
    schema = replace(schema, tables=tuple(replace(t, checks=t.checks + (extra,)) if t is orders else t
                                          for t in schema.tables))
    apply_statements(fresh_db, statements(schema))
    with connect(fresh_db, autocommit=True) as conn:
        got = [r for r in check_constraints(conn, schema) if r.object.endswith("shop_orders_status_known")]
    assert [r.status for r in got] == ["warn"]
    assert "no violating value found" in got[0].detail


def test_comparer_names_field_of_a_column():
    schema = load_schema(spec("tenants"))
    t = schema.table("shop_products")
    varchar = DataType("character varying", (20,))
    changed = replace(t, columns=tuple(replace(c, type=varchar) if c.name == "sku" else c
                                       for c in t.columns) + (Column("extra", DataType("integer")),))
    other = replace(schema, tables=tuple(changed if x is t else x for x in schema.tables))
    diffs = compare(normalize(schema), normalize(other))
    assert [(d.kind, d.name, d.problem) for d in diffs] == [
        ("column", "shop_products.sku", "type: text (spec) vs character varying(20) (database)"),
        ("column", "shop_products.extra", "in database but not in spec")]
    assert compare(normalize(schema), normalize(schema)) == []


@pytest.mark.parametrize("fmt", ["human", "json"])
def test_verify_output_formats(pg_url, capsys, fmt):
    code = main(["verify", spec("hostile"), "--database-url", pg_url, "--format", fmt])
    out = capsys.readouterr().out
    assert code == 0
    if fmt == "json":
        data = json.loads(out)
        assert data["ok"] is True and data["counts"]["fail"] == 0
        assert {"check", "object", "what", "status", "detail"} == set(data["results"][0])
    else:
        assert out.splitlines()[0].startswith("synced")
        assert "verified:" in out.splitlines()[-1]


def test_verify_unreachable_server_exits_3(capsys):
    url = "postgresql://postgres@/postgres?host=/nonexistent-gen-socket-dir&connect_timeout=2"
    assert main(["verify", spec("hostile"), "--database-url", url]) == 3
    assert "DB001" in capsys.readouterr().err


def test_verify_refuses_a_non_superuser(pg_url, capsys):
    from generator.db.connect import with_database
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(pg_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'gen_test_plain_user'").fetchone():
            conn.execute("CREATE ROLE gen_test_plain_user LOGIN")
    try:
        info = conninfo_to_dict(with_database(pg_url, "postgres"))
        url = make_conninfo(**{**info, "user": "gen_test_plain_user"})
        assert main(["verify", spec("hostile"), "--database-url", url]) == 3
        assert "VF001" in capsys.readouterr().err
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP ROLE IF EXISTS gen_test_plain_user")


@pytest.mark.parametrize("pattern", [r"^[0-9a-f]{64}$", r"^https?://", r"^[a-z0-9-]+$", r"^\S+@\S+\.\S+$",
                                     r"^(draft|live)$", r"^\d{3}-\d{4}$"])
def test_regex_samples_match(pattern):
    from generator.verify.samples import sample

    got = sample(pattern, 1)
    assert got is not None and re.search(pattern, got)


def test_regex_samples_vary_with_the_seed():
    from generator.verify.samples import sample

    assert sample(r"^[0-9a-f]{64}$", 1) != sample(r"^[0-9a-f]{64}$", 2)
    assert sample(r"^(?P<x>a)(?P=x)$", 1) is None          # back-references: no sample, no crash


def test_set_null_key_to_the_tenant_root_is_proven_alone(fresh_db, tmp_path):
    """A SET NULL key to the tenant root beside the tenant column's CASCADE key: the proof points
    it at a root row of its own, so deleting that row shows this key's action (not the tenant
    key's cascade, which deleted the child and read as 'child not set to NULL'); and a database
    that cascades instead still fails the proof."""
    path = tmp_path / "root_keys.yaml"
    path.write_text("""\
spec: 1
name: rootkeys
tenancy: {root: tenants, column: tenant_id}
entities:
  tenants:
    columns: {id: uuid pk, name: text!}
  orders:
    tenant: true
    columns:
      id: uuid pk
      sponsor_id: {type: uuid, ref: {entity: tenants, on_delete: set null}}
""")
    schema = load_schema(path)
    apply_statements(fresh_db, statements(schema))
    orders = schema.table("orders")
    fk = next(f for f in orders.foreign_keys if f.columns == ("sponsor_id",))
    with connect(fresh_db, autocommit=True) as conn:
        got = [r for r in check_constraints(conn, schema) if r.object == f"orders.{fk.name}"]
    assert [(r.what, r.status) for r in got if "ON DELETE" in r.what] == [("ON DELETE SET NULL", PASS)]
    with connect(fresh_db, autocommit=True) as conn:      # the database cascades; the model says SET NULL
        conn.execute(f"ALTER TABLE orders DROP CONSTRAINT {fk.name}, ADD CONSTRAINT {fk.name} "
                     "FOREIGN KEY (sponsor_id) REFERENCES tenants (id) ON DELETE CASCADE")
        got = [r for r in check_constraints(conn, schema) if r.object == f"orders.{fk.name}"]
    assert [(r.what, r.status) for r in got if "ON DELETE" in r.what] == [("ON DELETE SET NULL", FAIL)]


def test_no_tenant_insert_judges_each_way_on_its_own(pg_url, tmp_path, capsys):
    """Each way of having no tenant is judged on its own: a policy admitting a row whose tenant
    setting reads '' (set to '', after RESET) but not NULL (never set) fails those two ways, each
    with the row accepted, and not unset."""
    path = tmp_path / "blank.yaml"
    path.write_text("""\
spec: 1
name: blank
tenancy: {root: companies, column: company_id}
entities:
  companies:
    columns: {id: uuid pk, name: text!}
  notes:
    tenant: true
    columns: {id: uuid pk, title: text!}
    policies:
      - tenant_isolation
      - {name: notes_blank_insert, for: insert, check: "current_setting('app.company_id', true) = ''"}
""")
    code = main(["verify", str(path), "--database-url", pg_url])
    out = capsys.readouterr().out
    assert code == 1, out
    assert rls_line(out, "notes", "INSERT with no tenant",
                    "FAIL: set to '': row accepted; after RESET: row accepted"), out
    assert rls_line(out, "notes", "SELECT with no tenant", "PASS"), out


GATE_SPEC = """\
spec: 1
name: gate
database: {flavor: supabase}
tenancy: {root: companies, column: company_id}
entities:
  companies:
    columns: {id: uuid pk, name: text!}
  notes:
    tenant: true
    columns: {id: uuid pk, title: text!}
    policies:
      - tenant_isolation
sql:
  first_insert_gate:
    after: [notes]
    create: |
      CREATE FUNCTION first_insert_gate() RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog AS $$
      DECLARE k int := hashtext(now()::text); seen boolean;
      BEGIN
        SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                       AND objid = k::oid) INTO seen;
        PERFORM pg_advisory_lock(k);
        RETURN NOT seen AND coalesce(current_setting('request.jwt.claims', true), '') LIKE '%"anon"%';
      END $$;
      GRANT EXECUTE ON FUNCTION first_insert_gate() TO PUBLIC;
      CREATE POLICY first_insert ON notes FOR INSERT TO PUBLIC WITH CHECK (first_insert_gate());
    drop: DROP POLICY first_insert ON notes; DROP FUNCTION first_insert_gate();
"""


def test_each_no_tenant_way_tries_its_insert_in_a_transaction_of_its_own(pg_url, tmp_path, capsys):
    """A policy that admits only the first INSERT of a transaction, and only for anon (a session
    advisory lock keyed by now() survives ROLLBACK TO SAVEPOINT): were the ways to share one
    transaction, anon's INSERT would come after the empty setting's and be refused, and the hole would
    pass verify (an attacker's review found this in a version that shared it). Each way in its own
    transaction, anon's row is accepted and the attack fails."""
    path = tmp_path / "gate.yaml"
    path.write_text(GATE_SPEC)
    code = main(["verify", str(path), "--database-url", pg_url])
    out = capsys.readouterr().out
    assert code == 1, out
    assert rls_line(out, "notes", "INSERT with no tenant", "FAIL: as anon: row accepted"), out
