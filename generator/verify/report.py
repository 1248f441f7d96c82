"""Verify results as data: one Result per proven (or failed, skipped) fact, and the compact
table and JSON forms the CLI prints."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"
STATUSES = (PASS, FAIL, WARN, SKIP)


@dataclass(frozen=True)
class Result:
    """check: synced | fk | unique | check | rls | setup | index | realtime; object: table or
    table.constraint;
    what: the fact tested; status: pass | fail | warn | skip; detail: why, when not a pass."""

    check: str
    object: str
    what: str
    status: str
    detail: str = ""


def passed(check: str, obj: str, what: str, detail: str = "") -> Result:
    return Result(check, obj, what, PASS, detail)


def failed(check: str, obj: str, what: str, detail: str) -> Result:
    return Result(check, obj, what, FAIL, detail)


def warned(check: str, obj: str, what: str, detail: str) -> Result:
    return Result(check, obj, what, WARN, detail)


def skipped(check: str, obj: str, what: str, detail: str) -> Result:
    return Result(check, obj, what, SKIP, detail)


@dataclass
class Report:
    spec: str
    server: str = ""
    results: list[Result] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r.status == s) for s in STATUSES}

    def ok(self, strict: bool = False) -> bool:
        """No failure (and, when strict, no warning or skip either: what was not proven fails)."""
        bad = (FAIL, WARN, SKIP) if strict else (FAIL,)
        return not any(r.status in bad for r in self.results)

    def to_dict(self) -> dict:
        return {"spec": self.spec, "server": self.server, "counts": self.counts(),
                "results": [asdict(r) for r in self.results]}


def format_json(report: Report, strict: bool = False) -> str:
    data = report.to_dict()
    data["ok"] = report.ok(strict)
    return json.dumps(data, indent=2)


def format_table(report: Report, only_problems: bool = False) -> str:
    """`rls  chatapp_agents  INSERT for other tenant  FAIL: row accepted`, column-aligned."""
    rows = [r for r in report.results if not only_problems or r.status != PASS]
    if not rows:
        return ""
    w_check = max(len(r.check) for r in rows)
    w_obj = min(max(len(r.object) for r in rows), 48)
    w_what = min(max(len(r.what) for r in rows), 64)
    lines = []
    for r in rows:
        result = r.status.upper() + (f": {r.detail}" if r.detail else "")
        lines.append(f"{r.check:<{w_check}}  {r.object:<{w_obj}}  {r.what:<{w_what}}  {result}".rstrip())
    return "\n".join(lines)


def summary_line(report: Report, strict: bool = False) -> str:
    c = report.counts()
    verdict = "verified" if report.ok(strict) else "NOT verified"
    return (f"{report.spec}: {verdict}: {c[PASS]} passed, {c[FAIL]} failed, {c[WARN]} warnings, "
            f"{c[SKIP]} skipped")
