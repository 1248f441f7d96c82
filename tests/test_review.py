"""`gen review` on scripted evolutions of the example specs: each edit of spec/*.yaml (a tenant
table added, a policy widened, a column dropped, a column renamed with renamed_from, an enum
value added, a column made protected) gives the right counts, lints beside the right statement,
access cells and flags; a cross-tenant widening is flagged at the top of the comment."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from test_docs_targets import mermaid_blocks, node_tools, parse_mermaid  # noqa: F401 (node_tools: a fixture)

from generator.cli import main
from generator.review import json_out, markdown, review

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"


def evolve(tmp_path: Path, example: str, *edits: tuple[str, str]) -> str:
    """The example spec with text edits applied, as a file of its own."""
    text = (SPEC / example).read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / example
    path.write_text(text)
    return str(path)


def cells(r, obj: str) -> dict[tuple[str, str], object]:
    return {(c.principal, c.command): c for c in r.access.changes if c.object == obj}


def findings(r) -> list[tuple[str, str, str]]:
    """(statement comment, finding source, code) for every finding beside a statement."""
    return [(st.comment, f.source, f.code) for p in r.parts for st in p.statements for f in st.findings]


def flag(r, name: str):
    return next((f for f in r.flags if f.name == name), None)


# ---------------------------------------------------------------- the six evolutions

TICKETS = """
  tickets:
    group: conversations
    description: A support ticket a customer opened.
    tenant: true
    traits: [timestamps]
    columns:
      id: uuid pk
      subject: text!
      status: conversation_status! = 'active'
      customer_id: uuid -> customers set null
