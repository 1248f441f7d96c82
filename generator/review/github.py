"""`--format github`: GitHub Actions workflow commands that annotate the spec lines behind each
finding (`::error file=spec/app.yaml,line=12,title=RV007 cross-tenant::…`): an error where the
verdict's policy fails on the flag, a warning otherwise."""
from __future__ import annotations

from generator.diagnostics import Diagnostic, Location, format_diagnostics
from generator.review.access_diff import WIDENED
from generator.review.report import ERROR, Review
from generator.review.summary import BY_NAME

FLAG_OF_CODE = {"MG001": "destructive", "MG002": "data-dependent", "RV003": "data-dependent", "RV004": "lock-heavy"}


def _where(loc: Location | None, spec: str) -> Location | None:
    """A location in the spec as the repository names it (a `git:<ref>:<path>` spec was read
    from a temporary copy)."""
    if loc is None:
        return None
    if spec.startswith("git:") and "gen-git-" in loc.file:
        return Location(spec.split(":", 2)[2], loc.line, loc.col)
    return loc


def annotations(r: Review) -> list[Diagnostic]:
    failing = set(r.verdict.failing)
    out: list[Diagnostic] = []

    def add(flag: str, code: str, message: str, loc) -> None:
        severity = "error" if flag in failing else "warning"
        out.append(Diagnostic(code, message, _where(loc, r.head), f"review.{flag}", severity=severity))

    for part in r.parts:
        for st in part.statements:
            for f in st.findings:
                flag = "lint" if f.source == "security" else "squawk" if f.source == "squawk" else \
                    "unacknowledged" if f.code == "MG001" and not f.acknowledged and f.severity == ERROR else \
                    FLAG_OF_CODE.get(f.code, "destructive")
                add(flag, f.code, f"{f.message} [{st.comment}]", f.loc)
    for f in r.unplaced:
        add("lint", f.code, f.message, f.loc)
    for c in r.access.changes:
        if c.flagged or c.change == WIDENED:
            flag = "cross-tenant" if c.cross_tenant else "public-access" if c.public else "access-widened"
            before = c.before.text if c.before else "—"
            add(flag, BY_NAME[flag].code, f"{c.object}: {c.principal} may now {c.command} ({before} → {c.after.text})",
                _access_loc(r, c.object))
    for o in r.orm:
        if o.breaking:
            add("orm-breaking", "RV005", o.line, o.loc)
    return out


def _access_loc(r: Review, obj: str) -> Location | None:
    """The spec line that changed the object's access: a changed policy, grant or RLS setting of
    it, else the object itself."""
    table = obj.split(".")[-1]
    for o in r.objects:
        if o.kind in ("policy", "grant", "row-level security", "view") and o.loc is not None and \
                (o.name.split(".")[0] == table or o.name.startswith(table + ":") or o.name == table):
            return o.loc
    return next((o.loc for o in r.objects if o.kind == "table" and o.name == obj and o.loc), None)


def render(r: Review) -> str:
    notes = [f"::notice title=gen review::{r.verdict.line}"]
    body = format_diagnostics(annotations(r), "github")
    return "\n".join(notes + ([body] if body else [])) + "\n"
