"""The index report of `gen explain` in three forms: a compact table for the terminal, a
Markdown document with every query's SQL and plan, and JSON for machines."""
from __future__ import annotations

import json
from dataclasses import asdict

from generator.verify.explain import ExplainReport

KINDS = {"index": "index", "fk": "foreign key lookup", "named": "named query", "policy": "policy predicate"}


def summary_line(report: ExplainReport, strict: bool = False) -> str:
    c = report.counts()
    verdict = "proven" if report.ok(strict) else "NOT proven"
    return (f"{report.spec}: indexes {verdict}: {c['pass']} passed, {c['fail']} failed, {c['warn']} warnings, "
            f"{c['info']} notes, {c['skip']} skipped ({sum(report.rows.values())} sample rows)")


def format_table(report: ExplainReport, only_problems: bool = False) -> str:
    lines = []
    for r in report.results:
        if only_problems and r.status in ("pass", "info"):
            continue
        who = "" if r.role == "owner" else f" [{r.role}]"
        lines.append(f"{r.status.upper():4}  {r.table}: {KINDS[r.kind]} {r.name}{who}: {r.detail}")
    return "\n".join(lines)


def format_json(report: ExplainReport, strict: bool = False) -> str:
    return json.dumps({"spec": report.spec, "server": report.server, "ok": report.ok(strict),
                       "counts": report.counts(), "rows": report.rows,
                       "results": [asdict(r) for r in report.results]}, indent=2, default=str)


def format_markdown(report: ExplainReport) -> str:
    c = report.counts()
    out = [f"# Index report: {report.spec}", "",
           f"{c['pass']} passed, {c['fail']} failed, {c['warn']} warnings, {c['info']} notes, {c['skip']} skipped. "
           f"Run on {report.server} with {sum(report.rows.values())} sample rows "
           "(EXPLAIN ANALYZE after ANALYZE; planner settings untouched).", "",
           "| table | rows |", "|---|---:|"]
    out += [f"| {t} | {n} |" for t, n in report.rows.items()]
    tables = list(dict.fromkeys(r.table for r in report.results))
    for t in tables:
        out += ["", f"## {t}", "", "| query | as | result | detail |", "|---|---|---|---|"]
        mine = [r for r in report.results if r.table == t]
        out += [f"| {KINDS[r.kind]} `{r.name}` | {r.role} | {r.status} | {_cell(r.detail)} |" for r in mine]
        for r in mine:
            if not r.sql:
                continue
            out += ["", f"### {r.name} ({KINDS[r.kind]}, as {r.role}): {r.status}", ""]
            if r.note:
                out += [f"{r.note}.", ""]
            out += ["```sql", r.sql, "```", "", "```", *r.plan, "```"]
            if r.ms is not None:
                out += ["", f"Execution time {r.ms:.2f} ms"
                        + (f"; the value matches {r.share:.1%} of the rows." if r.share is not None else ".")]
            if r.forced is not None:
                forced = ", ".join(r.forced) or "no index"
                out += ["", f"With enable_seqscan=off (information only) the plan would use: {forced}."]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
