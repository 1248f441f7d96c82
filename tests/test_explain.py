"""`gen explain`: on sample data at scale, every declared index of the seed-003 and seed-004
examples is chosen by PostgreSQL for its query; deliberately missing indexes are flagged."""
from __future__ import annotations

import json
from pathlib import Path

from generator.cli import main
from generator.pipeline import load_schema
from generator.verify.explain import explain
from generator.verify.queries_report import format_markdown

ROOT = Path(__file__).parent.parent
MISSING = str(Path(__file__).parent / "specs" / "explain" / "missing.yaml")


def _proven(path: str, pg_url: str):
    schema = load_schema(path)
    report = explain(schema, path, pg_url)
    owner = {r.name: r for r in report.results if r.role == "owner" and r.kind == "index"}
    declared = [i.name for t in schema.tables for i in t.indexes]
    assert declared and set(declared) <= set(owner), set(declared) - set(owner)
    unused = {n: owner[n].detail for n in declared if owner[n].status != "pass"}
    assert not unused, unused
    assert all(n in owner[n].used for n in declared)          # the plan names the index itself
    assert not [r for r in report.results if r.status == "fail"]
    return schema, report


def test_automations_indexes_serve_their_queries(pg_url):
    _schema, report = _proven(str(ROOT / "spec" / "automations.yaml"), pg_url)
    md = format_markdown(report)
    for name in ("questionnaire_sessions_user_id_created_at_idx", "questionnaire_sessions_user_id_status_idx",
                 "user_automations_user_id_status_idx", "weekly_discoveries_week_of_user_id_idx",
                 "automations_tags_idx", "automations_embedding_idx"):
        section = md.split(f"### {name} (index, as owner): pass", 1)[1].split("###", 1)[0]
        assert "```sql" in section and name in section, name        # the query and its plan
    r = next(r for r in report.results if r.name == "questionnaire_sessions_user_id_created_at_idx")
    assert "ORDER BY created_at DESC LIMIT 20" in r.sql and "user_id = " in r.sql
    r = next(r for r in report.results if r.name == "automations_embedding_idx")
    assert "<=>" in r.sql and "LIMIT 10" in r.sql                   # cosine ops: the <=> operator
    # an operator that is not LEAKPROOF cannot run before the policy: the GIN index is lost as anon
    anon = next(r for r in report.results if r.name == "automations_tags_idx" and r.role == "anon")
    assert anon.status == "warn" and "policy defeats the index" in anon.detail


def test_ai_chat_indexes_serve_their_queries(pg_url):
    _schema, report = _proven(str(ROOT / "spec" / "ai_chat.yaml"), pg_url)
    hnsw = next(r for r in report.results if r.name == "document_chunks_embedding_idx" and r.role == "owner")
    assert report.rows["document_chunks"] >= 9000 and "Index Scan using document_chunks_embedding_idx" in \
        "\n".join(hnsw.plan)


def test_missing_indexes_are_flagged(pg_url, tmp_path, capsys):
    code = main(["explain", MISSING, "--database-url", pg_url, "--out", str(tmp_path), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and not data["ok"]
    by = {(r["kind"], r["name"]): r for r in data["results"] if r["role"] == "owner" or r["kind"] == "policy"}
    fk = by[("fk", "m_tasks_project_id_fkey")]
    assert fk["status"] == "fail" and "missing index for foreign key" in fk["detail"]
    policy = by[("policy", "m_projects.owner_id")]
    assert policy["status"] == "fail" and "missing index for the policy predicate on owner_id" in policy["detail"]
    assert by[("index", "m_tasks_title_idx")]["status"] == "pass"            # the partial index is used
    assert by[("index", "m_projects_created_at_idx")]["status"] == "pass"
    named = by[("named", "open_tasks_of_project")]
    assert named["status"] == "fail" and "unused index" in named["detail"] and named["forced"] is not None
    app = next(r for r in data["results"] if r["name"] == "m_projects_created_at_idx" and r["role"] != "owner")
    assert app["status"] == "warn" and "no index leads with the column the policy filters on" in app["detail"]
    md = (tmp_path / "missing.indexes.md").read_text()
    assert "missing index for foreign key m_tasks_project_id_fkey" in md
    assert json.loads((tmp_path / "missing.indexes.json").read_text())["counts"]["fail"] == 3
