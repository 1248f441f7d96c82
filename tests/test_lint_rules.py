"""The lint rules' finer points, each on a small spec: what must fire, and what must not (the
admin predicate, restrictive policies, nested views, recursion-guarded tables, column
privileges, nullable tenant columns, declared exceptions)."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.lint import lint
from generator.lint.predicates import parse_expr, pins, truth
from generator.lint.unicode import hidden
from generator.pipeline import load_schema

TENANCY = """tenancy: {root: companies, column: company_id, setting: app.company_id}
"""
COMPANIES = """  companies:
    tenant: true
    columns: {id: uuid pk, name: text!}
"""
CURRENT = "(SELECT NULLIF(current_setting('app.company_id', true), '')::uuid)"


def codes(tmp_path: Path, body: str) -> list[tuple[str, str]]:
    path = tmp_path / "spec.yaml"
    path.write_text("spec: 1\nname: t\n" + body)
    return sorted((d.code, d.name) for d in lint(load_schema(path)))


def test_all_policy_without_check_uses_its_using(tmp_path):
    body = TENANCY + "entities:\n" + COMPANIES + f"""  tickets:
    tenant: true
    columns: {{id: uuid pk}}
    policies:
      - tenant_isolation
      - {{name: members, for: all, using: "company_id = {CURRENT}"}}
"""
    assert codes(tmp_path, body) == []


def test_a_restrictive_policy_pinning_the_tenant_covers_a_weak_check(tmp_path):
    body = TENANCY + "entities:\n" + COMPANIES + f"""  tickets:
    tenant: true
    columns: {{id: uuid pk, status: text!}}
    policies:
      - tenant_isolation
      - {{name: close, for: update, using: "company_id = {CURRENT}", check: "status <> 'locked'"}}
      - {{name: stay home, for: update, restrictive: true, using: "true", check: "company_id = {CURRENT}"}}
"""
    assert codes(tmp_path, body) == []
    weaker = body.replace("restrictive: true", "restrictive: false")
    assert ("RL005", 'tickets.close') in codes(tmp_path, weaker)


def test_a_restrictive_policy_covers_an_always_true_permissive_one(tmp_path):
    body = TENANCY + "entities:\n" + COMPANIES + """  tickets:
    tenant: true
    columns: {id: uuid pk}
    policies:
      - {preset: tenant_isolation, restrictive: true}
      - {name: members delete, for: delete, using: "true"}
"""
    assert codes(tmp_path, body) == []
    assert codes(tmp_path, body.replace("restrictive: true", "restrictive: false")) == [
        ("RL004", 'tickets."members delete"')]


def test_admin_branch_of_an_or_pins_like_the_admin_predicate():
    admin = frozenset({"is_admin"})
    assert pins(parse_expr(f"(SELECT public.is_admin()) OR company_id = {CURRENT}"), "company_id", admin)
    assert not pins(parse_expr(f"status = 'x' OR company_id = {CURRENT}"), "company_id", admin)
    assert pins(parse_expr(f"status = 'x' AND company_id = {CURRENT}"), "company_id", admin)
    assert pins(parse_expr("user_id IN (SELECT m.user_id FROM members m WHERE m.id = auth.uid())"), "user_id", admin)
    assert not pins(parse_expr("user_id = other_id"), "user_id", admin)


@pytest.mark.parametrize("text,value", [("true", True), ("'t'::boolean", True), ("1 = 1", True),
                                        ("NOT false", True), ("(SELECT true)", True), ("x OR true", True),
                                        ("x", None), ("false", False), ("1 = 2", False), ("'yes'::bool", True)])
def test_constant_truth(text, value):
    assert truth(parse_expr(text)) is value


def test_a_view_over_a_view_over_a_tenant_table(tmp_path):
    body = TENANCY + "entities:\n" + COMPANIES + """  tickets:
    tenant: true
    columns: {id: uuid pk, subject: text!}
views:
  inner_tickets:
    query: "SELECT id, subject FROM tickets"
  outer_tickets:
    security_invoker: false
    query: "WITH t AS (SELECT * FROM inner_tickets) SELECT id FROM t"
"""
    assert codes(tmp_path, body) == [("RL009", "outer_tickets")]


def test_a_table_its_own_definer_lookup_reads_may_stay_unforced(tmp_path):
    body = """entities:
  members:
    rls: {force: false}
    columns: {id: uuid pk, user_id: uuid!, org_id: uuid!}
    policies:
      - {name: fellow members, for: select, using: "(SELECT public.member_of(org_id))"}
