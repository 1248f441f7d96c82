"""A view over a table with row-level security that does not run as its caller.

**What it catches.** A view without `security_invoker` (PostgreSQL 15+) whose query reads — itself
or through other views — a table with RLS enabled. The query is parsed with PostgreSQL's grammar.

**Why.** A view normally reads its tables with its owner's rights, and the owner is usually the
table owner, whom RLS does not bind (unless forced). Everyone who may select from the view sees
every tenant's rows, whatever the table's policies say.

Bad:

```yaml
views:
  open_tickets:
    security_invoker: false
    query: "SELECT id, subject FROM tickets WHERE status = 'open'"
```

Good:

```yaml
views:
  open_tickets:
    query: "SELECT id, subject FROM tickets WHERE status = 'open'"   # security_invoker by default
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext
from generator.lint.predicates import relations
from generator.model import View

CODE = "RL009"
NAME = "view-not-invoker"
SEVERITY = "error"


def check(ctx: LintContext):
    views = {v.key: v for v in ctx.schema.views}
    for v in ctx.schema.views:
        if v.security_invoker:
            continue
        guarded = sorted(_rls_tables(ctx, v, views, set()))
        if guarded:
            yield Finding(f"view {v.qname} reads {', '.join(guarded)} (row-level security on) with its owner's "
                          "rights: it shows every row to whoever may select from it", v.loc, v.qname,
                          _hint(ctx, v),
                          subject=("view", v.schema, v.name))


def _rls_tables(ctx: LintContext, v: View, views: dict, seen: set) -> set[str]:
    out: set[str] = set()
    for schema, name in relations(v.query):
        t = ctx.table(schema, name)
        if t is not None:
            if t.rls_enabled:
                out.add(t.qname)
            continue
        inner = views.get((schema or v.schema, name)) or views.get(("public", name))
        if inner is not None and inner.key not in seen:   # an inner view runs as this one's owner too
            seen.add(inner.key)
            out |= _rls_tables(ctx, inner, views, seen)
    return out


def _hint(ctx: LintContext, v: View) -> str:
    if v.materialized:
        return ("a materialized view keeps the rows its owner read: revoke it from the application roles (read "
                "it through a function or view that filters by tenant or owner), or filter in its query")
    if ctx.live:
        return (f"`ALTER VIEW {v.qname} SET (security_invoker = true)` (PostgreSQL 15+: the view then applies its "
                f"caller's policies), or `REVOKE SELECT ON {v.qname} FROM` the application roles")
    return ("drop `security_invoker: false` (PostgreSQL 15+: the view then applies its caller's policies), or "
            "revoke the view from the application roles")
