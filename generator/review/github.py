"""`--format github`: GitHub Actions workflow commands that annotate the spec lines behind each
finding (`::error file=spec/app.yaml,line=12,title=RV007 cross-tenant::…`): an error where the
verdict's policy fails on the flag, a warning otherwise."""
from __future__ import annotations

import re

from generator.diagnostics import Diagnostic, Location, format_diagnostics
from generator.review.access_diff import WIDENED
from generator.review.report import Review
from generator.review.summary import BY_NAME, flags_of


_GIT_COPY = re.compile(r"^.*?/gen-git-[^/]+/")


def _where(loc: Location | None) -> Location | None:
    """A location as the repository names it (a `git:<ref>:<path>` spec is read from a copy in
    a temporary directory, at its repository path)."""
    if loc is None:
        return None
    return Location(_GIT_COPY.sub("", loc.file), loc.line, loc.col) if _GIT_COPY.match(loc.file) else loc


def annotations(r: Review) -> list[Diagnostic]:
    failing = set(r.verdict.failing)
    out: list[Diagnostic] = []

    def add(flag: str, code: str, message: str, loc) -> None:
        severity = "error" if flag in failing else "warning"
        out.append(Diagnostic(code, message, _where(loc), f"review.{flag}", severity=severity))

    for part in r.parts:
        for st in part.statements:
            for f in st.findings:
                names = flags_of(f)
                if names:                    # the worst flag decides error or warning
                    flag = next((n for n in names if n in failing), names[0])
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
