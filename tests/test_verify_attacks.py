"""`gen verify` as an attacker, on a real PostgreSQL: for every kind of attack a weakened spec
under tests/specs/verify/ fails, naming the table (view, function, column) and the command, and
its sound twin passes the same attack. Each spec is verified once per session."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.cli import main
from generator.pipeline import load_schema
from generator.verify import verify

SPECS = Path(__file__).parent / "specs" / "verify"
_CACHE: dict[tuple[str, str], list[dict]] = {}


def results(name: str, url: str) -> list[dict]:
    if (name, url) not in _CACHE:
        report = verify(load_schema(str(SPECS / f"{name}.yaml")), name, url)
        _CACHE[(name, url)] = report.to_dict()["results"]
    return _CACHE[(name, url)]


def outcome(name: str, url: str, obj: str, what: str, check: str = "rls") -> tuple[str, str]:
    got = [(r["status"], r["detail"]) for r in results(name, url)
           if r["check"] == check and r["object"] == obj and r["what"] == what]
    whats = sorted({r["what"] for r in results(name, url) if r["object"] == obj})
    assert len(got) == 1, f"{check} {obj} {what!r}: {got} in {whats}"
    return got[0]


def test_weak_with_check_moves_rows_only_without_where(pg_url, capsys):
    """`check: true` on an UPDATE policy beside tenant isolation: `UPDATE … WHERE id = …`
    reads a column, so the SELECT policy refuses the new row; the bare UPDATE moves it."""
    assert outcome("weak_check", pg_url, "wc_notes", "UPDATE own rows to other tenant (no WHERE)") == \
        ("fail", "1 row(s) moved")
    assert outcome("weak_check", pg_url, "wc_notes", "UPDATE own row to other tenant")[0] == "pass"
    assert outcome("weak_check", pg_url, "wc_memos", "UPDATE own rows to other tenant (no WHERE)")[0] == "pass"
    code = main(["verify", str(SPECS / "weak_check.yaml"), "--database-url", pg_url, "--problems"])
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(r"^rls\s+wc_notes\s+UPDATE own rows to other tenant \(no WHERE\)\s+FAIL: 1 row\(s\) moved$",
                     out, re.MULTILINE), out


@pytest.mark.parametrize("what, detail", [
    ("UPDATE … RETURNING shows only own rows", "1 row(s) of other tenants returned"),
    ("DELETE … RETURNING shows only own rows", "1 row(s) of other tenants returned"),
    ("INSERT … ON CONFLICT DO UPDATE on other tenant's key", "other tenant's row overwritten"),
    ("COPY TO shows only own rows", "other tenant's row copied out"),
])
def test_returning_upsert_and_copy_out_fail_on_an_open_policy(pg_url, what, detail):
    assert outcome("leaky", pg_url, "leaky_agents", what) == ("fail", detail)
    assert outcome("tenants", pg_url, "shop_products", what)[0] == "pass"


def test_rls_off_takes_copied_in_rows_and_truncate_needs_the_privilege(pg_url):
    assert outcome("app_roles", pg_url, "ar_archive", "COPY FROM a row for other tenant") == \
        ("fail", "row for other tenant accepted")
    status, detail = outcome("app_roles", pg_url, "ar_orders", "COPY FROM a row for other tenant")
    assert status == "pass" and "COPY FROM not supported with row-level security" in detail
    assert outcome("app_roles", pg_url, "ar_ledger", "TRUNCATE as app_user") == \
        ("fail", "2 row(s) removed (RLS does not govern TRUNCATE)")
    status, detail = outcome("app_roles", pg_url, "ar_orders", "TRUNCATE as app_user")
    assert status == "pass" and "permission denied" in detail


def test_the_specs_own_role_keeps_exactly_its_grants(pg_url):
    """app_user is the spec's role: verify acts as it and grants it nothing (a GRANT of ours
    would have let `INSERT own tenant's row` pass on a table the spec grants no INSERT on)."""
    status, detail = outcome("app_roles", pg_url, "roles", "act as app_user")
    assert status == "pass" and "exactly as the schema grants them" in detail
    assert not [r for r in results("app_roles", pg_url) if r["what"] == "act as gen_verify_app"]
    status, detail = outcome("tenants", pg_url, "roles", "act as gen_verify_app")
    assert "stand-in" in detail
    status, detail = outcome("supabase", pg_url, "roles", "act as authenticated")
    assert "request.jwt.claims" in detail


def test_references_across_principals(pg_url):
    fail = ("fail", "accepted: the row now points at other user's xr_projects")
    assert outcome("cross_refs", pg_url, "xr_tasks", "INSERT pointing project_id at other user's xr_projects") == fail
    assert outcome("cross_refs", pg_url, "xr_tasks",
                   "UPDATE own row to point project_id at other user's xr_projects") == fail
    refused = ("pass", "refused by xr_notes_project_id_fkey")
    assert outcome("cross_refs", pg_url, "xr_notes",
                   "INSERT pointing project_id at other user's xr_projects") == refused
    assert outcome("cross_refs", pg_url, "xr_notes",
                   "UPDATE own row to point project_id at other user's xr_projects") == refused
    assert outcome("cross_refs", pg_url, "xr_partners", "INSERT pointing team_id at other tenant's xr_teams") == \
        ("pass", "accepted, as declared (same_tenant: false)")


def test_a_shared_parent_row_is_usable_by_every_tenant_and_another_tenants_is_not(pg_url):
    """`same_tenant: shared`: the trigger reads the parent under its RLS, so gen adds a read policy
    for rows of no tenant; without it a tenant could not use a system theme, and verify says so."""
    assert outcome("cross_refs", pg_url, "xr_shops", "INSERT pointing theme_id at a shared xr_themes (no tenant)") \
        == ("pass", "accepted (same_tenant: shared)")
    status, detail = outcome("cross_refs", pg_url, "xr_shops", "INSERT pointing theme_id at other tenant's xr_themes")
    assert status == "pass" and "refused" in detail, detail
    schema = load_schema(str(SPECS / "cross_refs.yaml"))
    themes = schema.table("xr_themes")
    assert [p.name for p in themes.policies if p.command == "SELECT"] == ["xr_themes_shared_rows"]
    from dataclasses import replace
    weak = replace(themes, policies=tuple(p for p in themes.policies if p.name != "xr_themes_shared_rows"))
    schema = replace(schema, tables=tuple(weak if t is themes else t for t in schema.tables))
    report = verify(schema, "cross_refs", pg_url, only={schema.table("xr_shops").key}).to_dict()["results"]
    got = [r for r in report if r["object"] == "xr_shops" and "shared" in r["what"]]
    assert [r["status"] for r in got] == ["fail"] and "belongs to another tenant" in got[0]["detail"], got


def test_rows_of_a_tenant_are_built_under_a_parent_whose_tenant_may_be_null(pg_url):
    """The tenant-consistent key (tenant_id, user_id) -> users: a fixture parent of no tenant
    would hand NULL to posts.tenant_id; every constraint proof of posts must still run."""
    got = [r for r in results("optional_tenant_parent", pg_url) if r["object"].startswith("posts")]
    assert got and not [r for r in got if r["status"] != "pass"], [r for r in got if r["status"] != "pass"]
    assert {r["what"] for r in got if r["check"] == "fk"} >= {"orphan rejected", "ON DELETE CASCADE"}
    copied = [(r["status"], r["detail"]) for r in got if r["what"].startswith("COPY TO")]
    assert copied and all(c == ("pass", "") for c in copied), copied     # run, not refused for a generated column
    assert outcome("optional_tenant_parent", pg_url, "users", "INSERT own tenant's row") == ("pass", "")
    moved = [r for r in results("optional_tenant_parent", pg_url) if r["object"] == "users.tenant_id"]
    assert len(moved) == 4 and all(r["status"] == "pass" for r in moved), moved     # pinned by tenant isolation
    schema = load_schema(str(SPECS / "optional_tenant_parent.yaml"))
    guarded = {(g.column, g.on_insert) for g in schema.table("users").meta.protected}
    # tenant_id has no guard (it would refuse every new user); id, which is_admin() looks up, is
    # guarded on UPDATE only (no taking over an admin's row)
    assert guarded == {("is_system_admin", True), ("id", False)}
    versions = [(r["what"], r["status"]) for r in results("optional_tenant_parent", pg_url) if r["check"] == "version"]
    assert versions == [("an UPDATE carrying a stale version is rejected (40001)", "pass"),
                        ("an UPDATE carrying the current version increments it", "pass")], versions


def test_tables_owned_through_a_parent_get_the_matrix(pg_url):
    """dv_messages and dv_attachments have no owner column: they belong to whoever owns their
    conversation. attachments' SELECT policy is `true`."""
    assert outcome("derived", pg_url, "dv_attachments", "SELECT other user's row") == ("fail", "1 row(s) visible")
    for what in ("SELECT other user's row", "INSERT for other user", "UPDATE own row to other user",
                 "DELETE other user's row", "SELECT own row", "INSERT own row"):
        assert outcome("derived", pg_url, "dv_messages", what)[0] == "pass", what
    # faqs are public through their agent: the parent is steered, so nothing is skipped
    assert outcome("derived", pg_url, "dv_faqs", "public row visible to anon") == ("pass", "")
    assert outcome("derived", pg_url, "dv_faqs", "private row hidden from anon") == ("pass", "")
    assert not [r for r in results("derived", pg_url) if r["status"] == "skip"]


