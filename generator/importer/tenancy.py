"""Tenancy recognised in an imported database: tables isolated by the same tenant column and
setting through policies exactly like the tenant_isolation preset's, and the root table
their tenant column references."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from generator.importer.context import ImportCtx
from generator.importer.recognize import same_expr, setting_expr
from generator.model import Policy, Table
from generator.model.naming import quote_ident, shorten

_SETTING = re.compile(r"current_setting\('([^']+)'")


@dataclass
class Tenancy:
    root: tuple[str, str]
    column: str
    setting: str
    policies: dict[tuple[str, str], Policy] = field(default_factory=dict)   # table -> its isolation policy

    def spec(self, ctx: ImportCtx) -> dict:
        out = {"root": ctx.keys[self.root], "column": self.column}
        if self.setting != f"app.{self.column}":
            out["setting"] = self.setting
        return out

    def entry(self, ctx: ImportCtx, t: Table) -> dict | None:
        """The explicit preset entry a tenant table needs (None when `tenant: true` says it all)."""
        p = self.policies[t.key]
        entry: dict = {"preset": "tenant_isolation"}
        if p.name != shorten(f"{t.name}_tenant_isolation"):
            entry["name"] = p.name
        if tuple(sorted(p.roles)) != tuple(sorted(ctx.default_roles)):
            entry["to"] = list(p.roles)
        return entry if len(entry) > 1 else None


def _candidates(ctx: ImportCtx, t: Table) -> list[tuple[str, str, Policy]]:
    """(column, setting, policy) for each policy of t shaped like tenant isolation."""
    out = []
    for p in t.policies:
        if p.command != "ALL" or not p.permissive or not p.using or not same_expr(p.using, p.check):
            continue
        m = _SETTING.search(p.using)
        if not m:
            continue
        for c in t.columns:
            if same_expr(p.using, f"{quote_ident(c.name)} = (SELECT {setting_expr(m.group(1))})"):
                out.append((c.name, m.group(1), p))
    return out


def recognize_tenancy(ctx: ImportCtx, carried: dict[tuple[str, str], set[str]]) -> Tenancy | None:
    """The most common (column, setting) pair whose column references one root table."""
    found: dict[tuple[str, str], list[tuple[Table, str, Policy]]] = {}
    for t in ctx.model.tables:
        if t.key in ctx.raw_tables:
            continue
        for col, setting, p in _candidates(ctx, t):
            if col in carried.get(t.key, set()):
                found.setdefault((col, setting), []).append((t, col, p))
    best = None
    for (col, setting), items in sorted(found.items()):
        roots = Counter((fk.ref_schema, fk.ref_table) for t, c, _ in items for fk in t.foreign_keys
                        if fk.columns == (c,))
        if not roots:
            continue
        root, n = roots.most_common(1)[0]
        if root in ctx.keys and (best is None or n > best[0]):
            best = (n, Tenancy(root, col, setting))
    if best is None:
        return None
    tenancy = best[1]
    for t, col, p in found[(tenancy.column, tenancy.setting)]:
        if any(fk.columns == (col,) and (fk.ref_schema, fk.ref_table) == tenancy.root for fk in t.foreign_keys):
            tenancy.policies[t.key] = p
    root = next(t for t in ctx.model.tables if t.key == tenancy.root)
    pk = root.primary_key.columns if root.primary_key else ()
    for col, setting, p in _candidates(ctx, root):
        if (col,) == tuple(pk) and setting == tenancy.setting:
            tenancy.policies[root.key] = p
    return tenancy