functions:
  member_of:
    args: "org uuid"
    returns: boolean
    language: sql
    volatility: stable
    security_definer: true
    search_path: "''"
    execute: [public]
    body: >-
      SELECT EXISTS (SELECT 1 FROM public.members m WHERE m.org_id = org
      AND m.user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
"""
    got = codes(tmp_path, body)
    assert ("RL012", "members") not in got
    assert got == [("RL008", "member_of(org uuid)")]          # STABLE and PUBLIC: a warning
    path = tmp_path / "spec.yaml"
    assert [d.severity for d in lint(load_schema(path))] == ["warning"]


def test_column_privileges_keep_a_condition_column_from_the_users(tmp_path):
    body = """database: {flavor: supabase}
auth:
  admin: {entity: profiles, user_column: id, where: "role = 'admin'"}
entities:
  profiles:
    owner: id
    columns:
      id: uuid pk -> auth.users cascade
      role:
        type: text
        protected: false
        privileges: {update: [service_role], insert: [service_role]}
    policies:
      - {preset: owner, for: [select, insert, update]}
      - admin_full_access
"""
    assert codes(tmp_path, body) == []
    only_update = body.replace(", insert: [service_role]", "")
    assert codes(tmp_path, only_update) == [("RL006", "profiles.role")]   # may still INSERT role = 'admin'


def test_a_nullable_tenant_column_keeps_references_consistent(tmp_path):
    body = TENANCY + "entities:\n" + COMPANIES + """  customers:
    tenant: {required: false}
    columns: {id: uuid pk}
  conversations:
    tenant: {required: false}
    columns:
      id: uuid pk
      customer_id: uuid -> customers cascade
"""
    assert codes(tmp_path, body) == []


def test_same_owner_false_is_a_declared_exception(tmp_path):
    body = """entities:
  folders:
    owner: user_id
    columns: {id: uuid pk, user_id: uuid!}
    policies: [owner]
  notes:
    owner: user_id
    columns:
      id: uuid pk
      user_id: uuid!
      folder_id: {type: uuid, ref: {entity: folders, same_owner: false}}
    policies: [owner]
"""
    assert codes(tmp_path, body) == []
    assert codes(tmp_path, body.replace("same_owner: false", "on_delete: cascade")) == [
        ("RL015", "notes.notes_folder_id_fkey")]


OWNED = """roles: {app: {}}
grants: {app: [select, insert, update, delete]}
tenancy: {root: companies, column: company_id, setting: app.company_id}
auth: {user_setting: app.user_id, roles: [app]}
entities:
""" + COMPANIES + """  notes:
    tenant: true
    owner: user_id
    columns: {id: uuid pk, user_id: uuid!, body: text!}
"""


def test_an_owner_column_no_policy_pins_is_one_warning_not_an_error_per_policy(tmp_path):
    """`owner:` with tenant isolation only: the policies gen made are not wrong, but anyone of the
    tenant may write a row for another user; one warning at `owner:` naming the fix."""
    path = tmp_path / "spec.yaml"
    path.write_text("spec: 1\nname: t\n" + OWNED)
    [d] = lint(load_schema(path))
    assert (d.code, d.severity, d.name, d.loc.line) == ("RL005", "warning", "notes.user_id", 12)
    assert "{preset: owner, for: [insert, update], restrictive: true}" in d.hint
    pinned = OWNED + "    policies: [{preset: owner, for: [insert, update], restrictive: true}]\n"
    assert codes(tmp_path, pinned) == []
    # an owner policy that pins reads only: writes still go to anyone, and the weak check is an error
    reads = OWNED + "    policies: [{preset: owner, for: [select]}]\n"
    assert ("RL005", "notes.notes_tenant_isolation") in codes(tmp_path, reads)


@pytest.mark.parametrize("ch", ["\u00ad", "\u00a0", "\u3164", "\u200d", "\u2066", "\ufe0f", "\ue000"])
def test_hidden_characters(ch):
    assert hidden(ch)


@pytest.mark.parametrize("ch", ["a", "é", "ı", "_", " ", "ß", "日"])
def test_visible_characters(ch):
    assert hidden(ch) is None
