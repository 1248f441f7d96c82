"""Prisma, Drizzle and parity targets: rendered from a realistic model, checked by the pinned
real tools (prisma validate/format/migrate diff, tsc, drizzle-kit) and applied to PostgreSQL."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from generator.db.inspect import inspect
from generator.model import Column, DataType, ForeignKey, PrimaryKey, Schema, Table
from generator.model.types import TYPE_ALIASES
from generator.targets import BuildContext, get_target, target_names
from generator.targets.orm_drizzle_columns import DRIZZLE_TYPES
from generator.targets.orm_names import plural, singular
from generator.targets.orm_parity import gaps
from generator.targets.orm_prisma_fields import PRISMA_TYPES
from orm.db_shape import apply, prepare, shape
from orm.models import MODELS, build_edge_model, build_model
from orm.objects import RENDERED, prisma_block, model_objects

TARGET_FILES = {"prisma": "prisma/schema.prisma", "drizzle": "drizzle/schema.ts"}


def render(target: str, schema: Schema) -> str:
    artifacts = {a.path: a.content for a in get_target(target)(BuildContext(schema))}
    return artifacts[TARGET_FILES.get(target, "PARITY.md")]


def test_prisma_7_keeps_the_url_in_prisma_config_ts_and_prisma6_in_the_datasource():
    schema = build_model()
    files = {a.path: a.content for a in get_target("prisma")(BuildContext(schema))}
    assert set(files) == {"prisma/schema.prisma", "prisma.config.ts"}
    seven = files["prisma/schema.prisma"]
    assert "url" not in seven.split("datasource db {")[1].split("}")[0]
    assert re.search(r'provider\s+= "prisma-client"\n\s+output\s+= "../generated/prisma"', seven)
    assert 'schema: "prisma/schema.prisma"' in files["prisma.config.ts"]
    assert 'datasource: { url: env("DATABASE_URL") }' in files["prisma.config.ts"]
    (six,) = get_target("prisma6")(BuildContext(schema))
    assert six.path == "prisma6/schema.prisma" and 'url        = env("DATABASE_URL")' in six.content
    assert 'provider        = "prisma-client-js"' in six.content
    # the models are the same in both: only the generator and datasource blocks differ
    assert seven.split("\n}\n", 2)[2] == six.content.split("\n}\n", 2)[2]
    from generator.pipeline import default_targets
    assert "prisma6" not in default_targets() and "prisma6" in target_names()


# -- pure rendering -------------------------------------------------------------------------

def test_targets_are_registered():
    assert {"prisma", "drizzle", "parity"} <= set(target_names())


def test_type_maps_cover_every_canonical_type():
    canonical = set(TYPE_ALIASES.values())
    assert canonical - set(PRISMA_TYPES) == set()
    assert canonical - set(DRIZZLE_TYPES) == set()


@pytest.mark.parametrize("plural_, single", [
    ("companies", "company"), ("users", "user"), ("knowledge_chunks", "knowledge_chunk"), ("addresses", "address"),
    ("statuses", "status"), ("boxes", "box"), ("people", "person"), ("data", "data"), ("status", "status"),
    ("branches", "branch"), ("analyses", "analysis"), ("days", "day"), ("courses", "course"),
])
def test_singular_and_plural(plural_, single):
    assert singular(plural_) == single
    if plural_ != "status":
        assert plural(single) == plural_


@pytest.mark.parametrize("target", ["prisma", "drizzle", "parity"])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_output_is_deterministic(target, model):
    assert render(target, MODELS[model]()) == render(target, MODELS[model]())


def test_prisma_model_names_come_from_entities_singular_pascal():
    text = render("prisma", build_model())
    for name, table in [("Company", "chatapp_companies"), ("KnowledgeChunk", "chatapp_knowledge_chunks"),
                        ("ConversationParticipant", "chatapp_conversation_participants")]:
        assert f'@@map("{table}")' in prisma_block(text, name)
    edge = render("prisma", build_edge_model())
    # audit.users and public.users both singularize to User: the one outside public is qualified
    assert re.search(r'@@map\("users"\)\s*@@schema\("audit"\)', prisma_block(edge, "AuditUser"))
    assert re.search(r'@@map\("users"\)\s*@@schema\("public"\)', prisma_block(edge, "User"))
    assert 'n2faCode    String?' in edge and 'createdAt2  DateTime?' in edge   # digit and collision
    assert 'v1st         @map("1st")' in edge and 'a_b          @map("a b")' in edge


def test_prisma_two_fks_to_one_table_get_named_relations_on_both_sides():
    text = render("prisma", build_model())
    message, user = prisma_block(text, "Message"), prisma_block(text, "User")
    assert re.search(r'sender\s+User\?\s+@relation\("MessageSender", fields: \[senderId\], references: \[id\]', message)
    assert re.search(r'recipient\s+User\?\s+@relation\("MessageRecipient", fields: \[recipientId\]', message)
    assert re.search(r'messagesAsSender\s+Message\[\]\s+@relation\("MessageSender"\)', user)
    assert re.search(r'messagesAsRecipient\s+Message\[\]\s+@relation\("MessageRecipient"\)', user)
    assert re.search(r'manager\s+User\?\s+@relation\("UserManager", fields: \[managerId\]', user)   # self
    assert re.search(r'userProfile\s+UserProfile\?$', user, re.M)                                 # one-to-one
    company = prisma_block(text, "Company")   # users.company_id and companies.owner_id: a pair with 2 FKs
    assert re.search(r'owner\s+User\?\s+@relation\("CompanyOwner"', company)
    assert re.search(r'usersAsCompany\s+User\[\]\s+@relation\("UserCompany"\)', company)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_relations_by_table_are_those_of_a_full_scan_in_declaration_order(model):
    from generator.targets.orm_relations import build_names
    schema = MODELS[model]()
    names = build_names(schema)
    for t in schema.tables:
        assert names.outgoing(t) == [r for r in names.relations if r.table.key == t.key]
        assert names.incoming(t) == [r for r in names.relations if r.target.key == t.key]


def test_drizzle_inline_reference_when_the_fk_name_is_drizzles_default():
    text = render("drizzle", build_edge_model())
    assert ('ownerId: uuid("owner_id").references((): AnyPgColumn => users.id, { onDelete: "cascade" }),'
            in text)
    assert "type AnyPgColumn" in text


def test_drizzle_two_fks_to_one_table_get_relation_names_on_both_sides():
    text = render("drizzle", build_model())
    assert ('sender: one(users, { fields: [messages.senderId], references: [users.id], '
            'relationName: "MessageSender" })') in text
    assert 'messagesAsSender: many(messages, { relationName: "MessageSender" })' in text
    assert 'messagesAsRecipient: many(messages, { relationName: "MessageRecipient" })' in text
    assert 'userProfile: one(userProfiles),' in text
    assert ".using(\"hnsw\", t.embedding.op(\"vector_cosine_ops\"))" in text
    assert ".where(sql`status <> 'read'::message_status`)" in text


def test_prisma_defaults_native_types_and_actions():
    text = render("prisma", build_model())
    plan, users = prisma_block(text, "SubscriptionPlan"), prisma_block(text, "User")
    assert re.search(r'id\s+String\s+@id @default\(dbgenerated\("gen_random_uuid\(\)"\)\) @db.Uuid', plan)
    assert re.search(r'priceMonthly\s+Decimal\s+@default\(0\) @map\("price_monthly"\) @db.Decimal\(10, 2\)', plan)
    assert re.search(r'features\s+Json\s+@default\("\{\}"\)', plan)
    assert re.search(r'role\s+UserRole\s+@default\(support_agent\)$', users, re.M)
    assert re.search(r'createdAt\s+DateTime\s+@default\(now\(\)\) @map\("created_at"\) @db.Timestamptz$', users, re.M)
    assert re.search(r'company\s+Company\s+@relation\("UserCompany", fields: \[companyId\], references: \[id\], '
                     r'onDelete: Cascade, onUpdate: NoAction\)', users)
    chunk = prisma_block(text, "KnowledgeChunk")
    assert re.search(r'embedding\s+Unsupported\("vector\(1536\)"\)\?$', chunk, re.M)
    assert '@@index([metadata(ops: raw("jsonb_path_ops"))], type: Gin)' in chunk


def build_tree_model() -> Schema:
    """The audit's case: `id: bigint pk` as an identity column, and a tree (categories.parent_id)."""
    categories = Table("categories", (
        Column("id", DataType("bigint"), nullable=False, identity="by default"),
        Column("parent_id", DataType("bigint")), Column("name", DataType("text"), nullable=False),
    ), primary_key=PrimaryKey("categories_pkey", ("id",)),
        foreign_keys=(ForeignKey("categories_parent_id_fkey", ("parent_id",), "categories", ("id",)),))
    tags = Table("tags", (Column("id", DataType("integer"), nullable=False, identity="always"),
                          Column("category_id", DataType("bigint"), nullable=False)),
                 primary_key=PrimaryKey("tags_pkey", ("id",)),
                 foreign_keys=(ForeignKey("tags_category_id_fkey", ("category_id",), "categories", ("id",)),))
    return Schema(name="tree", tables=(categories, tags))


