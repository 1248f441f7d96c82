"""The normalizer: what a spec author writes and what PostgreSQL prints back (read from a real
server, never hard-coded) normalize equal; different expressions stay different."""
from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from generator.db.connect import connect
from generator.db.inspect import inspect
from generator.db.server import scratch_database
from generator.model import (Check, Column, DataType, Enum, Extension, ForeignKey, Function, Grant, Index,
                             IndexElement, Policy, PrimaryKey, Role, Schema, Table, Trigger, Unique, View)
from generator.postgres.normalize import normalize, normalize_expression, normalize_table, normalize_type

BASE_DDL = """
CREATE EXTENSION vector;
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$;
CREATE FUNCTION is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT false $$;
CREATE TYPE post_status AS ENUM ('draft', 'published');
CREATE TABLE user_profiles (user_id uuid, role text);
"""
COLUMNS = """id uuid, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz, theme text,
qty integer, price numeric(10,2), published boolean, settings jsonb, tags text[], status text,
state post_status, code varchar(20), name text, email text, user_id uuid, company_id uuid, ttl interval,
embedding vector(3)"""

# (what is declared, where it goes); PostgreSQL's spelling is read back from the server.
CASES = [
    ("default", "created_at", "now()"), ("default", "created_at", "CURRENT_TIMESTAMP"),
    ("default", "theme", "'light'"), ("default", "qty", "0"), ("default", "qty", "-1"),
    ("default", "price", "0.00"), ("default", "published", "true"), ("default", "settings", "'{}'::jsonb"),
    ("default", "settings", "'{}'"), ("default", "tags", "'{}'"), ("default", "id", "gen_random_uuid()"),
    ("default", "state", "'draft'"), ("default", "code", "'x'"), ("default", "ttl", "interval '30 days'"),
    ("check", None, "price > 0"), ("check", None, "qty > -1"), ("check", None, "status IN ('a','b')"),
    ("check", None, "code IN ('a', 'b')"), ("check", None, "state IN ('draft')"),
    ("check", None, "status NOT IN ('a','b')"), ("check", None, "char_length(name) BETWEEN 1 AND 100"),
    ("check", None, "status NOT BETWEEN 'a' AND 'm'"), ("check", None, "email ~* '^[^@]+@[^@]+$'"),
    ("check", None, "name LIKE 'a%' OR name ILIKE 'B%'"), ("check", None, "length(code) <= 10"),
    ("check", None, "ttl < interval '1 day'"), ("check", None, "(price > 0 AND qty > 0) OR published"),
    ("policy", None, "auth.uid() = user_id"),
    ("policy", None, "company_id = (SELECT current_setting('app.company_id', true))::uuid"),
    ("policy", None, "company_id = current_setting('app.company_id', true)::uuid"),
    ("policy", None, "EXISTS (SELECT 1 FROM user_profiles p WHERE p.user_id = auth.uid() AND p.role = 'admin')"),
    ("policy", None, "published = true"), ("policy", None, "(SELECT public.is_admin())"),
    ("policy", None, "(SELECT auth.uid()) = user_id OR (SELECT is_admin())"),
    ("policy", None, "EXISTS (SELECT 1 FROM user_profiles p WHERE p.user_id = auth.uid() AND p.role = theme)"),
    ("policy", None, "EXISTS (SELECT 1 FROM user_profiles p JOIN user_profiles q ON q.user_id = p.user_id "
                     "WHERE p.role = theme AND q.role IN ('a', 'b'))"),
    ("where", None, "deleted_at IS NULL"), ("index", None, "lower(email)"), ("index", None, "lower(code)"),
    ("generated", "email", "lower(email)"), ("when", None, "OLD.* IS DISTINCT FROM NEW.*"),
    ("check", None, "name IS NOT DISTINCT FROM email"), ("check", None, "date_trunc('day', created_at) = created_at"),
    ("check", None, "settings ->> 'k' = 'v' AND settings ? 'k' AND settings @> '{\"a\": 1}'"),
    ("check", None, "name SIMILAR TO 'a%'"), ("check", None, "name NOT ILIKE 'x%' AND name !~ '^x'"),
    ("check", None, "qty IN (1, 2, 3) AND position('@' in email) > 1"),
    ("check", None, "created_at < now() - interval '1 year'"), ("check", None, "'a' = ANY(tags)"),
    ("check", None, "embedding <=> '[1,2,3]' < 0.5"), ("index", None, "embedding <-> '[0,0,1]'"),
]
_names = (f"case_{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def db(pg_url):
    with scratch_database(pg_url, prefix="gen_normalize_") as url:
        with connect(url, autocommit=True) as conn:
            conn.execute(BASE_DDL)
            conn.execute("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
            yield conn


def _apply(conn, kind: str, column: str | None, sql: str) -> str:
    """Create a table carrying `sql` in the given place; return the table name."""
    name = next(_names)
    cols = COLUMNS
    if kind == "generated":
        cols = cols.replace("email text,", "") + f", email text, email_copy text GENERATED ALWAYS AS ({sql}) STORED"
    conn.execute(f"CREATE TABLE {name} ({cols})")
    statement = {
        "default": f"ALTER TABLE {name} ALTER COLUMN {column} SET DEFAULT {sql}",
        "check": f"ALTER TABLE {name} ADD CONSTRAINT {name}_check CHECK ({sql})",
        "policy": f"CREATE POLICY {name}_policy ON {name} USING ({sql})",
        "where": f"CREATE INDEX {name}_idx ON {name} (email) WHERE {sql}",
        "index": f"CREATE INDEX {name}_idx ON {name} (({sql}))",
        "when": f"CREATE TRIGGER {name}_trg BEFORE UPDATE ON {name} FOR EACH ROW WHEN ({sql}) EXECUTE FUNCTION touch()",
        "generated": None,
    }[kind]
    if statement:
        conn.execute(statement)
    return name


def _declared(table: Table, kind: str, column: str | None, sql: str) -> Table:
    """The same table as a spec author would declare it: the expression as written."""
    if kind == "default":
        return replace(table, columns=tuple(replace(c, default=sql) if c.name == column else c for c in table.columns))
    if kind == "generated":
        return replace(table, columns=tuple(replace(c, generated=sql) if c.name == "email_copy" else c
                                            for c in table.columns))
    if kind == "check":
        return replace(table, checks=(replace(table.checks[0], expression=sql),))
    if kind == "policy":
        return replace(table, policies=(replace(table.policies[0], using=sql),))
    if kind == "where":
        return replace(table, indexes=(replace(table.indexes[0], where=sql),))
    if kind == "index":
        return replace(table, indexes=(replace(table.indexes[0], elements=(IndexElement(expression=sql),)),))
    return replace(table, triggers=(replace(table.triggers[0], when=sql),))


@pytest.mark.parametrize(("kind", "column", "sql"), CASES, ids=[f"{k}:{s}" for k, _, s in CASES])
def test_declared_and_printed_normalize_equal(db, kind, column, sql):
    name = _apply(db, kind, column, sql)
    printed = inspect(db).table(name)
    declared = _declared(printed, kind, column, sql)
    assert normalize_table(declared) == normalize_table(printed)


DIFFERENT = [
    ("price > 0", "price > 1"), ("price > 0", "price >= 0"), ("status IN ('a', 'b')", "status IN ('a', 'c')"),
    ("status IN ('a', 'b')", "status NOT IN ('a', 'b')"), ("(a OR b) AND c", "a OR (b AND c)"),
    ("a - (b - c)", "(a - b) - c"), ("x BETWEEN 1 AND 5", "x BETWEEN 1 AND 6"), ("'light'", "'dark'"),
    ("EXISTS (SELECT 1 FROM m WHERE m.user_id = user_id)", "EXISTS (SELECT 1 FROM m WHERE user_id = user_id)"),
    ("lower(email)", "upper(email)"), ("\"Group\" = 1", "\"group\" = 1"), ("a @> b", "a && b"), ("-1", "1"),
    ("now()", "clock_timestamp()"), ("x::int = 1", "x::text = '1'"),
    ("a <=> b", "a IS NOT DISTINCT FROM b"), ("a <=> b", "a <#> b"), ("a <-> b < 1", "a <-> (b < 1)"),
    ("a IS NOT DISTINCT FROM b", "a IS DISTINCT FROM b"), ("x = ANY(tags)", "x <> ALL(tags)"),
]


@pytest.mark.parametrize(("left", "right"), DIFFERENT)
def test_different_expressions_stay_different(left, right):
    assert normalize_expression(left) != normalize_expression(right)


def test_unparsable_sql_is_folded_not_lost():
    assert normalize_expression("FOO  BAR ((  'Keep Case' ") == "foo bar (( 'Keep Case'"
    assert normalize_expression("FOO BAR ((") != normalize_expression("FOO BAZ ((")


@pytest.mark.parametrize(("declared", "printed"), [
    ("SELECT id, name FROM posts WHERE published = true", None),
    ("SELECT p.id, p.name AS title FROM posts p WHERE p.status IN ('a', 'b')", None),
    ("SELECT count(*) FROM posts", None),
    ("SELECT p.id, u.role FROM posts p JOIN user_profiles u ON u.user_id = p.user_id WHERE p.published", None),
])
def test_view_queries_normalize_equal(db, declared, printed):
    db.execute("CREATE TABLE IF NOT EXISTS posts (id int, name text, status text, published bool, user_id uuid)")
    name = next(_names)
    db.execute(f"CREATE VIEW {name} AS {declared}")
    view = next(v for v in inspect(db).views if v.name == name)
    assert normalize_expression(declared, view=True) == normalize_expression(view.query, view=True)


def test_types_normalize_to_format_type_spellings():
    assert normalize_type(DataType("int4")) == DataType("integer")
    assert normalize_type(DataType("timestamptz", (3,))) == DataType("timestamp with time zone", (3,))
    assert normalize_type(DataType("varchar", (10,), 1)) == DataType("character varying", (10,), 1)
    assert normalize_type(DataType("char")) == DataType("character", (1,))
    assert normalize_type(DataType("Mood", enum=True)) == DataType("Mood", enum=True, schema="public")
    assert normalize_type(DataType("text")) != normalize_type(DataType("varchar"))


def test_order_roles_and_name_do_not_matter():
    t1 = Table("a", (Column("id", DataType("int")),), checks=(Check("z", "x > 0"), Check("b", "y > 0")),
               policies=(Policy("p", roles=("web", "PUBLIC")),))
    t2 = Table("b", (Column("id", DataType("integer")),))
    left = Schema("one", tables=(t1, t2), roles=(Role("web"),))
    right = Schema("two", tables=(t2, replace(t1, checks=tuple(reversed(t1.checks)),
                                              policies=(Policy("p", roles=("public", "web")),))))
    assert normalize(left) == normalize(right)
    assert normalize(left) != normalize(replace(right, tables=(t2,)))
    assert normalize_table(t1).policies[0].roles == ("public",)     # PUBLIC swallows the rest


ROUND_TRIP_DDL = """
CREATE EXTENSION vector;
CREATE TYPE post_state AS ENUM ('draft', 'published');
CREATE TABLE companies (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), slug varchar(40) NOT NULL,
  CONSTRAINT companies_slug_key UNIQUE (slug));
CREATE TABLE posts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
  title text NOT NULL CONSTRAINT posts_title_check CHECK (char_length(title) BETWEEN 1 AND 200),
  state post_state NOT NULL DEFAULT 'draft',
  tags text[] NOT NULL DEFAULT '{}',
  embedding vector(3),
  price numeric(10,2) NOT NULL DEFAULT 0.00,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  deleted_at timestamptz,
  CONSTRAINT posts_price_check CHECK (price >= 0)
);
CREATE INDEX posts_embedding_idx ON posts USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX posts_tags_idx ON posts USING gin (tags);
CREATE UNIQUE INDEX posts_title_live_key ON posts (company_id, lower(title)) WHERE deleted_at IS NULL;
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON posts
  USING (company_id = current_setting('app.company_id', true)::uuid)
  WITH CHECK (company_id = current_setting('app.company_id', true)::uuid);
CREATE POLICY read_published ON posts FOR SELECT USING (state = 'published');
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE VIEW live_posts WITH (security_invoker = true) AS SELECT id, title FROM posts WHERE deleted_at IS NULL;
GRANT ALL ON posts TO PUBLIC;
"""


def _declared_schema() -> Schema:
    """What the resolver would hand over for ROUND_TRIP_DDL, in an author's spellings."""
    tenant = "company_id = current_setting('app.company_id', true)::uuid"
    companies = Table("companies", (
        Column("id", DataType("uuid"), default="gen_random_uuid()"),
        Column("slug", DataType("varchar", (40,)), nullable=False)),
        primary_key=PrimaryKey("companies_pkey", ("id",)), uniques=(Unique("companies_slug_key", ("slug",)),))
    posts = Table("posts", (
        Column("id", DataType("bigint"), identity="ALWAYS"),
        Column("company_id", DataType("uuid"), nullable=False),
        Column("title", DataType("text"), nullable=False),
        Column("state", DataType("post_state", enum=True), nullable=False, default="'draft'"),
        Column("tags", DataType("text", array_dims=1), nullable=False, default="'{}'"),
        Column("embedding", DataType("vector", (3,))),
        Column("price", DataType("decimal", (10, 2)), nullable=False, default="0.00"),
        Column("created_at", DataType("timestamptz"), nullable=False, default="now()"),
        Column("updated_at", DataType("timestamptz"), nullable=False, default="now()"),
        Column("deleted_at", DataType("timestamptz"))),
        primary_key=PrimaryKey("posts_pkey", ("id",)),
        foreign_keys=(ForeignKey("posts_company_id_fkey", ("company_id",), "companies", ("id",),
                                 on_delete="cascade"),),
        checks=(Check("posts_title_check", "char_length(title) BETWEEN 1 AND 200"),
                Check("posts_price_check", "price >= 0")),
        indexes=(Index("posts_tags_idx", (IndexElement(column="tags"),), method="GIN"),
                 Index("posts_embedding_idx", (IndexElement(column="embedding", opclass="vector_cosine_ops"),),
                       method="hnsw", params=(("m", "16"), ("ef_construction", "64"))),
                 Index("posts_title_live_key", (IndexElement(column="company_id"),
                                                IndexElement(expression="lower(title)")),
                       unique=True, where="deleted_at IS NULL")),
        rls_enabled=True,
        policies=(Policy("tenant_isolation", using=tenant, check=tenant),
                  Policy("read_published", "select", ("PUBLIC",), using="state = 'published'")),
        triggers=(Trigger("posts_touch", "set_updated_at()", "before", ("update",)),),
        grants=(Grant("PUBLIC", ("ALL",)),))
    return Schema(
        "blog", tables=(posts, companies), enums=(Enum("post_state", ("draft", "published")),),
        extensions=(Extension("vector"),),
        functions=(Function("set_updated_at", "trigger",
                            "BEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND", language="plpgsql"),),
        views=(View("live_posts", "SELECT id, title FROM posts WHERE deleted_at IS NULL"),),
        roles=(Role("web"),))


def test_declared_model_equals_inspected_database(fresh_db):
    with connect(fresh_db, autocommit=True) as conn:
        conn.execute(ROUND_TRIP_DDL)
    inspected = inspect(fresh_db)
    declared = _declared_schema()
    assert declared != inspected
    assert normalize(declared) == normalize(inspected)
    assert normalize(normalize(inspected)) == normalize(inspected)
    changed = replace(declared, tables=(replace(declared.tables[0], checks=(
        Check("posts_title_check", "char_length(title) BETWEEN 1 AND 200"),
        Check("posts_price_check", "price > 0"))), declared.tables[1]))
    assert normalize(changed) != normalize(inspected)
