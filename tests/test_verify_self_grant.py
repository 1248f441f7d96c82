"""A membership row that grants access to whoever it names (model.grants): verify tries, as a
user of the tenant who is no member, to insert one naming itself and to re-point another's at
itself, and judges by effect (the helper called as that user afterwards)."""
from __future__ import annotations

import re

from test_verify_attacks import outcome, results

from generator.model.grants import grant_lookups
from generator.pipeline import load_schema
from test_verify_attacks import SPECS


def test_the_membership_lookups_are_found_with_their_identity_columns():
    got = {(g.shown, g.table[1], tuple(c for c, _ in g.identity))
           for g in grant_lookups(load_schema(str(SPECS / "self_grant.yaml")))}
    assert ("public.sg_is_staff()", "sg_members", ("tenant_id", "user_id")) in got
    assert ("public.sg_is_open_staff()", "sg_open_members", ("tenant_id", "user_id")) in got
    assert ("public.sg_is_project_member(<project_id>)", "sg_project_members", ("user_id",)) in {
        (g.shown, g.table[1], tuple(c for c, _ in g.identity)) for g in grant_lookups(load_schema(str(SPECS / "self_grant.yaml")))}


def test_an_open_membership_table_lets_a_user_grant_itself_and_verify_fails(pg_url):
    who = "a user of tenant A with no sg_open_members row"
    status, detail = outcome("self_grant", pg_url, "sg_open_members", f"{who} inserts one naming itself", "self-grant")
    assert status == "fail" and "public.sg_is_open_staff() is now true" in detail, detail
    # re-pointing is refused by construction: the identity column of a grant row is guarded on UPDATE
    status, detail = outcome("self_grant", pg_url, "sg_open_members", f"{who} re-points another's row at itself",
                             "self-grant")
    assert status == "pass" and "column user_id of sg_open_members is protected" in detail, detail
    guards = {(g.column, g.on_insert) for g in load_schema(str(SPECS / "self_grant.yaml")).table(
        "sg_open_members").meta.protected}
    assert guards == {("user_id", False)}


def test_a_membership_of_a_parent_is_attacked_through_the_helpers_parameter(pg_url):
    """sg_is_project_member(project): the attacker points a new membership at someone else's
    project and calls the helper with that project."""
    who = "a user of tenant A with no sg_project_members row"
    status, detail = outcome("self_grant", pg_url, "sg_project_members", f"{who} inserts one naming itself",
                             "self-grant")
    assert status == "fail" and re.search(r"sg_is_project_member\('[0-9a-f-]{36}'::uuid\) is now true", detail), detail
    status, detail = outcome("self_grant", pg_url, "sg_project_members", f"{who} re-points another's row at itself",
                             "self-grant")
    assert status == "pass" and "column user_id of sg_project_members is protected" in detail, detail


def test_a_membership_only_staff_may_write_holds(pg_url):
    who = "a user of tenant A with no sg_members row"
    status, detail = outcome("self_grant", pg_url, "sg_members", f"{who} inserts one naming itself", "self-grant")
    assert status == "pass" and "refused" in detail and "row-level security" in detail, detail
    status, detail = outcome("self_grant", pg_url, "sg_members", f"{who} re-points another's row at itself",
                             "self-grant")
    assert status == "pass" and "0 row(s) re-pointed" in detail, detail
    others = [r for r in results("self_grant", pg_url) if r["status"] != "pass"
              and r["object"] not in ("sg_open_members", "sg_project_members")]
    assert others == [], others


def test_an_admin_row_cannot_be_taken_over_by_changing_its_id(pg_url):
    """sg_users is tenant-isolated: any user of the tenant may update its rows, so without the
    identity guard a user could set an admin's row's id to its own and be admin."""
    who = "a user of tenant A with no sg_users row"
    status, detail = outcome("self_grant", pg_url, "sg_users", f"{who} re-points another's row at itself", "self-grant")
    assert status == "pass" and "column id of sg_users is protected" in detail, detail
    status, detail = outcome("self_grant", pg_url, "sg_users.id", "app as tenant A changes it on own row", "escalation")
    assert status == "pass" and "protected" in detail, detail


def test_a_parent_key_that_cascades_into_a_grant_rows_identity_is_guarded_too(fresh_db):
    """ON UPDATE CASCADE runs as the table owner, past oc_members' own guard: renaming a staff
    member's login to your own would make you staff. The parent key is guarded on UPDATE."""
    import psycopg

    from generator.db.apply import apply_statements
    from generator.postgres.ddl import schema_statements
    schema = load_schema(str(SPECS / "cascaded_identity.yaml"))
    assert {(p.column, p.on_insert) for p in schema.table("oc_logins").meta.protected} == {("login", False)}
    apply_statements(fresh_db, schema_statements(schema))
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        a = conn.execute("INSERT INTO oc_tenants DEFAULT VALUES RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO oc_logins (tenant_id, login) VALUES (%s, 'staff'), (%s, 'me')", (a, a))
        conn.execute("INSERT INTO oc_members (tenant_id, user_id) VALUES (%s, 'staff')", (a,))
        conn.execute("BEGIN")
        conn.execute("SET LOCAL ROLE app")
        conn.execute("SELECT set_config('app.tenant_id', %s, true), set_config('app.user_id', 'attacker', true)",
                     (str(a),))
        try:
            conn.execute("UPDATE oc_logins SET login = 'attacker' WHERE login = 'staff'")
            raise AssertionError("the cascade re-pointed the staff membership")
        except psycopg.errors.InsufficientPrivilege:
            pass
        conn.execute("ROLLBACK")