"""


def test_add_a_tenant_table(tmp_path):
    head = evolve(tmp_path, "chatapp.yaml", ("\n  agent_packages:", TICKETS + "\n  agent_packages:"))
    r = review(str(SPEC / "chatapp.yaml"), head)
    assert r.counts["table"]["added"] == 1 and r.counts["table"]["changed"] == 0
    assert set(r.counts) == {"table"}                 # its policy, keys and grants count with it
    got = cells(r, "chatapp_tickets")
    assert got[("same tenant", "SELECT")].after.text == "tenant rows"
    assert got[("other tenant", "SELECT")].after.level == "denied"
    assert got[("anon", "INSERT")].after.level == "denied"
    assert all(c.change == "new" for c in got.values())
    assert r.access.new_objects == ["chatapp_tickets"]
    assert not any(f.name in ("cross-tenant", "public-access", "destructive") for f in r.flags)
    create = r.parts[0].statements[0]
    assert create.lock_kind == "create table" and "SHARE ROW EXCLUSIVE on chatapp_companies" in create.lock
    assert not create.heavy
    assert r.verdict.status in ("pass", "review") and r.verdict.exit_code == 0
    orm = {(o.client, o.what) for o in r.orm}
    assert not any(o.breaking for o in r.orm), orm


def test_widen_a_policy_to_other_tenants_is_flagged_at_the_top(tmp_path):
    head = evolve(tmp_path, "chatapp.yaml", (
        "      created_by: uuid -> users set null\n\n  agent_packages:",
        "      created_by: uuid -> users set null\n    policies:\n      - tenant_isolation\n"
        "      - {name: agents_read_all, for: select, using: \"true\"}\n\n  agent_packages:"))
    r = review(str(SPEC / "chatapp.yaml"), head)
    assert r.counts["policy"]["added"] == 1 and r.counts["table"]["changed"] == 1
    c = cells(r, "chatapp_agents")[("other tenant", "SELECT")]
    assert (c.before.level, c.after.level, c.change) == ("denied", "allowed", "widened") and c.cross_tenant
    assert ("same tenant", "SELECT") not in cells(r, "chatapp_agents")     # every row of its tenant, before and after
    assert r.access.changes[0] is c                                         # widened cross-tenant first
    assert r.flags[0].name == "cross-tenant" and r.flags[0].code == "RV007"
    assert r.verdict.status == "fail" and r.verdict.exit_code == 1 and "cross-tenant" in r.verdict.failing
    for other in ("SELECT",):
        assert cells(r, "chatapp_agents")[("other tenant", other)].flagged
    assert ("other tenant", "UPDATE") not in cells(r, "chatapp_agents")     # the policy is for SELECT only
    text = markdown.render(r)
    top = text.split("| objects |")[0]                                       # before the counts table
    assert "Changes requested: cross-tenant" in top
    assert "`chatapp_agents`: **another tenant** may now SELECT — denied → **allowed**" in top


def test_drop_a_column(tmp_path):
    head = evolve(tmp_path, "commerce.yaml", ("      compare_at_price: numeric(12,2)\n", ""),
                  ("      - compare_at_price IS NULL OR compare_at_price >= 0\n", ""))
    r = review(str(SPEC / "commerce.yaml"), head)
    assert r.counts["column"]["dropped"] == 1 and r.counts["constraint"]["dropped"] == 1
    got = findings(r)
    drop = "drop column product_variants.compare_at_price"
    assert (drop, "gen", "MG001") in got and (drop, "squawk", "ban-drop-column") in got
    assert flag(r, "destructive") and flag(r, "unacknowledged")
    assert r.verdict.status == "fail" and "unacknowledged" in r.verdict.failing
    st = next(s for p in r.parts for s in p.statements if s.comment == drop)
    assert st.lock == "ACCESS EXCLUSIVE on product_variants"
    breaking = {(o.client, o.field, o.what) for o in r.orm if o.breaking}
    assert ("Prisma", "compareAtPrice", "field removed") in breaking
    assert ("Drizzle", "compareAtPrice", "field removed") in breaking
    assert ("TypeScript", "compare_at_price", "field removed") in breaking
    assert ("pydantic", "compare_at_price", "field removed") in breaking
    assert not r.access.changes                                   # RLS off there: nothing changes in access


def test_dropping_an_acknowledged_column_passes_the_default_policy(tmp_path):
    head = evolve(tmp_path, "commerce.yaml", ("      compare_at_price: numeric(12,2)\n", ""),
                  ("      - compare_at_price IS NULL OR compare_at_price >= 0\n", ""),
                  ("\nenums:", "\nmigrations: {allow_destructive: [drop_column:product_variants.compare_at_price]}\n"
                              "\nenums:"))
    r = review(str(SPEC / "commerce.yaml"), head)
    mg = next(f for p in r.parts for s in p.statements for f in s.findings if f.code == "MG001")
    assert mg.acknowledged and mg.severity == "warning"
    assert flag(r, "destructive") and not flag(r, "unacknowledged")
    assert r.verdict.status == "review" and r.verdict.exit_code == 0
    strict = review(str(SPEC / "commerce.yaml"), head, fail_on="destructive")
    assert strict.verdict.status == "fail" and strict.verdict.failing == ("destructive",)


def test_rename_a_column_with_renamed_from(tmp_path):
    head = evolve(tmp_path, "commerce.yaml",
                  ("      compare_at_price: numeric(12,2)\n",
                   "      list_price: {type: \"numeric(12,2)\", renamed_from: compare_at_price}\n"),
                  ("compare_at_price IS NULL OR compare_at_price >= 0", "list_price IS NULL OR list_price >= 0"))
    r = review(str(SPEC / "commerce.yaml"), head)
    assert r.counts["column"]["renamed"] == 1 and "dropped" not in {v for v, n in r.counts["column"].items() if n}
    assert not flag(r, "destructive")
    got = findings(r)
    rename = "rename column product_variants.compare_at_price to list_price"
    assert (rename, "squawk", "renaming-column") in got
    assert not any(code == "MG001" for _, _, code in got)
    renamed = {(o.client, o.before, o.after) for o in r.orm if o.what == "field renamed"}
    assert ("Prisma", "compareAtPrice", "listPrice") in renamed and ("Drizzle", "compareAtPrice", "listPrice") in renamed
    assert flag(r, "orm-breaking")


def test_add_an_enum_value(tmp_path):
    head = evolve(tmp_path, "commerce.yaml", ("product_status: [draft, active, archived]",
                                              "product_status: [draft, active, discontinued, archived]"))
    r = review(str(SPEC / "commerce.yaml"), head)
    assert r.counts == {"enum": {"added": 0, "changed": 1, "renamed": 0, "dropped": 0}}
    [part] = r.parts
    assert part.step == "pre" and not part.transactional
    [st] = part.statements
    assert "ADD VALUE IF NOT EXISTS 'discontinued' AFTER 'active'" in st.sql and st.lock == "no table lock"
    added = [o for o in r.orm if o.what == "enum value added"]
    assert added and not any(o.breaking for o in r.orm)
    assert r.flags == [] and r.verdict.status == "pass"
    assert "Part 1 of 1: before the transaction" in markdown.render(r)


def test_make_a_column_protected(tmp_path):
    head = evolve(tmp_path, "chatapp.yaml", ("      status: agent_status! = 'draft'\n",
                                             "      status: {type: agent_status, nullable: false, default: \"'draft'\","
                                             " protected: true}\n"))
    r = review(str(SPEC / "chatapp.yaml"), head)
    assert r.counts["function"]["added"] == 1 and r.counts["trigger"]["added"] == 1
    got = cells(r, "chatapp_agents")
    up = got[("same tenant", "UPDATE")]
    assert up.before.text == "tenant rows" and up.after.text == "tenant rows, not status" and up.change == "narrowed"
    assert got[("same tenant", "INSERT")].change == "narrowed"
    assert ("same tenant", "SELECT") not in got
    assert not r.access.widened() and not flag(r, "access-widened")
    trigger = next(s for p in r.parts for s in p.statements if s.lock_kind == "create trigger")
    assert trigger.lock == "SHARE ROW EXCLUSIVE on chatapp_agents"


def test_rename_a_table_with_renamed_from(tmp_path):
    head = evolve(tmp_path, "chatapp.yaml", ("  agents:\n    group: agents\n",
                                             "  bots:\n    renamed_from: agents\n    group: agents\n"))
    head_text = Path(head).read_text().replace("-> agents ", "-> bots ")
    Path(head).write_text(head_text)
    r = review(str(SPEC / "chatapp.yaml"), head)
    assert r.counts["table"] == {"added": 0, "changed": 0, "renamed": 1, "dropped": 0}
    assert r.counts["policy"]["renamed"] == 1 and "dropped" not in str({k: v for k, v in r.counts.items()
                                                                        if v["dropped"]})
    assert not r.access.changes and not r.access.dropped_objects      # the same access, under its new name
    assert ("Prisma", "Agent", "model renamed", "Bot") in {(o.client, o.model, o.what, o.after) for o in r.orm}
    first = r.parts[0].statements[0]
    assert first.comment == "rename table chatapp_agents to chatapp_bots"
    assert first.lock == "ACCESS EXCLUSIVE on chatapp_agents"


# ---------------------------------------------------------------- more of the matrix

def test_supabase_owner_policy_widened_to_every_user(tmp_path):
    head = evolve(tmp_path, "ai_chat.yaml", ("      - {preset: owner, for: select, name: Users can view their own documents}",
                                             "      - {name: Users can view every document, for: select, to: [authenticated],"
                                             " using: \"true\"}"))
    r = review(str(SPEC / "ai_chat.yaml"), head)
    got = cells(r, "documents")
    assert got[("authenticated", "SELECT")].change == "widened"
    assert got[("authenticated", "SELECT")].after.text == "allowed"
    assert ("anon", "SELECT") not in got                     # the policy is for authenticated only
    # documents' chunks are readable through owns_document(): unchanged
    assert not cells(r, "document_chunks")
    assert flag(r, "access-widened") and not flag(r, "cross-tenant")


def test_rls_no_longer_forced_widens_the_owner_and_is_flagged(tmp_path):
    head = evolve(tmp_path, "chatapp.yaml", ("    description: An AI agent a company configures.\n",
                                             "    description: An AI agent a company configures.\n"
                                             "    rls: {force: false}\n"))
    r = review(str(SPEC / "chatapp.yaml"), head)
    c = cells(r, "chatapp_agents")[("service role", "SELECT")]
    assert (c.before.text, c.after.text, c.change) == ("denied (no policy)", "allowed (owner, RLS not forced)",
                                                        "widened")
    assert flag(r, "rls-weakened") and flag(r, "lint")           # RL012 too
    assert ("no force row level security on chatapp_agents", "security", "RL012") in findings(r)
    assert r.verdict.status == "fail"


def test_temporary_tables_allowed_again_weaken_rls(tmp_path):
    head = evolve(tmp_path, "chatapp.yaml", ('protected: ["*prod*", "*production*"]}',
                                             'protected: ["*prod*", "*production*"], temp_tables: true}'))
    r = review(str(SPEC / "chatapp.yaml"), head)
    assert r.counts == {"database": {"added": 0, "changed": 1, "renamed": 0, "dropped": 0}}
    assert flag(r, "rls-weakened").items == ("PUBLIC may create temporary tables again (they can shadow tables on "
                                             "pooled connections)",)
    assert r.verdict.status == "fail"


def test_no_change_gives_a_short_passing_comment():
    r = review(str(SPEC / "chatapp.yaml"), str(SPEC / "chatapp.yaml"))
    assert r.counts == {} and r.flags == [] and r.verdict.status == "pass"
    text = markdown.render(r)
    assert "No schema changes." in text and len(text.splitlines()) < 20


# ---------------------------------------------------------------- formats and the command

def test_json_output_validates_against_the_published_schema(tmp_path):
    schema = json.loads((ROOT / "docs" / "review.schema.json").read_text())
    head = evolve(tmp_path, "chatapp.yaml", ("      status: agent_status! = 'draft'\n", ""),
                  ("\n  agent_packages:", TICKETS + "\n  agent_packages:"))
    data = json.loads(json_out.render(review(str(SPEC / "chatapp.yaml"), head)))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["counts"]["table"]["added"] == 1 and data["counts"]["column"]["dropped"] == 1
    assert data["verdict"]["status"] == "fail"
    wrong = dict(data, verdict={"status": "maybe"})
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(wrong))


def test_github_annotations_point_at_the_spec_lines(tmp_path, capsys):
    head = evolve(tmp_path, "chatapp.yaml", (
        "      created_by: uuid -> users set null\n\n  agent_packages:",
        "      created_by: uuid -> users set null\n    policies:\n      - tenant_isolation\n"
        "      - {name: agents_read_all, for: select, using: \"true\"}\n\n  agent_packages:"))
    out = tmp_path / "review.md"
    assert main(["review", str(SPEC / "chatapp.yaml"), head, "--format", "github", "-o", str(out)]) == 1
    lines = capsys.readouterr().out.splitlines()
    line = next(i for i, text in enumerate(Path(head).read_text().splitlines(), 1) if "agents_read_all" in text)
    assert f"::error file={head},line={line},col=9,title=RV007::chatapp_agents: other tenant may now SELECT " \
           "(denied → allowed)" in lines
    assert lines[0].startswith("::notice title=gen review::❌ Changes requested")
    assert out.read_text().startswith(markdown.MARKER)


def test_fail_on_policy_and_bad_flag(tmp_path, capsys):
    head = evolve(tmp_path, "commerce.yaml", ("product_status: [draft, active, archived]",
                                              "product_status: [draft, active, discontinued, archived]"))
    base = str(SPEC / "commerce.yaml")
    assert main(["review", base, head, "--fail-on", "all"]) == 0          # nothing raised
    assert main(["review", base, head, "--fail-on", "nonsense"]) == 2
    assert "RV012" in capsys.readouterr().err


# ---------------------------------------------------------------- data model: Mermaid's parser, SVG

def test_every_diagram_parses_with_mermaid_and_marks_what_changed(tmp_path, node_tools):  # noqa: F811
    heads = {
        "tickets": ("chatapp.yaml", evolve(tmp_path / "a", "chatapp.yaml",
                                           ("\n  agent_packages:", TICKETS + "\n  agent_packages:"))),
        "drop": ("commerce.yaml", evolve(tmp_path / "b", "commerce.yaml", ("      compare_at_price: numeric(12,2)\n", ""),
                                         ("      - compare_at_price IS NULL OR compare_at_price >= 0\n", ""))),
        "rename": ("commerce.yaml", evolve(tmp_path / "c", "commerce.yaml", (
            "      compare_at_price: numeric(12,2)\n",
            "      list_price: {type: \"numeric(12,2)\", renamed_from: compare_at_price}\n"),
            ("compare_at_price IS NULL OR compare_at_price >= 0", "list_price IS NULL OR list_price >= 0"))),
        "table gone": ("ai_chat.yaml", _without_api_keys(tmp_path / "d")),
    }
    texts = {}
    for name, (example, head) in heads.items():
        blocks = mermaid_blocks(markdown.render(review(str(SPEC / example), head)))
        assert len(blocks) == 1, name
        texts[name] = blocks[0]
    texts["docs example"] = mermaid_blocks((ROOT / "docs" / "review" / "example.md").read_text())[0]
    parsed = parse_mermaid(node_tools, texts, tmp_path)
    for version, results in parsed.items():
        for name, res in results.items():
            assert res["ok"], (version, name, res.get("error"))
    got = parsed["11"]

    def entity(name, alias_start):
        return next(e for e in got[name]["entities"] if e["alias"].startswith(alias_start))

    added = entity("tickets", "+ chatapp_tickets (added)")
    assert [a["name"] for a in added["attributes"]][:3] == ["id", "company_id", "subject"]
    assert {"chatapp_companies", "chatapp_customers"} <= {e["alias"] or e["name"] for e in got["tickets"]["entities"]}
    dropped = entity("drop", "~ product_variants")
    assert {"name": "compare_at_price", "comment": "- dropped"}.items() <= next(
        a for a in dropped["attributes"] if a["name"] == "compare_at_price").items()
    renamed = entity("rename", "~ product_variants")
    assert next(a for a in renamed["attributes"] if a["name"] == "list_price")["comment"] == \
        "» renamed from compare_at_price"
    gone = entity("table gone", "- api_keys (dropped)")
    assert gone["attributes"] and all(a["keys"] for a in gone["attributes"])      # its keys only


def _without_api_keys(tmp_path: Path) -> str:
    text = (SPEC / "ai_chat.yaml").read_text()
    start = text.index("\n  api_keys:")
    end = text.index("\n\n", start + 1)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "ai_chat.yaml"
    path.write_text(text[:start] + text[end:] + "\nmigrations: {allow_destructive: [drop_table:api_keys]}\n")
    return str(path)


def test_output_file_gets_the_svg_beside_it(tmp_path):
    head = evolve(tmp_path, "commerce.yaml", ("product_status: [draft, active, archived]",
                                              "product_status: [draft, active, discontinued, archived]"),
                  ("      compare_at_price: numeric(12,2)\n", "      compare_at_price: numeric(12,2)\n      msrp: numeric\n"))
    out = tmp_path / "comment.md"
    assert main(["review", str(SPEC / "commerce.yaml"), head, "-o", str(out)]) == 0
    svg = (tmp_path / "comment.erd.svg").read_text()
    assert svg.startswith("<?xml") and "product_variants (changed)" in svg and "msrp" in svg
    assert out.read_text().startswith(markdown.MARKER)


# ---------------------------------------------------------------- a 200-table change stays readable

def test_a_200_table_change_folds_and_stays_under_the_comment_limit(tmp_path):
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    model = generate.build_model(220)
    (tmp_path / "base.yaml").write_text(generate.to_yaml(model, slice(0, 20)))
    (tmp_path / "head.yaml").write_text(generate.to_yaml(model))
    r = review(str(tmp_path / "base.yaml"), str(tmp_path / "head.yaml"))
    assert r.counts["table"]["added"] == 200
    text = markdown.render(r)
    assert len(text) < 65_536 and len(text) < markdown.MAX_CHARS
    assert text.count("<details") >= 4 and "`--format json` lists all" in text
    assert "Access to 200 new table(s)/view(s)" in text
    # new tables with the same matrix are shown once
    assert text.count("| same tenant | tenant rows | tenant rows | tenant rows | tenant rows |") == 1
    # the 200 new tables' migration is split into transactions of bounded lock count (chunks.py);
    # a finding repeated within a part is folded, and every table's statement still carries it
    assert len([p for p in r.parts if p.step == "main"]) > 1
    first = sum(1 for s in r.parts[0].statements for f in s.findings if f.code == "prefer-text-field")
    assert f"`prefer-text-field` again on {first - 1} more statement(s)" in text
    assert sum(1 for p in r.parts for s in p.statements for f in s.findings if f.code == "prefer-text-field") == 200
    assert all(len(b) <= 25_000 for b in mermaid_blocks(text))
    assert len(json.loads(json_out.render(r))["access"]["changes"]) == len(r.access.changes)


def test_base_and_head_from_git_directories(tmp_path, capsys, monkeypatch):
    """BASE as committed (a spec directory of two files, read with git), HEAD the working tree;
    annotations name the files as the repository does."""
    import subprocess
    app = tmp_path / "app"
    app.mkdir()
    text = (SPEC / "commerce.yaml").read_text()
    cut = text.index("\nentities:")
    (app / "a_head.yaml").write_text(text[:cut] + "\n")
    (app / "b_entities.yaml").write_text(text[cut + 1:])
    git = ["git", "-c", "user.name=gen test", "-c", "user.email=test@gen.local", "-C", str(tmp_path)]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(git + ["add", "app"], check=True)
    subprocess.run(git + ["commit", "-qm", "v1"], check=True)
    entities = (app / "b_entities.yaml").read_text().replace("      compare_at_price: numeric(12,2)\n", "").replace(
        "      - compare_at_price IS NULL OR compare_at_price >= 0\n", "")
    (app / "b_entities.yaml").write_text(entities)
    monkeypatch.chdir(tmp_path)
    assert main(["review", "git:HEAD:app", "app", "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert "::error file=app/b_entities.yaml," in out and "title=MG001::drops column product_variants" in out
    assert main(["review", "git:HEAD:app", "git:HEAD:app"]) == 0
    assert "No schema changes." in capsys.readouterr().out


# ---------------------------------------------------------------- docs

def test_committed_example_comment_is_current(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "example.md"
    assert main(["review", "docs/review/base.yaml", "docs/review/head.yaml", "-o", str(out)]) == 1
    hint = "regenerate: gen review docs/review/base.yaml docs/review/head.yaml -o docs/review/example.md"
    committed = ROOT / "docs" / "review"
    assert out.read_text() == (committed / "example.md").read_text(), hint
    assert (tmp_path / "example.erd.svg").read_text() == (committed / "example.erd.svg").read_text(), hint
    top = out.read_text().split("| objects |")[0]
    assert "Changes requested: cross-tenant" in top and "**another tenant** may now SELECT" in top


def test_docs_name_every_flag_and_lock():
    from generator.review import locks
    from generator.review.summary import DEFAULT_FAIL_ON, FLAG_KINDS
    doc = (ROOT / "docs" / "review.md").read_text()
    for k in FLAG_KINDS:
        assert f"| `{k.name}` | {k.code} |" in doc, k.name
    assert f"`default` (`{','.join(DEFAULT_FAIL_ON)}`)" in doc
    for r in locks.RULES:
        assert r.lock is None or r.lock in doc, r.kind
    for page in ("README.md", "docs/migrations.md"):
        assert "review.md" in (ROOT / page).read_text(), page