def test_self_promotion_through_a_writable_admin_column_fails(pg_url):
    """The admin predicate `coalesce(flags ->> 'admin', '') = 'yes'` (not `col = 'literal'`) is
    met by steering; flags is `protected: false`, so the user makes themself an admin."""
    col = "es_profiles.flags"
    status, detail = outcome("escalation", pg_url, col, "authenticated as user U1 changes it on own row", "escalation")
    assert status == "fail" and "is_admin() is now true" in detail and '{"admin": "yes"}' in detail
    status, detail = outcome("escalation", pg_url, col, "authenticated as user U1 inserts a row with it", "escalation")
    assert status == "fail"
    assert outcome("escalation", pg_url, "es_notes", "admin sees every row")[0] == "pass"
    assert outcome("escalation", pg_url, col, "service_role may change it", "escalation")[0] == "pass"


def test_protected_admin_flag_holds_and_the_declared_path_works(pg_url):
    col = "af_users.is_system_admin"
    for what in ("gen_verify_app as tenant A, user U1 changes it on own row",
                 "gen_verify_app as tenant A, user U1 inserts a row with it",
                 "gen_verify_app (no user) inserts a row with it"):
        status, detail = outcome("admin_flag", pg_url, col, what, "escalation")
        assert status == "pass" and "protected" in detail, (what, detail)
    assert outcome("admin_flag", pg_url, col, "an admin may change it", "escalation") == \
        ("pass", "is_system_admin set to 'true'::boolean")
    assert outcome("admin_flag", pg_url, "af_tickets", "admin sees every row")[0] == "pass"
    bad = [r for r in results("admin_flag", pg_url) if r["status"] != "pass"]
    assert not bad, bad


