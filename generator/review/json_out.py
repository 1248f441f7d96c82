"""The review as JSON for machines (`--format json`), in the shape docs/review.schema.json
documents; deterministic (sorted keys where order carries no meaning)."""
from __future__ import annotations

import json

from generator.review.report import Finding, Review

FORMAT = 1


def _loc(loc) -> dict:
    return {"file": loc.file if loc else None, "line": loc.line if loc else None}


def _finding(f: Finding) -> dict:
    return {"source": f.source, "code": f.code, "severity": f.severity, "message": f.message, "key": f.key or None,
            "acknowledged": f.acknowledged, **_loc(f.loc)}


def _cell(c) -> dict | None:
    if c is None:
        return None
    return {"level": c.level, "rows": c.rows, "text": c.text, "why": c.why or None, "except": list(c.except_),
            "columns": list(c.columns), "notes": list(c.notes)}


def _statement(s) -> dict:
    return {"sql": s.sql, "comment": s.comment, "step": s.step, "transactional": s.transactional, "lock": s.lock,
            "lock_kind": s.lock_kind, "heavy": s.heavy, "findings": [_finding(f) for f in s.findings]}


def to_data(r: Review) -> dict:
    a, d = r.access, r.datamodel
    return {
        "gen_review": FORMAT,
        "base": r.base, "head": r.head, "name": r.name,
        "verdict": {"status": r.verdict.status, "line": r.verdict.line, "failing": list(r.verdict.failing),
                    "exit_code": r.verdict.exit_code},
        "counts": r.counts,
        "objects": [{"kind": o.kind, "verb": o.verb, "name": o.name, "detail": o.detail, **_loc(o.loc)}
                    for o in r.objects],
        "flags": [{"code": f.code, "name": f.name, "title": f.title, "codes": list(f.codes), "items": list(f.items),
                   "locations": [_loc(loc) for loc in f.locs]} for f in r.flags],
        "access": {
            "changes": [{"object": c.object, "kind": c.kind, "principal": c.principal, "command": c.command,
                         "before": _cell(c.before), "after": _cell(c.after), "change": c.change,
                         "old_name": c.old_name, "proof": c.proof, "cross_tenant": c.cross_tenant,
                         "public": c.public} for c in a.changes],
            "new_objects": a.new_objects, "dropped_objects": a.dropped_objects},
        "migration": {
            "parts": [{"step": p.step, "transactional": p.transactional,
                       "statements": [_statement(s) for s in p.statements],
                       "down": [_statement(s) for s in p.down], "irreversible": p.irreversible} for p in r.parts],
            "unplaced": [_finding(f) for f in r.unplaced], "resolved": [_finding(f) for f in r.resolved],
            "squawk": r.squawk},
        "datamodel": {"mermaid": d.mermaid, "tables": d.shown, "note": d.note or None,
                      "docs": [{"table": x.table, "state": x.state, "diff": x.diff, "lines": x.lines} for x in d.docs]},
        "orm": [{"client": o.client, "model": o.model, "field": o.field, "what": o.what, "before": o.before,
                 "after": o.after, "breaking": o.breaking, **_loc(o.loc)} for o in r.orm],
        "verified": r.verified,
    }


def render(r: Review) -> str:
    return json.dumps(to_data(r), indent=2, ensure_ascii=False) + "\n"
