"""A table has policies but row-level security is off, so they do nothing.

**What it catches.** Policies on a table whose RLS is disabled (`rls: false` in the spec, or
`ALTER TABLE … DISABLE ROW LEVEL SECURITY` on a live database).

**Why.** PostgreSQL ignores the policies of a table without RLS: every role with a privilege
reaches every row, while a reviewer reading the policies believes the rows are isolated.

Bad:

```yaml
entities:
  notes:
    rls: false
    owner: user_id
    columns: {id: uuid pk, user_id: uuid!}
    policies: [owner]
```

Good:

```yaml
entities:
  notes:
    owner: user_id
    columns: {id: uuid pk, user_id: uuid!}
    policies: [owner]            # RLS is on (and forced) wherever there are policies
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, table_name

CODE = "RL003"
NAME = "policy-rls-off"
SEVERITY = "error"


def check(ctx: LintContext):
    for t in ctx.schema.tables:
        if t.policies and not t.rls_enabled:
            names = ", ".join(f"'{p.name}'" for p in t.policies)
            yield Finding(f"table {t.qname} has row-level security off, so its policies ({names}) do nothing",
                          t.loc, table_name(t),
                          ctx.hint("enable RLS (remove `rls: false`, or `enabled: false` from `rls:`), or remove "
                                   "the policies",
                                   f"`ALTER TABLE {t.qname} ENABLE ROW LEVEL SECURITY` (and `FORCE ROW LEVEL "
                                   f"SECURITY`), or `DROP POLICY` them"),
                          subject=("table", t.schema, t.name))
