"""Tests of the documentation targets (docs, erd, dbml): each output is read back by the
format's own parser (Mermaid via node, Graphviz `dot`, PyPI pydbml) and checked for content."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.model import (
    Check, Column, DataType, Enum, Extension, ForeignKey, Index, IndexElement, Policy, PrimaryKey,
    Schema, Table, TableMeta, Tenancy, Trigger, Unique,
)
from generator.targets import BuildContext, get_target

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated.*:DeprecationWarning")  # pyparsing, inside pydbml

TOOLS = Path(__file__).resolve().parent / "tools"
HOSTILE = 'we"ird|{x}<script>alert(1)</script>\n`tick` \'q\' #1 & *b* [l](u) %%'

# --- model builders -----------------------------------------------------------------------------

T = DataType
UUID, TEXT, TSTZ = T("uuid"), T("text"), T("timestamp with time zone")


def col(name, type_=TEXT, nullable=True, default=None, comment=None, **kw):
    return Column(name, type_, nullable=nullable, default=default, comment=comment, **kw)


def pk_id(table):
    return col("id", UUID, False, "gen_random_uuid()", "Primary key.")


def fk(table, cols, ref, ref_cols=("id",), on_delete="NO ACTION", name=None):
    return ForeignKey(name or f"{table}_{'_'.join(cols)}_fkey", tuple(cols), ref, tuple(ref_cols),
                      on_delete=on_delete)


def tenant_policy(table):
    return Policy("tenant_isolation", "ALL", ("app_user",),
                  using="company_id = current_setting('app.company_id', true)::uuid",
                  check="company_id = current_setting('app.company_id', true)::uuid",
                  preset="tenant_isolation")


def chat_schema() -> Schema:
    """A realistic multi-table model: enums, FKs (two to one table, a self reference, a
    one-to-one, nullable ones), a composite-PK join table, gin/hnsw/partial indexes,
    policies from presets and raw, triggers and descriptions."""
    enums = (Enum("user_role", ("master_admin", "company_admin", "support_agent"), comment="Who a user is."),
             Enum("conversation_status", ("open", "pending", "closed")))
    plans = Table(
        "subscription_plans",
        (pk_id("subscription_plans"), col("slug", TEXT, False), col("name", TEXT, False),
         col("price_monthly", T("numeric", (10, 2)), False, "0", "Price per month in EUR.")),
        primary_key=PrimaryKey("subscription_plans_pkey", ("id",)),
        uniques=(Unique("subscription_plans_slug_key", ("slug",)),),
        checks=(Check("subscription_plans_price_check", "price_monthly >= 0"),),
        comment="Plans a company can subscribe to.", rls_enabled=True,
        policies=(Policy("public_read", "SELECT", ("anon", "app_user"), using="true", preset="public_read"),),
        meta=TableMeta(entity="subscription_plans", group="billing"))
    companies = Table(
        "companies",
        (pk_id("companies"), col("slug", TEXT, False, comment="URL name."), col("name", TEXT, False),
         col("subscription_plan_id", UUID, True),
         col("created_at", TSTZ, False, "now()"), col("updated_at", TSTZ, False, "now()")),
        primary_key=PrimaryKey("companies_pkey", ("id",)),
        foreign_keys=(fk("companies", ["subscription_plan_id"], "subscription_plans", on_delete="SET NULL"),),
        uniques=(Unique("companies_slug_key", ("slug",)),),
        comment="Tenants: every customer company.\n\nOne row per paying customer.",
        triggers=(Trigger("companies_touch_updated_at", "gen_touch_updated_at()", "BEFORE", ("UPDATE",)),),
        meta=TableMeta(entity="companies", group="billing", touch_column="updated_at"))
    users = Table(
        "users",
        (pk_id("users"), col("company_id", UUID, False), col("email", T("citext"), False),
         col("role", T("user_role", enum=True), False, "'support_agent'::user_role"),
         col("manager_id", UUID, True, comment="The user's manager (same company)."),
         col("display_name", T("character varying", (120,)))),
        primary_key=PrimaryKey("users_pkey", ("id",)),
        foreign_keys=(fk("users", ["company_id"], "companies", on_delete="CASCADE"),
                      fk("users", ["manager_id"], "users", on_delete="SET NULL")),
        indexes=(Index("users_email_key", (IndexElement("email"),), unique=True),
                 Index("users_company_id_idx", (IndexElement("company_id"),))),
        comment="People who log in.", rls_enabled=True, rls_forced=True,
        policies=(tenant_policy("users"),),
        meta=TableMeta(entity="users", group="people", tenant_column="company_id"))
    profiles = Table(
        "user_profiles",
        (col("id", UUID, False, "gen_random_uuid()"), col("user_id", UUID, False),
         col("bio", TEXT), col("avatar_url", TEXT)),
        primary_key=PrimaryKey("user_profiles_pkey", ("id",)),
        foreign_keys=(fk("user_profiles", ["user_id"], "users", on_delete="CASCADE"),),
        uniques=(Unique("user_profiles_user_id_key", ("user_id",)),),
        comment="Optional public profile, one per user.", rls_enabled=True,
        policies=(Policy("owner", "ALL", ("app_user",), using="user_id = current_setting('app.user_id')::uuid",
                         check="user_id = current_setting('app.user_id')::uuid", preset="owner",
                         description="A user edits only their own profile."),),
        meta=TableMeta(entity="user_profiles", group="people", owner_column="user_id"))
    conversations = Table(
        "conversations",
        (pk_id("conversations"), col("company_id", UUID, False), col("created_by", UUID, False),
         col("assigned_to", UUID, True), col("title", TEXT, False),
         col("status", T("conversation_status", enum=True), False, "'open'::conversation_status"),
         col("tags", T("text", array_dims=1), False, "'{}'::text[]"), col("created_at", TSTZ, False, "now()")),
        primary_key=PrimaryKey("conversations_pkey", ("id",)),
        foreign_keys=(fk("conversations", ["company_id"], "companies", on_delete="CASCADE"),
                      fk("conversations", ["created_by"], "users"),
                      fk("conversations", ["assigned_to"], "users", on_delete="SET NULL")),
        indexes=(Index("conversations_company_id_created_at_idx",
                       (IndexElement("company_id"), IndexElement("created_at", descending=True))),
                 Index("conversations_tags_idx", (IndexElement("tags"),), method="gin"),
                 Index("conversations_open_idx", (IndexElement("assigned_to"),), where="status = 'open'")),
        comment="A support conversation.", rls_enabled=True, rls_forced=True,
        policies=(tenant_policy("conversations"),
                  Policy("agents_close_own", "UPDATE", ("app_user",), using="assigned_to = current_setting('app.user_id')::uuid",
                         check="status = 'closed'", permissive=False)),
        meta=TableMeta(entity="conversations", group="chat", tenant_column="company_id"))
    messages = Table(
        "messages",
        (Column("id", T("bigint"), nullable=False, identity="always"), col("company_id", UUID, False),
         col("conversation_id", UUID, False), col("author_id", UUID, True, comment="NULL for system messages."),
         col("body", TEXT, False), col("embedding", T("vector", (1536,))),
         col("deleted_at", TSTZ), col("created_at", TSTZ, False, "now()")),
        primary_key=PrimaryKey("messages_pkey", ("id",)),
        foreign_keys=(fk("messages", ["conversation_id"], "conversations", on_delete="CASCADE"),
                      fk("messages", ["author_id"], "users", on_delete="SET NULL"),
                      fk("messages", ["company_id"], "companies", on_delete="CASCADE")),
        indexes=(Index("messages_embedding_idx", (IndexElement("embedding", opclass="vector_cosine_ops"),),
                       method="hnsw", params=(("ef_construction", "64"), ("m", "16"))),
                 Index("messages_live_idx", (IndexElement("conversation_id"), IndexElement("created_at")),
                       where="deleted_at IS NULL"),
                 Index("messages_body_fts_idx", (IndexElement(expression="to_tsvector('english', body)"),),
                       method="gin")),
        comment="Messages in a conversation.", rls_enabled=True, rls_forced=True,
        policies=(tenant_policy("messages"),),
        triggers=(Trigger("messages_audit", "audit.log_change()", "AFTER", ("INSERT", "DELETE"),
                          level="ROW", when="pg_trigger_depth() = 0"),),
        meta=TableMeta(entity="messages", group="chat", tenant_column="company_id",
                       soft_delete_column="deleted_at"))
    documents = Table(
        "documents",
        (pk_id("documents"), col("company_id", UUID, False), col("title", TEXT, False)),
        primary_key=PrimaryKey("documents_pkey", ("id",)),
        foreign_keys=(fk("documents", ["company_id"], "companies", on_delete="CASCADE"),),
        meta=TableMeta(entity="documents", tenant_column="company_id"))
    links = Table(
        "document_conversation_links",
        (col("document_id", UUID, False), col("conversation_id", UUID, False),
         col("created_at", TSTZ, False, "now()")),
        primary_key=PrimaryKey("document_conversation_links_pkey", ("document_id", "conversation_id")),
        foreign_keys=(fk("document_conversation_links", ["document_id"], "documents", on_delete="CASCADE"),
                      fk("document_conversation_links", ["conversation_id"], "conversations", on_delete="CASCADE")),
        comment="Which documents a conversation uses.",
        meta=TableMeta(entity="document_conversation_links", group="chat", join_table=True))
    return Schema(
        name="chatapp", description="Support chat for companies.",
        tables=(plans, companies, users, profiles, conversations, messages, documents, links),
        enums=enums, extensions=(Extension("vector"), Extension("citext")),
        tenancy=Tenancy("companies", "company_id", "current_setting('app.company_id', true)::uuid",
                        setting="app.company_id"))


def hostile_schema() -> Schema:
    """Names and descriptions built to break every format's quoting."""
    odd_enum = Enum(HOSTILE[:20], ("plain", "with space", "it's", "a|b", "x{y}"), comment=HOSTILE)
    parent = Table(
        HOSTILE, (col("id", UUID, False, comment=HOSTILE), col('na"me|x', TEXT, comment=HOSTILE),
                  col("1st", T(odd_enum.name, enum=True)), col("select", TEXT, default="'a`b'"),
                  col("PK", T("numeric", (10, 2), 2))),
        primary_key=PrimaryKey('pk "x"', ("id",)),
        uniques=(Unique("u|1", ('na"me|x', "select")),),
        checks=(Check("c<1>", "length(\"na\"\"me|x\") < 10 AND \"select\" <> '`|'"),),
        indexes=(Index("i`x", (IndexElement(expression="lower(\"na\"\"me|x\")"),), where="\"1st\" IS NOT NULL",
                       comment=HOSTILE),),
        comment=HOSTILE, rls_enabled=True,
        policies=(Policy("p|<b>", "SELECT", ("r\"1",), using="\"select\" = '|'", description=HOSTILE),),
        meta=TableMeta(group=HOSTILE))
    child = Table(
        "child {table}", (col("id", UUID, False), col("parent ref", UUID, comment="`code` | pipe")),
        primary_key=PrimaryKey("child_pkey", ("id",)),
        foreign_keys=(ForeignKey("fk \"to\" parent", ("parent ref",), HOSTILE, ("id",), on_delete="CASCADE"),
                      ForeignKey("fk_auth", ("id",), "users", ("id",), ref_schema="auth")),
        comment="</script>```", meta=TableMeta(group="g2"))
    return Schema(name="hostile schema", description=HOSTILE, tables=(parent, child), enums=(odd_enum,))


