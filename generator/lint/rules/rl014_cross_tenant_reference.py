"""A foreign key between two tenant-scoped tables that can point at another tenant's row.

**What it catches.** A reference from a tenant-scoped table to another tenant-scoped table (or to
itself) whose key does not include the tenant column: `same_tenant: false` in the spec, or on a
live database a foreign key between two tables that both carry the tenant column (the column
their policies pin to the current tenant) that leaves it out. References to the tenant root
itself are not concerned.

**Why.** Foreign-key checks ignore RLS. Without the tenant column in the key, tenant A's row may
point at tenant B's parent: A learns that B's row exists, and when B deletes it, the cascade
deletes or changes A's rows. gen's default key `(company_id, agent_id) -> agents (company_id,
id)` makes such a row impossible.

Bad:

```yaml
entities:
  conversations:
    tenant: true
    columns:
      customer_id: {type: uuid, ref: {entity: customers, same_tenant: false}}
```

Good:

```yaml
      customer_id: uuid -> customers      # tenant-consistent by default
      theme_id: {type: uuid, ref: {entity: themes, same_tenant: shared}}   # own tenant's or a shared system row
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, scoped_references
from generator.model.naming import shorten

CODE = "RL014"
NAME = "cross-tenant-reference"
SEVERITY = "warning"


def _shared(t, fk) -> bool:
    """`same_tenant: shared`: gen's trigger admits this tenant's or shared (no tenant) rows only."""
    name = shorten(f"{t.name}_{'_'.join(fk.columns)}_tenant")
    return any(tr.name == name and set(fk.columns) <= set(tr.columns) for tr in t.triggers)


def check(ctx: LintContext):
    for t, fk, parent, mine, theirs in scoped_references(ctx, "tenant"):
        if _shared(t, fk):
            continue
        cols = ", ".join(fk.columns)
        yield Finding(f"foreign key {fk.name} of {t.qname} ({cols}) -> {parent.qname} does not include the tenant "
                      f"column {mine}: a row can point at another tenant's row", fk.loc or t.loc,
                      f"{t.qname}.{fk.name}",
                      _hint(ctx, t, fk, parent, mine, theirs),
                      subject=("table", t.schema, t.name))


def _hint(ctx: LintContext, t, fk, parent, mine: str, theirs: str) -> str:
    cols, refs = ", ".join(fk.columns), ", ".join(fk.ref_columns)
    if ctx.live:
        return (f"carry the tenant column in the key: `FOREIGN KEY ({mine}, {cols}) REFERENCES {parent.qname} "
                f"({theirs}, {refs})` over a `UNIQUE ({theirs}, {refs})` on {parent.qname}")
    if "tenant" in fk.crosses:
        return ("drop `same_tenant: false` (the key then carries the tenant column), or override this lint with "
                "the reason the reference crosses tenants: `lint: {RL014: \"…\"}`")
    return (f"make the key carry the tenant column (`columns: [{mine}, {cols}]`, `references: [{theirs}, {refs}]`), "
            "or override this lint with the reason the reference crosses tenants: `lint: {RL014: \"…\"}`")
