"""On Citus, an application role may write a shared reference table.

**What it catches.** In a Citus deployment (`database: {citus: ...}` or `gen validate --citus`),
a table without a tenant column placed as a reference table (tables every tenant shares:
plans, catalogs, settings) on which an application role holds INSERT, UPDATE or DELETE and a
permissive policy for that command lets in more than admins (or RLS is off).

**Why.** A reference table is one table copied to every node: what one tenant writes there,
every tenant reads, on every node. An application role that may write it lets any tenant change
what the others see (prices, plans, feature flags) and, since each write locks the table on
every node in a two-phase commit, stall every tenant's writes that touch it. Shared tables are
written by admins or the service role; tenants write tenant tables.

Bad:

```yaml
database: {citus: 13}
entities:
  plans:
    columns: {id: uuid pk, price: numeric!}
    policies:
      - {name: plans_write, for: all, using: "true", check: "true"}
```

Good:

```yaml
database: {citus: 13}
entities:
  plans:
    columns: {id: uuid pk, price: numeric!}
    policies: [admin_full_access, public_read]
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, commands, effective_check, roles_cover, table_name
from generator.lint.predicates import text_admin_only

CODE = "RL017"
NAME = "writable-reference-table"
SEVERITY = "error"
SOURCE = ("spec",)               # placements are the spec's; a live database is read without them
WRITES = ("INSERT", "UPDATE", "DELETE")


def check(ctx: LintContext):
    for t in ctx.schema.tables:
        p = t.meta.placement
        if p is None or p.kind != "reference" or t.meta.tenant_column:
            continue
        for role in sorted(ctx.app_roles):
            held = {priv for g in t.grants if g.role in (role, "public") and not g.columns for priv in g.privileges}
            for command in WRITES:
                if command in held and _opens(ctx, t, role, command):
                    yield Finding(f"{role} may {command} the reference table {t.qname}: on Citus every tenant reads "
                                  "it, on every node, and each write locks it on all of them",
                                  t.loc, table_name(t),
                                  "let admins or the service role write shared tables (admin_full_access), or make "
                                  "the table tenant-scoped", subject=("table", t.schema, t.name))
                    break


def _opens(ctx: LintContext, t, role: str, command: str) -> bool:
    """RLS off, or a permissive policy for `command` that `role` falls under and that admits
    more than admins."""
    if not t.rls_enabled:
        return True
    if any(text_admin_only(r.using if command != "INSERT" else effective_check(r), ctx.admin_names)
           for r in t.policies if not r.permissive and command in commands(r) and roles_cover(r.roles, (role,))):
        return False
    for pol in t.policies:
        if not pol.permissive or command not in commands(pol) or not roles_cover(pol.roles, (role,)):
            continue
        text = effective_check(pol) if command == "INSERT" else pol.using
        if text is None or not text_admin_only(text, ctx.admin_names):
            return True
    return False