def large_schema(n_groups: int = 3, per_group: int = 15) -> Schema:
    """More than 40 tables in groups; each table references the first table of its group and
    the first table of group 0 (so group diagrams pull in referenced tables)."""
    tables = []
    for g in range(n_groups):
        for i in range(per_group):
            name = f"g{g}_t{i}"
            fks = []
            if i:
                fks.append(fk(name, ["head_id"], f"g{g}_t0"))
            if g:
                fks.append(fk(name, ["root_id"], "g0_t0"))
            cols = [pk_id(name), col("head_id", UUID), col("root_id", UUID)]
            tables.append(Table(name, tuple(cols), primary_key=PrimaryKey(f"{name}_pkey", ("id",)),
                                foreign_keys=tuple(fks), meta=TableMeta(group=f"group {g}")))
    return Schema(name="large", tables=tuple(tables))


def build(target: str, schema: Schema, templates: str | None = None) -> tuple[dict[str, str | bytes], list[str]]:
    ctx = BuildContext(schema, templates=templates)
    files = {a.path: a.content for a in get_target(target)(ctx)}
    return files, ctx.notes


def all_types_schema() -> Schema:
    """One column per canonical type, with modifiers and arrays, to prove every type token."""
    from generator.model.types import MODIFIER_ARITY, TYPE_ALIASES
    cols = []
    for i, base in enumerate(sorted(set(TYPE_ALIASES.values()))):
        mods = (10, 2)[: MODIFIER_ARITY.get(base, 0)]
        cols.append(col(f"c{i}", T(base)))
        cols.append(col(f"c{i}_mod_arr", T(base, mods, 2)))
    cols.append(col("e", T("user_role", enum=True, schema="app"), comment="enum in another schema"))
    table = Table("all_types", tuple(cols))
    return Schema(name="types", tables=(table,), enums=(Enum("user_role", ("a",), schema="app"),))