def test_prisma_identity_columns_autoincrement_and_a_tree_has_parent_and_children():
    # audit: an identity key had no @default, so every create had to supply the id
    text = render("prisma", build_tree_model())
    category, tag = prisma_block(text, "Category"), prisma_block(text, "Tag")
    assert re.search(r'^  id\s+BigInt\s+@id @default\(autoincrement\(\)\)$', category, re.M)
    assert re.search(r'^  id\s+Int\s+@id @default\(autoincrement\(\)\)$', tag, re.M)
    # audit: the back field of categories.parent_id was `categoriesAsParent`
    assert re.search(r'^  parent\s+Category\?\s+@relation\("CategoryParent", fields: \[parentId\]', category, re.M)
    assert re.search(r'^  children\s+Category\[\]\s+@relation\("CategoryParent"\)$', category, re.M)
    assert re.search(r'^  tags\s+Tag\[\]$', category, re.M)
    drizzle = render("drizzle", build_tree_model())
    assert 'children: many(categories, { relationName: "CategoryParent" }),' in drizzle


# -- no object dropped silently ----------------------------------------------------------------

def unaccounted(target: str, schema: Schema, listed: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Objects of the model neither rendered in the target's file nor listed as a gap."""
    text, parity = render(target, schema), render("parity", schema)
    missing = []
    for kind, name, obj, table in model_objects(schema):
        if (kind, name) in listed:
            assert f"{kind} {name}:" in text and f"| {kind} | `{name}` |" in parity
        elif not RENDERED[target](text, kind, name, obj, table):
            missing.append((kind, name))
    return missing


@pytest.mark.parametrize("target", sorted(RENDERED))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_object_is_rendered_or_listed_in_parity(target, model):
    schema = MODELS[model]()
    assert unaccounted(target, schema, {(g.kind, g.name) for g in gaps(schema, target)}) == []


@pytest.mark.parametrize("target", sorted(RENDERED))
def test_an_unlisted_gap_would_be_caught(target):
    missing = unaccounted(target, build_model(), set())
    assert ("trigger", "chatapp_companies.chatapp_companies_touch") in missing
    assert ("function", "chatapp_touch_updated_at") in missing
    assert ("table", "chatapp_users") not in missing and ("column", "chatapp_users.email") not in missing
    if target == "prisma":
        assert ("check", "chatapp_messages.chatapp_messages_body_check") in missing


@pytest.mark.parametrize("target", sorted(RENDERED))
def test_listed_objects_are_not_rendered_where_the_target_cannot(target):
    schema = build_model()
    text = render(target, schema)
    listed = {(g.kind, g.name) for g in gaps(schema, target)}
    assert ("trigger", "chatapp_companies.chatapp_companies_touch") in listed
    assert ("index", "chatapp_knowledge_chunks.chatapp_knowledge_chunks_embedding_idx") in listed or target == "drizzle"
    if target == "prisma":
        assert ("check", "chatapp_messages.chatapp_messages_body_check") in listed
        assert ("policy", "chatapp_users.tenant_isolation") in listed
        assert "length(body)" not in text.split("generator client")[1]
    else:
        assert ("extension", "vector") in listed and ("comment", "chatapp_users.email") in listed
        assert "chatapp_touch_updated_at" not in text.split("import {")[1]


def test_parity_report_matches_file_headers():
    schema = build_model()
    parity = render("parity", schema)
    for target in RENDERED:
        header = render(target, schema).split("\n\n")[0]
        listed = gaps(schema, target)
        assert listed, target
        for gap in listed:
            assert f"//   - {gap.line}" in header
            assert f"| {gap.kind} | `{gap.name}` | {gap.reason} | `schema.sql` |" in parity
        assert header.count("//   - ") == len(listed)


# -- the real tools ---------------------------------------------------------------------------

ORM_DIR = Path(__file__).resolve().parent / "orm"
NODE_MODULES = ORM_DIR / "node_modules"
NODE_BIN = NODE_MODULES / ".bin"
TOOLS = ("tsc", "drizzle-kit")
PRISMA7 = NODE_MODULES / "prisma" / "build" / "index.js"      # validate, format
PRISMA6 = NODE_MODULES / "prisma6" / "build" / "index.js"     # migrate diff on its wasm schema engine
HANG_GUARD = 900   # seconds: only stops a hung tool; no test asserts anything about time


def run(argv: list[str], cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"[:4000]
    return done.stdout


def install_node_tools() -> Path:
    """The pinned npm packages of tests/orm, installed by `npm ci` when missing."""
    if not all((NODE_BIN / tool).exists() for tool in TOOLS) or not (PRISMA7.exists() and PRISMA6.exists()):
        run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", str(ORM_DIR)], ORM_DIR)
    return NODE_BIN


@pytest.fixture(scope="session")
def node_bin() -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.fail("node and npm are needed to check the generated files with Prisma, tsc and drizzle-kit "
                    "(hint: apt-get install nodejs npm)", pytrace=False)
    return install_node_tools()


def workspace(tmp_path: Path, schema: Schema) -> Path:
    """A directory holding the generated files (with gen's prisma.config.ts), the tool configs of
    tests/orm and its node_modules."""
    for target in (*TARGET_FILES, "prisma6"):
        for art in get_target(target)(BuildContext(schema)):
            (tmp_path / art.path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / art.path).write_text(art.content)
    for config in ("tsconfig.json", "drizzle.config.ts", "prisma6-diff.config.ts"):
        shutil.copy(ORM_DIR / config, tmp_path / config)
    (tmp_path / "node_modules").symlink_to(ORM_DIR / "node_modules")
    return tmp_path


def prisma(bin_: Path, ws: Path, *args: str, url: str = "postgresql://unused@localhost/unused") -> str:
    """Run Prisma 7's CLI offline (validate and format run on its bundled wasm) with the generated
    prisma.config.ts; `migrate diff` runs Prisma 6.19's wasm schema engine through its pg driver
    adapter (prisma6-diff.config.ts) on the `prisma6` output, because Prisma 7's migrate needs a
    native engine downloaded from Prisma's servers. Engine paths point at a stub."""
    stub = ws / "no-native-engine"
    stub.touch()
    env = dict(os.environ, DATABASE_URL=url, PRISMA_SCHEMA_ENGINE_BINARY=str(stub),
               PRISMA_QUERY_ENGINE_LIBRARY=str(stub), CHECKPOINT_DISABLE="1", PRISMA_HIDE_UPDATE_MESSAGE="1")
    if args[:2] == ("migrate", "diff"):   # the same models in Prisma 6's form (asserted above)
        args = tuple("prisma6/schema.prisma" if a == TARGET_FILES["prisma"] else a for a in args)
        return run(["node", str(PRISMA6), *args, "--config", "prisma6-diff.config.ts"], ws, env)
    return run(["node", str(PRISMA7), *args], ws, env)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_prisma_validate_accepts_and_format_leaves_it_unchanged(node_bin, tmp_path, model):
    ws = workspace(tmp_path, MODELS[model]())
    path = ws / TARGET_FILES["prisma"]
    before = path.read_bytes()
    assert "is valid" in prisma(node_bin, ws, "validate")
    prisma(node_bin, ws, "format")
    assert path.read_bytes() == before


EXAMPLES = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "spec").glob("*.yaml"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_prisma_7_validates_and_formats_every_example(node_bin, tmp_path, name):
    """Run where a user would: in out/<name>/ as gen wrote it, Prisma 7 finding prisma.config.ts."""
    from generator.pipeline import load_schema
    ws = workspace(tmp_path, load_schema(Path(__file__).resolve().parent.parent / "spec" / f"{name}.yaml"))
    path = ws / TARGET_FILES["prisma"]
    before = path.read_bytes()
    assert "is valid" in prisma(node_bin, ws, "validate")
    prisma(node_bin, ws, "format")
    assert path.read_bytes() == before


SOFT_ONE_TO_ONE = """spec: 1
name: soft
entities:
  users:
    columns: {id: uuid pk, email: text!}
  profile:
    traits: [soft_delete]
    columns:
      id: uuid pk
      user_id: uuid! unique -> users cascade
      quantity: int!
      unit_price: numeric(14,2)!
      total: {type: "numeric(14,2)", nullable: false, generated: "quantity * unit_price"}
      half: {type: "numeric(14,2)", generated: "unit_price / 2"}
"""


def test_prisma_7_takes_a_soft_deleted_one_to_one_and_generated_columns(node_bin, fresh_db, tmp_path):
    """A 1:1 whose unique key soft delete made partial stays 1:1 (@unique: the application sees only
    live rows); a generated column says it is read-only, and a NOT NULL one needs no value on create
    (dbgenerated(), which emits no DEFAULT). Prisma 7 validates it; Prisma's DDL builds."""
    from generator.pipeline import load_schema
    (tmp_path / "soft.yaml").write_text(SOFT_ONE_TO_ONE)
    schema = load_schema(tmp_path / "soft.yaml")
    (tmp_path / "ws").mkdir()
    ws = workspace(tmp_path / "ws", schema)
    path = ws / TARGET_FILES["prisma"]
    text = path.read_text()
    assert re.search(r"^  profile Profile\?$", prisma_block(text, "User"), re.M), "one profile, not a list"
    profile = prisma_block(text, "Profile")
    assert re.search(r"userId +String +@unique @map\(\"user_id\"\)", profile)
    assert "index profile.profile_user_id_key: partial unique index (WHERE) rendered as @unique" in text
    assert re.search(r"/// generated by the database \(GENERATED ALWAYS AS \(quantity \* unit_price\) STORED\): "
                     r"read it, never write it.*\n  total +Decimal +@default\(dbgenerated\(\)\)", profile)
    assert re.search(r"\n  half +Decimal\? +@db", profile), "a nullable generated column is optional already"
    before = path.read_bytes()
    assert "is valid" in prisma(node_bin, ws, "validate")
    prisma(node_bin, ws, "format")
    assert path.read_bytes() == before
    script = prisma(node_bin, ws, "migrate", "diff", "--from-empty", "--to-schema-datamodel",
                    TARGET_FILES["prisma"], "--script", url=fresh_db)
    assert re.search(r'"total" DECIMAL\(14,2\) NOT NULL,', script), script


def test_prisma_7_rejects_a_url_in_the_datasource(node_bin, tmp_path):
    """The check can fail: Prisma 7 refuses the Prisma 6 form (P1012) that gen used to write."""
    ws = workspace(tmp_path, build_model())
    path = ws / TARGET_FILES["prisma"]
    (six,) = get_target("prisma6")(BuildContext(build_model()))
    path.write_text(six.content)
    with pytest.raises(AssertionError, match="P1012"):
        prisma(node_bin, ws, "validate")


def test_prisma_accepts_autoincrement_and_builds_serial_keys(node_bin, fresh_db, tmp_path):
    schema = build_tree_model()
    ws = workspace(tmp_path, schema)
    path = ws / TARGET_FILES["prisma"]
    before = path.read_bytes()
    assert "is valid" in prisma(node_bin, ws, "validate")
    prisma(node_bin, ws, "format")
    assert path.read_bytes() == before
    run([str(node_bin / "tsc"), "-p", "tsconfig.json"], ws)
    script = prisma(node_bin, ws, "migrate", "diff", "--from-empty", "--to-schema-datamodel",
                    TARGET_FILES["prisma"], "--script", url=fresh_db)
    apply(fresh_db, [script])
    assert_database_matches(fresh_db, schema, "prisma")
    with psycopg.connect(fresh_db, autocommit=True) as conn:     # creates need no id
        root = conn.execute("INSERT INTO categories (name) VALUES ('root') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO categories (name, parent_id) VALUES ('leaf', %s)", (root,))
        conn.execute("INSERT INTO tags (category_id) VALUES (%s)", (root,))


@pytest.mark.parametrize("model", sorted(MODELS))
def test_tsc_type_checks_the_drizzle_schema(node_bin, tmp_path, model):
    ws = workspace(tmp_path, MODELS[model]())
    run([str(node_bin / "tsc"), "-p", "tsconfig.json"], ws)


def test_tsc_rejects_a_broken_drizzle_schema(node_bin, tmp_path):
    ws = workspace(tmp_path, build_model())
    path = ws / TARGET_FILES["drizzle"]
    path.write_text(path.read_text().replace("references: [users.id]", "references: [users.nope]", 1))
    done = subprocess.run([str(node_bin / "tsc"), "-p", "tsconfig.json"], cwd=ws, capture_output=True, text=True,
                          timeout=HANG_GUARD)
    assert done.returncode != 0 and "nope" in done.stdout


# -- DDL of the tools, applied to PostgreSQL, compared with the model ------------------------


def assert_database_matches(url: str, schema: Schema, target: str) -> dict:
    """The inspected database equals the model minus the target's gaps; returns what it saw."""
    listed = {(g.kind, g.name) for g in gaps(schema, target)}
    schemas = tuple(sorted({t.schema for t in schema.tables} | {"public"}))
    db = inspect(url, schemas=schemas)
    actual = shape(db, with_checks=target != "prisma")
    expected = shape(schema, listed, with_checks=target != "prisma")
    for t in schema.tables:     # Prisma's autoincrement() is serial: a nextval() default stands in for identity
        for c in t.columns:
            if target == "prisma" and ("identity", f"{t.qname}.{c.name}") in listed:
                assert db.table(t.name, t.schema).column(c.name).default.startswith("nextval("), (t.key, c.name)
                expected[t.key]["defaults"][c.name] = (True, None, False)
    assert set(actual) == set(expected)
    for key in sorted(expected, key=str):
        assert actual[key] == expected[key], key
    return actual


@pytest.mark.parametrize("model", sorted(MODELS))
def test_drizzle_kit_ddl_builds_the_model_minus_parity_gaps(node_bin, fresh_db, tmp_path, model):
    schema = MODELS[model]()
    ws = workspace(tmp_path, schema)
    run([str(node_bin / "drizzle-kit"), "generate", "--name", "init"], ws)
    (script,) = sorted((ws / "drizzle-migrations").glob("*.sql"))
    prepare(fresh_db, schema, extensions=True)
    apply(fresh_db, script.read_text().split("--> statement-breakpoint"))
    actual = assert_database_matches(fresh_db, schema, "drizzle")
    policies = {p for t in actual.values() if isinstance(t, dict) and "policies" in t for p in t["policies"]}
    assert policies and all(actual[t.key]["fks"] or not t.foreign_keys for t in schema.tables)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_prisma_migrate_diff_ddl_builds_the_model_minus_parity_gaps(node_bin, fresh_db, tmp_path, model):
    schema = MODELS[model]()
    ws = workspace(tmp_path, schema)
    script = prisma(node_bin, ws, "migrate", "diff", "--from-empty", "--to-schema-datamodel",
                    TARGET_FILES["prisma"], "--script", url=fresh_db)
    assert "CREATE TABLE" in script
    prepare(fresh_db, schema, extensions=False)
    apply(fresh_db, [script])
    actual = assert_database_matches(fresh_db, schema, "prisma")
    # the comparison is not vacuous: without subtracting the gaps, the database differs
    assert actual != shape(schema, with_checks=False)
    table = schema.tables[0].key
    assert actual[table]["columns"] and actual[table]["pk"]


def test_docs_example_is_the_current_output(tmp_path):
    """docs/targets.md shows a spec next to its Prisma and Drizzle output: both must be current."""
    from generator.pipeline import load_schema

    doc = (Path(__file__).resolve().parent.parent / "docs" / "targets.md").read_text()
    blocks = dict(re.findall(r"```(yaml|prisma|ts)\n(.*?)```", doc, re.S))
    (tmp_path / "example.yaml").write_text(blocks["yaml"])
    schema = load_schema(tmp_path / "example.yaml")
    assert render("prisma", schema) == blocks["prisma"], "regenerate the Prisma example in docs/targets.md"
    assert render("drizzle", schema) == blocks["ts"], "regenerate the Drizzle example in docs/targets.md"