def test_reads_through_views_and_security_definer_functions(pg_url):
    what = "as gen_verify_app (tenant A, user U1): same result without rows it cannot see"
    status, detail = outcome("views", pg_url, "vw_all_notes", what, "view")
    assert status == "fail" and "2 row(s), 1 once they are deleted" in detail
    assert outcome("views", pg_url, "vw_my_notes", what, "view")[0] == "pass"
    status, detail = outcome("views", pg_url, "vw_note_count()", what, "function")
    assert status == "fail" and "2 before, 1 after" in detail
    assert outcome("views", pg_url, "vw_note_title(note uuid)", what, "function") == ("pass", "4 call(s)")


def test_refused_functions_pass(pg_url):
    status, detail = outcome("supabase", pg_url, "chat_is_admin()",
                             "as anon (no user): same result without rows it cannot see", "function")
    assert status == "pass" and "permission denied" in detail


def test_strict_fails_a_skip_and_the_skip_says_why(pg_url, tmp_path, capsys):
    spec = tmp_path / "custom.yaml"
    current = "'00000000-0000-0000-0000-000000000000'::uuid"
    spec.write_text("spec: 1\nname: custom\nnaming: {table_prefix: cu_}\n"
                    f"tenancy: {{root: companies, column: company_id, current: \"{current}\"}}\n"
                    "entities:\n  companies:\n    columns: {id: uuid pk}\n"
                    "  notes:\n    tenant: true\n    columns: {id: uuid pk, body: text!}\n")
    assert main(["verify", str(spec), "--database-url", pg_url, "--problems"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^rls\s+cu_notes\s+tenant isolation\s+SKIP: the tenant is not read from a setting", out,
                     re.MULTILINE), out
    assert main(["verify", str(spec), "--database-url", pg_url, "--strict"]) == 1
    assert "NOT verified" in capsys.readouterr().out


def test_only_limits_the_attacks_to_some_tables(pg_url):
    schema = load_schema(str(SPECS / "tenants.yaml"))
    report = verify(schema, "tenants", pg_url, only={("public", "shop_orders")})
    objects = {r.object.split(".")[0] for r in report.results if r.check not in ("synced",)}
    assert objects == {"shop_orders", "roles"}, objects
    whats = {r.what for r in report.results if r.object == "shop_orders"}
    assert {"SELECT other tenant's row", "UPDATE own rows to other tenant (no WHERE)",
            "INSERT pointing product_id at other tenant's shop_products"} <= whats
    assert report.ok(strict=True)
