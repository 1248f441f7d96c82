"""The resolver: compact and full forms give equal models, YAML 1.1 traps stay text,
sugar (traits, tenancy, presets, many-to-many) becomes plain model objects."""
from __future__ import annotations

import textwrap

import pytest

from generator.diagnostics import GenError
from generator.model.naming import constraint_name, ident_too_long, quote_ident
from generator.pipeline import load_schema


def spec(tmp_path, body: str, name="t.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return load_schema(p)


COMPACT = """
spec: 1
name: forms
enums: {role: [admin, member]}
entities:
  companies:
    columns:
      id: uuid pk
  users:
    columns:
      id: uuid pk
      email: text! unique
      role: role! = 'member'
      price: numeric(10,2) = 0
      company_id: uuid! -> companies cascade
      tags: text[]
      created_at: timestamptz! = now()
"""

FULL = """
spec: 1
name: forms
enums: {role: {values: [admin, member]}}
entities:
  companies:
    columns:
      id: {type: uuid, pk: true}
  users:
    columns:
      id: {type: uuid, pk: true}
      email: {type: text, nullable: false, unique: true}
      role: {type: role, nullable: false, default: "'member'"}
      price: {type: "numeric(10, 2)", default: "0"}
      company_id: {type: uuid, nullable: false, ref: {entity: companies, on_delete: cascade}}
      tags: {type: "text[]"}
      created_at: {type: timestamp with time zone, nullable: false, default: now()}
"""


def test_compact_and_full_forms_resolve_to_equal_models(tmp_path):
    a = spec(tmp_path, COMPACT, "a.yaml")
    b = spec(tmp_path, FULL, "b.yaml")
    assert a == b
    users = a.table("users")
    assert [c.name for c in users.columns] == ["id", "email", "role", "price", "company_id", "tags", "created_at"]
    assert users.column("role").type.enum and users.column("role").default == "'member'"
    assert users.column("price").type.sql == "numeric(10,2)"
    assert users.column("tags").type.sql == "text[]"
    assert users.column("id").default == "gen_random_uuid()" and not users.column("id").nullable
    fk = users.foreign_keys[0]
    assert (fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete) == (("company_id",), "companies", ("id",), "CASCADE")
    # the FK gets an index, since no other index covers it
    assert [i.columns for i in users.indexes] == [("company_id",)]


def test_yaml_11_traps_stay_text(tmp_path):
    s = spec(tmp_path, """
        spec: 1
        name: traps
        enums:
          answer: [yes, no, on, off, y, n]
          code: [0755, 12:30, 2024-01-01, 1e3, .inf, null_]
        entities:
          t:
            columns:
              on: text
              no: boolean! = false
              id: integer pk
        """)
    assert s.enum("answer").values == ("yes", "no", "on", "off", "y", "n")
    assert s.enum("code").values == ("0755", "12:30", "2024-01-01", "1e3", ".inf", "null_")
    assert [c.name for c in s.table("t").columns] == ["on", "no", "id"]
    assert s.table("t").column("id").identity == "by default"


def test_traits_tenancy_and_presets(tmp_path):
    s = spec(tmp_path, """
        spec: 1
        name: saas
        naming: {table_prefix: app_}
        tenancy: {root: companies, column: company_id}
        entities:
          companies:
            tenant: true
            columns: {id: uuid pk}
          notes:
            tenant: true
            traits: [timestamps, soft_delete, versioned]
            columns:
              id: uuid pk
              user_id: uuid!
              body: text
            policies:
              - {preset: owner, for: [select, update]}
              - {preset: public_read, where: "body IS NOT NULL"}
        """)
    notes = s.table("app_notes")
    assert [c.name for c in notes.columns] == ["id", "company_id", "user_id", "body", "created_at", "updated_at",
                                               "deleted_at", "version"]
    assert notes.meta.tenant_column == "company_id" and notes.meta.touch_column == "updated_at"
    assert notes.rls_enabled and notes.rls_forced
    by_name = {p.name: p for p in notes.policies}
    iso = by_name["app_notes_tenant_isolation"]
    assert iso.command == "ALL" and iso.using == iso.check
    assert "NULLIF(current_setting('app.company_id', true), '')::uuid" in iso.using
    assert by_name["app_notes_owner_select"].check is None          # SELECT has no WITH CHECK
    assert by_name["app_notes_owner_update"].check == by_name["app_notes_owner_update"].using
    assert by_name["app_notes_public_read"].command == "SELECT"
    assert {t.name for t in notes.triggers} == {"app_notes_set_updated_at", "app_notes_bump_version",
                                                "app_notes_soft_delete"}
    assert {f.name for f in s.functions} == {"app_set_updated_at", "app_bump_version", "app_notes_soft_delete"}
    root = s.table("app_companies")
    root_policies = {p.name: p for p in root.policies}
    assert root.meta.tenant_column == "id"
    assert root_policies["app_companies_tenant_isolation"].using.startswith("id = ")
    assert not root_policies["app_companies_delete_by_admin"].permissive


def test_many_to_many_creates_the_join_table(tmp_path):
    s = spec(tmp_path, """
        spec: 1
        name: m2m
        entities:
          documents: {columns: {id: uuid pk}}
          conversations: {columns: {id: uuid pk}}
        relations:
          - {many_to_many: [documents, conversations], through: document_links}
        """)
    link = s.table("document_links")
    assert link.primary_key.columns == ("document_id", "conversation_id")
    assert {(f.ref_table, f.on_delete) for f in link.foreign_keys} == {("documents", "CASCADE"),
                                                                        ("conversations", "CASCADE")}
    # the PK covers document_id; conversation_id gets its own index
    assert [i.columns for i in link.indexes] == [("conversation_id",)]


def test_generated_names_are_deterministic_and_within_63_bytes():
    long_table = "t" * 40
    name = constraint_name(long_table, ["a_rather_long_column", "another_long_column"], "key")
    assert not ident_too_long(name)
    assert name == constraint_name(long_table, ["a_rather_long_column", "another_long_column"], "key")
    assert name != constraint_name(long_table, ["a_rather_long_column", "another_long_columm"], "key")


@pytest.mark.parametrize("name,quoted", [("user", '"user"'), ("order", '"order"'), ("Group", '"Group"'),
                                          ('Escap3e;"', '"Escap3e;"""'), ("plain_name", "plain_name")])
def test_identifiers_are_quoted_where_needed(name, quoted):
    assert quote_ident(name) == quoted


def test_hostile_expression_is_rejected_before_any_sql(tmp_path):
    with pytest.raises(GenError) as info:
        spec(tmp_path, """
            spec: 1
            name: evil
            entities:
              products:
                columns:
                  id: uuid pk
                  price: {type: numeric, check: "price > 0); DROP TABLE users; --"}
            """)
    assert [d.code for d in info.value.diagnostics] == ["RS020"]


def test_example_specs_resolve(tmp_path):
    from pathlib import Path
    for path in sorted((Path(__file__).resolve().parent.parent / "spec").glob("*.yaml")):
        s = load_schema(path)
        assert s.tables, path


def test_many_to_many_between_tenant_entities_is_tenant_scoped(tmp_path):
    s = spec(tmp_path, """
        spec: 1
        name: shop
        tenancy: {root: companies, column: company_id}
        entities:
          companies: {tenant: true, columns: {id: uuid pk}}
          products: {tenant: true, columns: {id: uuid pk}}
          categories: {tenant: true, columns: {id: uuid pk}}
        relations:
          - {many_to_many: [products, categories], through: product_categories}
        """)
    link = s.table("product_categories")
    assert link.meta.tenant_column == "company_id" and link.rls_enabled and link.rls_forced
    assert [p.preset for p in link.policies] == ["tenant_isolation"]


def test_owner_policy_on_tenant_table_warns_unless_restrictive(tmp_path):
    body = """
        spec: 1
        name: own
        tenancy: {root: companies, column: company_id}
        entities:
          companies: {tenant: true, columns: {id: uuid pk}}
          orders:
            tenant: true
            columns: {id: uuid pk, user_id: uuid!}
            policies:
              - {preset: owner, for: [select]%s}
        """
    loose = spec(tmp_path, body % "", "a.yaml")
    assert [w.code for w in loose.warnings] == ["RS100"]
    strict = spec(tmp_path, body % ", restrictive: true", "b.yaml")
    assert not strict.warnings
    owner = [p for p in strict.table("orders").policies if p.preset == "owner"]
    assert [p.permissive for p in owner] == [False]
