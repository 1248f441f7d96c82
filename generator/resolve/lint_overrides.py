"""`lint:` on an entity, view or function: per-object lint severities, each with its reason."""
from __future__ import annotations

from generator.model import LintOverride
from generator.resolve.context import Ctx


def lint_overrides(ctx: Ctx, raw: dict, path: tuple) -> tuple[LintOverride, ...]:
    out = []
    for code, value in sorted(raw.items()):
        where = path + ("lint", code)
        if isinstance(value, str):
            if not value.strip():
                ctx.error("RS121", f"lint override {code} needs a reason", where,
                          'write why this object is an exception: `{code}: "…"`')
                continue
            out.append(LintOverride(code, "off", value.strip(), ctx.loc(*where)))
        else:
            out.append(LintOverride(code, value.severity, value.reason.strip(), ctx.loc(*where)))
    return tuple(out)