# --- tool runners -----------------------------------------------------------------------------

def _need(program: str, hint: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"`{program}` is needed by these tests: {hint}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tests/tools with its pinned npm packages installed (npm ci once when missing)."""
    _need("node", "install Node.js 20+")
    npm = _need("npm", "install npm")
    wanted = [TOOLS / "node_modules" / pkg / "package.json" for pkg in ("mermaid", "mermaid-v10", "marked")]
    if not all(p.exists() for p in wanted):
        proc = subprocess.run([npm, "ci", "--prefix", str(TOOLS), "--ignore-scripts", "--no-audit", "--no-fund"],
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            pytest.fail(f"npm ci in tests/tools failed:\n{proc.stderr[-2000:]}", pytrace=False)
    return TOOLS


@pytest.fixture(scope="session")
def dot_program() -> str:
    return _need("dot", "apt-get install -y graphviz")


def run_node(tools: Path, script: str, files: list[Path]) -> dict:
    proc = subprocess.run(["node", str(tools / script), *map(str, files)], capture_output=True,
                          text=True, timeout=600, cwd=tools)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def parse_mermaid(tools: Path, texts: dict[str, str], tmp_path: Path) -> dict[str, dict[str, dict]]:
    """{mermaid major version: {name: parse result}} for each text."""
    paths = {}
    for i, (name, text) in enumerate(sorted(texts.items())):
        paths[name] = tmp_path / f"d{i}.mmd"
        paths[name].write_text(text, encoding="utf-8")
    raw = run_node(tools, "parse-mermaid.mjs", list(paths.values()))
    return {v: {name: res[str(p)] for name, p in paths.items()} for v, res in raw.items()}


def render_markdown(tools: Path, files: dict[str, str], tmp_path: Path) -> dict[str, str]:
    paths = {}
    for i, (name, text) in enumerate(sorted(files.items())):
        paths[name] = tmp_path / f"m{i}.md"
        paths[name].write_text(text, encoding="utf-8")
    raw = run_node(tools, "render-markdown.mjs", list(paths.values()))
    return {name: raw[str(p)] for name, p in paths.items()}


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, re.S | re.M)


def decode_mermaid(text: str) -> str:
    """What Mermaid shows for a label: its entity placeholders decoded to characters."""
    return html.unescape(text.replace("ﬂ°°", "&#").replace("ﬂ°", "&").replace("¶ß", ";"))


def flat(text: str) -> str:
    return " ".join(text.split())


# --- registration and determinism -------------------------------------------------------------

def test_targets_are_registered():
    from generator.targets import TARGET_MODULES
    for name in ("docs", "erd", "dbml"):
        assert name in TARGET_MODULES
        assert callable(get_target(name))


@pytest.mark.parametrize("target", ["docs", "erd", "dbml"])
@pytest.mark.parametrize("make", [chat_schema, hostile_schema], ids=["chat", "hostile"])
def test_output_is_byte_identical_across_runs(target, make):
    first, _ = build(target, make())
    second, _ = build(target, make())
    assert first == second
    assert all(not re.search(r"20\d\d-\d\d-\d\d", str(c)) for c in first.values())


# --- Mermaid --------------------------------------------------------------------------------

def _all_mermaid(schema: Schema) -> dict[str, str]:
    erd, _ = build("erd", schema)
    docs, _ = build("docs", schema)
    texts = {p: c for p, c in erd.items() if p.endswith(".mmd")}
    for path, md in docs.items():
        for i, block in enumerate(mermaid_blocks(md)):
            texts[f"{path}#{i}"] = block
    return texts


@pytest.mark.parametrize("make", [chat_schema, hostile_schema, large_schema, all_types_schema],
                         ids=["chat", "hostile", "large", "types"])
def test_every_mermaid_diagram_parses_in_mermaid_10_and_11(make, node_tools, tmp_path):
    schema = make()
    texts = _all_mermaid(schema)
    assert any(name.endswith("README.md#0") for name in texts)
    results = parse_mermaid(node_tools, texts, tmp_path)
    assert set(results) == {"10", "11"}
    for version, by_name in results.items():
        failed = {n: r["error"] for n, r in by_name.items() if not r["ok"]}
        assert not failed, f"mermaid {version}: {failed}"
        assert all(r["type"] == "er" for r in by_name.values())


def _entities_by_label(result: dict) -> dict[str, dict]:
    return {decode_mermaid(e["alias"]) or e["name"]: e for e in result["entities"]}


def test_mermaid_erd_has_tables_columns_keys_and_cardinalities(node_tools, tmp_path):
    schema = chat_schema()
    erd, _ = build("erd", schema)
    result = parse_mermaid(node_tools, {"erd": erd["erd.mmd"]}, tmp_path)["11"]["erd"]
    entities = _entities_by_label(result)
    assert set(entities) == {t.name for t in schema.tables}
    users = {a["name"]: a for a in entities["users"]["attributes"]}
    assert users["id"]["keys"] == ["PK"] and users["company_id"]["keys"] == ["FK"]
    assert users["email"]["keys"] == ["UK"] and users["display_name"]["type"] == "varchar(120)"
    types = {a["name"]: a["type"] for a in entities["messages"]["attributes"]}
    assert types["created_at"] == "timestamptz" and types["embedding"] == "vector(1536)"
    assert {a["name"]: a["type"] for a in entities["subscription_plans"]["attributes"]}["price_monthly"] == "numeric(10-2)"
    assert {a["name"]: a["type"] for a in entities["conversations"]["attributes"]}["tags"] == "text[]"
    assert sorted(entities["document_conversation_links"]["attributes"][0]["keys"]) == ["FK", "PK"]

    rels = {(r["from"], r["to"], r["label"]): r for r in result["relationships"]}
    assert len(result["relationships"]) == sum(len(t.foreign_keys) for t in schema.tables)
    # mermaid: cardB is the parent end, cardA the child end.
    one_to_one = rels[("users", "user_profiles", "user_id")]
    assert (one_to_one["cardB"], one_to_one["cardA"]) == ("ONLY_ONE", "ZERO_OR_ONE")
    nullable = rels[("users", "conversations", "assigned_to")]
    assert (nullable["cardB"], nullable["cardA"]) == ("ZERO_OR_ONE", "ZERO_OR_MORE")
    required = rels[("users", "conversations", "created_by")]
    assert (required["cardB"], required["cardA"]) == ("ONLY_ONE", "ZERO_OR_MORE")
    assert ("users", "users", "manager_id") in rels
    assert rels[("documents", "document_conversation_links", "document_id")]["relType"] == "IDENTIFYING"
    assert required["relType"] == "NON_IDENTIFYING"


def test_mermaid_keeps_hostile_names_and_descriptions_as_text(node_tools, tmp_path):
    schema = hostile_schema()
    erd, _ = build("erd", schema)
    result = parse_mermaid(node_tools, {"erd": erd["erd.mmd"]}, tmp_path)["10"]["erd"]
    entities = _entities_by_label(result)
    assert set(entities) == {flat(HOSTILE), "child {table}", "auth.users"}
    attrs = entities[flat(HOSTILE)]["attributes"]
    comments = [decode_mermaid(a["comment"]) for a in attrs]
    assert comments[0].rstrip("…") and flat(HOSTILE).startswith(comments[0].rstrip("…"))
    assert comments[1].startswith('na"me|x: ')
    assert [a["type"] for a in attrs][4] == "numeric(10-2)[][]"
    assert {(r["from"], r["to"]) for r in result["relationships"]} == {
        (entities[flat(HOSTILE)]["name"], entities["child {table}"]["name"]),
        (entities["auth.users"]["name"], entities["child {table}"]["name"])}


# --- Graphviz -------------------------------------------------------------------------------

def svg_texts(svg: str) -> set[str]:
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)
    return {"".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")}


@pytest.mark.parametrize("make", [chat_schema, hostile_schema, all_types_schema], ids=["chat", "hostile", "types"])
def test_svg_is_drawn_by_dot_and_names_every_table(make, dot_program, tmp_path):
    schema = make()
    files, notes = build("erd", schema)
    assert notes == []
    proc = subprocess.run([dot_program, "-Tsvg"], input=files["erd.dot"].encode(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    texts = svg_texts(files["erd.svg"])
    for t in schema.tables:
        assert flat(t.name) in texts
        assert {flat(c.name) for c in t.columns} <= texts


def test_svg_is_deterministic_and_free_of_graphviz_banner(dot_program):
    first, _ = build("erd", chat_schema())
    second, _ = build("erd", chat_schema())
    assert first["erd.svg"] == second["erd.svg"]
    assert "<!--" not in first["erd.svg"] and "graphviz version" not in first["erd.svg"].lower()


def test_dot_edges_go_port_to_port_and_groups_are_clusters(dot_program):
    schema = chat_schema()
    files, _ = build("erd", schema)
    dot = files["erd.dot"]
    edges = [line for line in dot.splitlines() if " -> " in line]
    assert len(edges) == sum(len(t.foreign_keys) for t in schema.tables)
    # conversations.assigned_to is column 3; users.id is column 0; nullable -> zero-or-one head
    assert any(e.strip().startswith('"conversations":"c3e":e -> "users":"c0w":w') and "arrowhead=teeodot" in e
               for e in edges)
    assert any(e.strip().startswith('"user_profiles":"c1e":e -> "users":"c0w":w') and "arrowtail=teeodot" in e
               for e in edges)
    cluster = dot[dot.index('subgraph "cluster_chat"'):]
    cluster = cluster[:cluster.index("\n  }\n")]
    assert '"messages" [label=<' in cluster and '"users" [label=<' not in cluster


def test_missing_dot_still_writes_dot_and_notes_the_skip(monkeypatch):
    from generator.targets import erd_graphviz
    monkeypatch.setattr(erd_graphviz.shutil, "which", lambda name: None)
    files, notes = build("erd", chat_schema())
    assert set(files) == {"erd.mmd", "erd.dot"}
    assert len(notes) == 1 and "erd.svg" in notes[0] and "graphviz" in notes[0]


def test_failing_dot_is_an_environment_error(monkeypatch, tmp_path):
    from generator.diagnostics import EXIT_ENVIRONMENT, GenError
    from generator.targets import erd_graphviz
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(erd_graphviz.shutil, "which", lambda name: str(fake))
    with pytest.raises(GenError) as err:
        build("erd", chat_schema())
    assert err.value.exit_code == EXIT_ENVIRONMENT
    assert "syntax error in line 1" in str(err.value)


def test_large_schema_gets_one_diagram_per_group(node_tools, tmp_path):
    schema = large_schema()
    assert len(schema.tables) > 40
    files, _ = build("erd", schema)
    stems = sorted({p.rsplit(".", 1)[0] for p in files if p.startswith("erd/")} - {"erd/overview"})
    assert len(stems) == 3 and "erd/overview.dot" in files
    if shutil.which("dot"):
        assert all(f"{s}.svg" in files for s in stems + ["erd/overview"])
    group1 = next(s for s in stems if "group-1" in s)
    dot = files[f"{group1}.dot"]
    shown = set(re.findall(r'^  "([^"]+)" \[label=<', dot, re.M))
    assert shown == {f"g1_t{i}" for i in range(15)} | {"g0_t0"}
    parsed = parse_mermaid(node_tools, {"g": files[f"{group1}.mmd"]}, tmp_path)["11"]["g"]
    assert {e["name"] for e in parsed["entities"]} == shown
    small, _ = build("erd", chat_schema())
    assert not any(p.startswith("erd/") for p in small)


@pytest.mark.parametrize("make", [chat_schema, hostile_schema, large_schema])
def test_edge_index_answers_like_a_scan_of_every_foreign_key(make):
    """The per-schema index (built once) gives what scanning the whole schema would."""
    from generator.targets import erd_relations as rel
    schema = make()
    edges = rel.all_edges(schema)
    assert len(edges) == sum(len(t.foreign_keys) for t in schema.tables)
    for t in schema.tables:
        linked = {(fk.ref_schema, fk.ref_table) for fk in t.foreign_keys}
        linked |= {c.key for c in schema.tables for fk in c.foreign_keys
                   if (fk.ref_schema, fk.ref_table) == t.key}
        assert rel.neighbours(schema, t) == [n for n in schema.tables if n.key in linked - {t.key}]
        some = [t] + rel.neighbours(schema, t)[::-1]
        wanted = {x.key for x in some}
        assert rel.graph(schema).edges_from(some) == [e for e in edges if e.child.key in wanted]
        assert rel.with_referenced(schema, some) == [
            x for x in schema.tables if x.key in wanted | {(fk.ref_schema, fk.ref_table) for s in some
                                                           for fk in s.foreign_keys}]
    assert rel.graph(schema) is rel.graph(schema)
    other = make()
    assert rel.graph(other) is not rel.graph(schema) and rel.graph(other).schema is other


def fake_dot(monkeypatch, tmp_path) -> Path:
    """A `dot` that draws each diagram as an <svg> holding its DOT text, and logs each call."""
    from generator.targets import erd_graphviz
    fake, log = tmp_path / "dot", tmp_path / "calls"
    fake.write_text(f"#!/bin/sh\necho x >> {log}\necho '<svg>'; cat; echo '</svg>'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(erd_graphviz.shutil, "which", lambda name: str(fake))
    return log


def test_whole_schema_svg_is_skipped_above_150_tables_but_group_svgs_are_drawn(monkeypatch, tmp_path):
    calls = fake_dot(monkeypatch, tmp_path)
    files, notes = build("erd", large_schema(n_groups=4, per_group=40))
    assert "erd.svg" not in files and {"erd.dot", "erd.mmd"} <= set(files)
    assert notes == ["erd.svg skipped for 160 tables: render with `dot -Tsvg erd.dot` "
                     "or see erd/<group>.svg"]
    stems = sorted({p.rsplit(".", 1)[0] for p in files if p.startswith("erd/")})
    # no overview above 150 tables; each group drawn left-to-right and top-to-bottom (the narrower kept)
    assert len(stems) == 4 and len(calls.read_text().split()) == 8
    for s in stems:                                                     # each SVG from its own DOT
        assert files[f"{s}.svg"] == f"<svg>\n{files[f'{s}.dot']}</svg>\n"
    assert [p.rsplit(".", 1)[1] for p in files][:2] == ["mmd", "dot"]
    assert [p for p in files if p.startswith("erd/")][:3] == [f"{stems[0]}.{x}" for x in ("mmd", "dot", "svg")]

    ungrouped = Schema(name="flat", tables=tuple(Table(f"t{i}", (pk_id(f"t{i}"),)) for i in range(151)))
    files, notes = build("erd", ungrouped)
    assert set(files) == {"erd.dot", "erd.mmd"}
    assert notes == ["erd.svg skipped for 151 tables: render with `dot -Tsvg erd.dot`"]
    files, notes = build("erd", Schema(name="flat", tables=ungrouped.tables[:150]))
    assert "erd.svg" in files and notes == []


# --- DBML -------------------------------------------------------------------------------------

def parse_dbml(text: str):
    from pydbml import PyDBML
    return PyDBML(text)


def dbml_name_of(name: str) -> str:
    """DBML cannot hold '"' in a name (documented substitution)."""
    return flat(name).replace('"', "'")


def test_dbml_parses_back_with_the_same_tables_refs_and_enums():
    schema = chat_schema()
    files, _ = build("dbml", schema)
    db = parse_dbml(files["schema.dbml"])
    assert [t.name for t in db.tables] == [t.name for t in schema.tables]
    assert {e.name: [str(i.name) for i in e.items] for e in db.enums} == {
        e.name: list(e.values) for e in schema.enums}
    refs = {(r.table1.name, tuple(c.name for c in r.col1), r.table2.name, tuple(c.name for c in r.col2),
             r.type, r.on_delete, r.on_update) for r in db.refs}
    expected = set()
    for t in schema.tables:
        for f in t.foreign_keys:
            kind = "-" if t.name == "user_profiles" else ">"
            expected.add((t.name, f.columns, f.ref_table, f.ref_columns, kind, f.on_delete.lower(),
                          f.on_update.lower()))
    assert refs == expected
    assert db.project.name == "chatapp" and db.project.note.text == schema.description


def test_dbml_columns_indexes_and_notes():
    schema = chat_schema()
    db = parse_dbml(build("dbml", schema)[0]["schema.dbml"])
    tables = {t.name: t for t in db.tables}
    plans = {c.name: c for c in tables["subscription_plans"].columns}
    assert plans["id"].pk and plans["id"].not_null and plans["slug"].unique
    assert plans["price_monthly"].type == "numeric(10,2)"
    assert plans["price_monthly"].note.text == "Price per month in EUR."
    assert str(plans["id"].default) == "gen_random_uuid()"
    assert tables["companies"].note.text == schema.table("companies").comment
    assert "check subscription_plans_price_check: price_monthly >= 0" in tables["subscription_plans"].note.text
    messages = {c.name: c for c in tables["messages"].columns}
    assert messages["id"].autoinc and messages["created_at"].type == "timestamptz"
    indexes = {i.name: i for i in tables["messages"].indexes}
    assert indexes["messages_body_fts_idx"].type == "gin"
    assert "using hnsw" in indexes["messages_embedding_idx"].note.text
    assert "where deleted_at IS NULL" in indexes["messages_live_idx"].note.text
    link_pk = [i for i in tables["document_conversation_links"].indexes if i.pk]
    assert [c.name for c in link_pk[0].subjects] == ["document_id", "conversation_id"]
    assert {g.name: [t.name for t in g.items] for g in db.table_groups}["chat"] == [
        "conversations", "messages", "document_conversation_links"]


def test_dbml_survives_hostile_names_and_notes():
    schema = hostile_schema()
    db = parse_dbml(build("dbml", schema)[0]["schema.dbml"])
    tables = {t.name: t for t in db.tables}
    assert set(tables) == {dbml_name_of(HOSTILE), "child {table}", "users"}
    parent = tables[dbml_name_of(HOSTILE)]
    assert parent.note.text.startswith(HOSTILE)            # newline and quotes kept in notes
    assert [c.name for c in parent.columns] == ["id", "na'me|x", "1st", "select", "PK"]
    assert parent.columns[0].note.text == HOSTILE
    assert parent.columns[3].note.text == "default: 'a`b'"  # a backtick cannot be a DBML expression
    assert [str(i.name) for i in db.enums[0].items] == ["plain", "with space", "it's", "a|b", "x{y}"]
    assert {(r.table1.name, r.table2.name) for r in db.refs} == {("child {table}", dbml_name_of(HOSTILE)),
                                                                ("child {table}", "users")}


# --- Markdown docs -----------------------------------------------------------------------------

def links(markdown_html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', markdown_html)


def test_docs_link_every_table_both_ways():
    schema = chat_schema()
    files, _ = build("docs", schema)
    readme = files["docs/README.md"]
    pages = {p: c for p, c in files.items() if p.startswith("docs/tables/")}
    assert sorted(pages) == sorted(f"docs/tables/{t.name}.md" for t in schema.tables)
    for t in schema.tables:
        assert f"[{t.name}](tables/{t.name}.md)" in readme
        assert "[← all tables](../README.md)" in pages[f"docs/tables/{t.name}.md"]
    for t in schema.tables:
        page = pages[f"docs/tables/{t.name}.md"]
        for f in t.foreign_keys:
            assert f"[{f.ref_table}]({f.ref_table}.md)" in page                 # out
            assert f"[{t.name}]({t.name}.md)" in pages[f"docs/tables/{f.ref_table}.md"]   # in


def test_docs_readme_overview_enums_and_rls_summary():
    schema = chat_schema()
    readme = build("docs", schema)[0]["docs/README.md"]
    assert "| tables | 8 |" in readme and "| foreign keys | 13 |" in readme
    assert "| indexes | 8 |" in readme and "| policies | 6 |" in readme
    assert "| `user_role` | `master_admin`, `company_admin`, `support_agent` | Who a user is. |" in readme
    assert ("| [users](tables/users.md) | ALL | role app_user | rows of the current tenant "
            "(company_id = current tenant) | `tenant_isolation` | tenant_isolation |") in readme
    assert ("| [subscription_plans](tables/subscription_plans.md) | SELECT | roles anon, app_user "
            "| every row |") in readme
    assert "rows where `assigned_to = current_setting('app.user_id')::uuid`" in readme
    assert "| [documents](tables/documents.md) | ALL | any role with a grant | every row (RLS off) |" in readme
    assert "Tenant root table: [companies](tables/companies.md)." in readme
    assert len(mermaid_blocks(readme)) == 1


def test_docs_table_page_details():
    schema = chat_schema()
    files, _ = build("docs", schema)
    page = files["docs/tables/messages.md"]
    assert "| `id` | `bigint` | no | identity (always) | PK |  |" in page
    assert "| `author_id` | `uuid` | yes |  | FK → [users](users.md).`id` | NULL for system messages. |" in page
    assert "| `messages_embedding_idx` | hnsw | `embedding vector_cosine_ops` |  |  | ef_construction=64, m=16 |" in page
    assert "| `messages_live_idx` | btree | `conversation_id`, `created_at` |  | `deleted_at IS NULL` |" in page
    assert "`(to_tsvector('english', body))`" in page
    assert "| `messages_audit` | AFTER | INSERT OR DELETE | for each row | `audit.log_change()` | `pg_trigger_depth() = 0` |" in page
    assert "Role app_user may read, add, change and delete rows of the current tenant" in page
    profiles = files["docs/tables/user_profiles.md"]
    assert "| `user_profiles_user_id_fkey` | `user_id` | [users](users.md) (`id`) | CASCADE | NO ACTION | one-to-one |" in profiles
    assert "A user edits only their own profile." in profiles
    plans = files["docs/tables/subscription_plans.md"]
    assert "| `subscription_plans_price_check` | `price_monthly >= 0` |" in plans
    assert "| `subscription_plans_slug_key` | `slug` |  |" in plans
    conv = files["docs/tables/conversations.md"]
    assert "Restrictive: every other policy must also allow it." in conv
    companies = files["docs/tables/companies.md"]
    assert "Tenants: every customer company.\n\nOne row per paying customer." in companies


@pytest.mark.parametrize("make", [chat_schema, hostile_schema], ids=["chat", "hostile"])
def test_docs_render_as_intended_markdown(make, node_tools, tmp_path):
    """Rendered by a GFM renderer: no raw HTML gets through, every table row keeps its cell
    count, and every link points at a page that exists."""
    files, _ = build("docs", make())
    rendered = render_markdown(node_tools, files, tmp_path)
    files |= build("erd", make())[0]        # the README links the erd target's drawings
    for path, out in rendered.items():
        assert "<script" not in out and "<b>" not in out, path
        for table in re.findall(r"<table>.*?</table>", out, re.S):
            rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
            widths = {len(re.findall(r"<t[hd][ >]", r)) for r in rows}
            assert len(widths) == 1, (path, widths)
        base = Path(path).parent
        for href in links(out):
            target = (base / html.unescape(href)).as_posix()
            target = re.sub(r"[^/]+/\.\./", "", target)
            assert target in files, (path, href)


def test_docs_show_hostile_text_verbatim(node_tools, tmp_path):
    schema = hostile_schema()
    files, _ = build("docs", schema)
    page = next(p for p in files if p.startswith("docs/tables/we-"))
    out = render_markdown(node_tools, {page: files[page]}, tmp_path)[page]
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert flat(HOSTILE) in text                          # title, description, column notes
    assert 'na"me|x' in text and "'a`b'" in text and "p|<b>" in text
    assert "\"select\" = '|'" in text


# --- escaping helpers ---------------------------------------------------------------------------

def test_markdown_escapes_block_starts_and_inline_syntax():
    from generator.targets.escape import md_code, md_text
    assert md_text("- item") == "\\- item" and md_text("1. x") == "1\\. x"
    assert md_text("a_b _c_ *d*") == "a_b \\_c\\_ \\*d\\*"
    assert md_text("<b>x</b> | y") == "\\<b\\>x\\</b\\> \\| y"
    assert md_text("line\nnext") == "line next"
    assert md_code("a ``b`` c") == "``` a ``b`` c ```" and md_code("x|y") == "`x\\|y`"
    assert md_code("x|y", cell=False) == "`x|y`"


def test_slugs_are_safe_and_distinct():
    from generator.targets.escape import slug
    names = ["users", "Users x", "users/x", "users\\x", "../etc", HOSTILE, "a" * 200]
    slugs = [slug(n) for n in names]
    assert slugs[0] == "users" and len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", s) and len(s) <= 80 for s in slugs)


def test_dot_and_html_escaping():
    from generator.targets.escape import dot_string, html_text
    assert dot_string('a "b" \\N') == '"a \\"b\\" \\\\N"'
    assert html_text("<a & 'b'>") == "&lt;a &amp; &#39;b&#39;&gt;"


def test_user_template_override_is_used(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.md.j2").write_text("# {{ title }} (house style)\n{% for r in tables %}{{ r[0] }}\n{% endfor %}")
    files, _ = build("docs", chat_schema(), templates=str(tmp_path))
    assert files["docs/README.md"].startswith("# chatapp (house style)\n[subscription_plans](tables/")
    assert "## Columns" in files["docs/tables/users.md"]     # not overridden: built-in template


# --- the project's own example specs ------------------------------------------------------------

SPECS = sorted((Path(__file__).resolve().parent.parent / "spec").glob("*.yaml"))


@pytest.mark.skipif(not SPECS, reason="no example specs in spec/ yet")
@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_example_specs_render_and_parse(spec, node_tools, dot_program, tmp_path):
    from generator.pipeline import load_schema
    schema = load_schema(spec)
    results = parse_mermaid(node_tools, _all_mermaid(schema), tmp_path)
    for version, by_name in results.items():
        assert all(r["ok"] for r in by_name.values()), (version, {n: r.get("error") for n, r in by_name.items()})
    erd, notes = build("erd", schema)
    assert not notes
    texts = svg_texts(erd["erd.svg"])
    assert {t.name for t in schema.tables} <= texts
    db = parse_dbml(build("dbml", schema)[0]["schema.dbml"])
    assert {t.name for t in db.tables} >= {t.name for t in schema.tables}
    # one Ref per relationship: a tenant key doubling a plain key (rows of no tenant) is not another
    assert len(db.refs) == sum(len(t.relation_keys) for t in schema.tables)
    assert {e.name for e in db.enums} == {e.name for e in schema.enums}
    docs, _ = build("docs", schema)
    assert len([p for p in docs if p.startswith("docs/tables/")]) == len(schema.tables)


def test_large_schema_readme_has_one_diagram_per_group():
    readme = build("docs", large_schema())[0]["docs/README.md"]
    blocks = mermaid_blocks(readme)
    assert len(blocks) == 3 and "### group 1\n\n```mermaid" in readme
    group1 = blocks[1]
    assert "g1_t14 {" in group1 and "g2_t0" not in group1
    # g0_t0 is shown for reference with its key columns only
    g0 = group1[group1.index("g0_t0 {"):]
    assert "root_id" not in g0[:g0.index("}")] and "uuid id PK" in g0[:g0.index("}")]


def test_readme_diagram_falls_back_when_too_large_for_mermaid():
    """Ungrouped and huge: key columns only first, then a pointer to erd.svg instead of a
    block Mermaid would refuse to draw."""
    wide = [col(f"column_number_{i}", TEXT, comment="x" * 50) for i in range(12)]

    def table(name):
        return Table(name, (pk_id(name), *wide), primary_key=PrimaryKey(f"{name}_pkey", ("id",)))

    wide_schema = Schema(name="wide", tables=tuple(table(f"t{i}") for i in range(60)))
    readme = build("docs", wide_schema)[0]["docs/README.md"]
    block = mermaid_blocks(readme)[0]
    assert "t59 {" in block and "uuid id PK" in block and "column_number_0" not in block
    many = tuple(table(f"very_long_table_name_number_{i:04d}_" + "x" * 20) for i in range(1200))
    readme = build("docs", Schema(name="huge", tables=many))[0]["docs/README.md"]
    assert mermaid_blocks(readme) == [] and "too large for Mermaid" in readme


def test_uk_markers_are_unique_sets():
    """column_keys' one-pass UK marker says what is_unique_set says of the column alone, on every
    example and test spec (keys over one column, over several, unique indexes with and without
    a predicate or expressions)."""
    from generator.diagnostics import GenError
    from generator.pipeline import load_schema
    from generator.targets import erd_relations as rel
    root = Path(__file__).resolve().parent.parent
    specs = sorted((root / "spec").glob("*.yaml")) + sorted((root / "tests" / "specs").rglob("*.yaml"))
    seen = 0
    for path in specs:
        try:
            schema = load_schema(path)
        except GenError:
            continue
        for t in schema.tables:
            keys = rel.column_keys(t)
            pk = set(t.primary_key.columns) if t.primary_key else set()
            for c in t.columns:
                if c.name not in pk:
                    seen += 1
                    assert ("UK" in keys[c.name]) == rel.is_unique_set(t, (c.name,)), (path.name, t.name, c.name)
    assert seen > 1000
