"""Lints: security rules over a model.Schema, one rule per module (generator.lint.rules), run
on a declared spec by `gen validate`/`gen lint` and on a live database by `gen lint
--database-url`. The runner applies severities: the rule's default, then the spec-wide
`lint:` map, then the object's own `lint:` override (which always carries a reason)."""
from __future__ import annotations

from generator.diagnostics import Diagnostic, sort_diagnostics
from generator.lint.context import LintContext
from generator.lint.registry import UNKNOWN_CODE, all_rules, rule
from generator.model import LintOverride, Schema
from generator.model.naming import qualified

__all__ = ["lint", "all_rules", "rule", "SUPPRESSED"]

SUPPRESSED = "off"   # severity of a finding an override turned off (listed with suppressed=True)


def lint(schema: Schema, *, source: str = "spec", suppressed: bool = False) -> list[Diagnostic]:
    """Every finding of every rule on `schema` ("spec": a resolved spec; "database": an
    inspected live database). With `suppressed`, findings turned off by an override are listed
    too, with severity "off" and the override's reason."""
    ctx = LintContext(schema, source)
    spec_wide = {o.code: o for o in schema.settings.lint}
    per_object = _object_overrides(schema)
    out = list(_unknown_codes(schema, per_object))
    for r in all_rules():
        if source not in r.source:
            continue
        for f in r.check(ctx):
            severity, why = f.severity or r.severity, ""
            for o in (spec_wide.get(r.code), per_object.get(f.subject, {}).get(r.code)):
                if o is not None:
                    severity, why = o.severity, o.reason
            if severity == SUPPRESSED:
                if suppressed:
                    out.append(Diagnostic(r.code, f.message, f.loc, f.name, f"suppressed: {why}", SUPPRESSED))
                continue
            hint = f.hint + (f" [{severity} by override: {why}]" if why else "")
            out.append(Diagnostic(r.code, f.message, f.loc, f.name, hint, severity))
    return sort_diagnostics(out)


def _object_overrides(schema: Schema) -> dict[tuple, dict[str, LintOverride]]:
    out: dict[tuple, dict[str, LintOverride]] = {}
    for t in schema.tables:
        out[("table", t.schema, t.name)] = {o.code: o for o in t.meta.lint}
    for v in schema.views:
        out[("view", v.schema, v.name)] = {o.code: o for o in v.lint}
    for f in schema.functions:
        out[("function", f.schema, f.name)] = {o.code: o for o in f.lint}
    return out


def _unknown_codes(schema: Schema, per_object: dict[tuple, dict[str, LintOverride]]):
    known = {r.code for r in all_rules()}
    named = [(o, "lint") for o in schema.settings.lint]
    named += [(o, qualified(key[1], key[2])) for key, overrides in per_object.items() for o in overrides.values()]
    for o, where in named:
        if o.code not in known:
            yield Diagnostic(UNKNOWN_CODE, f"lint override names unknown rule '{o.code}'", o.loc, where,
                             f"lint codes are RL001…RL{len(known):03d} (see docs/lints.md); "
                             "a misspelt code overrides nothing", "warning")


def errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.severity == "error"]
