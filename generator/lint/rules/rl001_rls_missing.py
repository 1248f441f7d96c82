"""A table the application's roles can reach has row-level security off.

**What it catches.** On Supabase, a table `anon` or `authenticated` holds any privilege on while
RLS is off (PostgREST serves every such table in an exposed schema). Elsewhere, a table an
application role — a role some policy names, other than `public` — or PUBLIC holds privileges on
while RLS is off.

**Why.** Without RLS a privilege is the whole story: `anon` with SELECT reads every row of the
table through the public API, with UPDATE it changes every row. Policies elsewhere protect
nothing here.

Bad (Supabase: the flavor grants anon and authenticated their usual privileges on every table):

```yaml
entities:
  invoices:
    rls: false
    columns: {id: uuid pk, amount: numeric!}
```

Good: RLS with a policy, or no grants for the clients:

```yaml
entities:
  invoices:
    owner: user_id
    columns: {id: uuid pk, user_id: uuid! -> auth.users, amount: numeric!}
    policies: [owner]
  audit_export:
    rls: false
    grants: {anon: [], authenticated: []}     # only the service role reads it
    columns: {id: uuid pk}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, table_name

CODE = "RL001"
NAME = "rls-missing"
SEVERITY = "error"


def check(ctx: LintContext):
    reach = ctx.app_roles | {"public"}
    for t in ctx.schema.tables:
        if t.rls_enabled:
            continue
        holders: dict[str, set[str]] = {}
        for g in t.grants:
            if g.role in reach and g.privileges:
                holders.setdefault(g.role, set()).update(g.privileges)
        if not holders:
            continue
        who = ", ".join(f"{r} ({', '.join(sorted(p))})" for r, p in sorted(holders.items()))
        yield Finding(f"table {t.qname} has row-level security off, but {who} may use it: they reach "
                      "every row", t.loc, table_name(t),
                      _hint(ctx, t, sorted(holders)),
                      subject=("table", t.schema, t.name))


def _hint(ctx: LintContext, t, roles: list[str]) -> str:
    who = ", ".join(roles)
    if ctx.live:
        return (f"`ALTER TABLE {t.qname} ENABLE ROW LEVEL SECURITY` with the policies the application needs "
                f"(none: only the owner reaches it), or `REVOKE ALL ON {t.qname} FROM {who}`")
    empty = ", ".join(f"{r}: []" for r in roles)
    return ("enable RLS with policies (`policies:`, or `rls: {deny_all: true}`), or take the privileges away "
            f"(`grants: {{{empty}}}` on the entity)")
