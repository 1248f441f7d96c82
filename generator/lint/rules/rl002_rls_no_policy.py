"""Row-level security is on but the table has no policy, and it is not marked deny-all.

**What it catches.** A table with RLS enabled and not one policy, without `rls: {deny_all: true}`.

**Why.** With RLS on and no policy PostgreSQL refuses every row to every role but the owner and
BYPASSRLS roles. That fails closed, so it is no leak, but it is usually a forgotten policy: the
application sees an empty table. Say so when it is the point.

Bad:

```yaml
entities:
  secrets:
    rls: true
    columns: {id: uuid pk, value: text!}
```

Good:

```yaml
entities:
  secrets:
    rls: {deny_all: true}        # only the owner and the service role read it, on purpose
    columns: {id: uuid pk, value: text!}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, table_name

CODE = "RL002"
NAME = "rls-no-policy"
SEVERITY = "warning"


def check(ctx: LintContext):
    for t in ctx.schema.tables:
        if t.rls_enabled and not t.policies and not t.meta.deny_all:
            yield Finding(f"table {t.qname} has row-level security on but no policy: every role but the owner "
                          "sees no row and may change none", t.loc, table_name(t),
                          ctx.hint("add the policies the application needs, or mark it `rls: {deny_all: true}` "
                                   "if nobody but the owner should reach it",
                                   f"`CREATE POLICY … ON {t.qname}` for what the application needs; if nobody but "
                                   "the owner should reach it, this is deliberate (a spec says so with "
                                   "`rls: {deny_all: true}`; a live database cannot)"),
                          subject=("table", t.schema, t.name))
