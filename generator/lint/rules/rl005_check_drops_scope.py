"""A write policy on a tenant- or owner-scoped table whose WITH CHECK does not keep rows in scope.

**What it catches.** A permissive INSERT, UPDATE or ALL policy on a table scoped to a tenant or an
owner whose effective WITH CHECK (for UPDATE and ALL PostgreSQL uses USING when there is no WITH
CHECK) does not imply the scope predicate `<scope column> = <the current tenant or user>`: no
top-level AND term of it pins the scope column (every OR branch must, when it is an OR). The
admin predicate (`is_admin()`) counts as pinning, and so does a restrictive policy for that
command whose check pins the column. Scope columns are the spec's tenant column and `owner:`,
plus every column some policy of the table pins to the current principal (`col = (SELECT
current_setting(…))`, `col = auth.uid()`); on a live database only the latter. A scope column
that is the table's whole primary key (the tenant root's `id`, a profile keyed by the user's id)
is the principal itself and is left out, and so are policies marked `public: true`.

**Why.** USING decides which rows a user may update; WITH CHECK decides what the row may become.
With `check: true` (or a check that forgot the tenant) `UPDATE t SET company_id = '<B>'` moves
tenant A's rows into tenant B, and an INSERT plants rows in B.

Bad:

```yaml
policies:
  - name: members write
    for: update
    using: "company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid)"
    check: "status <> 'locked'"
```

Good: the check keeps the tenant predicate (or drop `check:` so USING applies to the new row):

```yaml
policies:
  - name: members write
    for: update
    using: "company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid)"
    check: "company_id = (SELECT NULLIF(current_setting('app.company_id', true), '')::uuid) AND status <> 'locked'"
```
"""
from __future__ import annotations

from generator.lint.context import (Finding, LintContext, commands, effective_check, policy_name,
                                    restrictive_for)
from generator.lint.predicates import text_pins

CODE = "RL005"
NAME = "check-drops-scope"
SEVERITY = "error"


def check(ctx: LintContext):
    for t in ctx.schema.tables:
        scopes = ctx.scopes(t)
        if not scopes:
            continue
        # a scope column that is the whole primary key is the principal itself (the tenant root,
        # a user's own row): changing it makes another row, not another principal's row
        pk = t.primary_key.columns if t.primary_key else ()
        scopes = {c: k for c, k in scopes.items() if (c,) != pk}
        for p in t.policies:
            if not p.permissive or p.public:
                continue
            cmds = [c for c in commands(p) if c in ("INSERT", "UPDATE")]
            if not cmds:
                continue
            check = effective_check(p)
            for column, kind in sorted(scopes.items()):
                if text_pins(check, column, ctx.admin_names, ctx.known):
                    continue
                open_cmds = [c for c in cmds if not any(
                    text_pins(effective_check(r), column, ctx.admin_names, ctx.known)
                    for r in restrictive_for(t, p, c))]
                if not open_cmds:
                    continue
                verbs = " and ".join(c for c in open_cmds)
                move = "move a row to" if "UPDATE" in open_cmds else "write a row for"
                clause = "WITH CHECK" if p.check else ("USING (its WITH CHECK)" if p.command != "INSERT"
                                                       else "WITH CHECK (none)")
                yield Finding(
                    f"policy '{p.name}' on {t.qname} lets {verbs} {move} another {kind}: its {clause} does "
                    f"not pin {column} to the current {kind}", p.loc or t.loc, policy_name(t, p),
                    f"add `{column} = <current {kind}>` to the policy's check (or drop `check:` so USING "
                    "applies to the new row), or add a restrictive policy that pins it",
                    subject=("table", t.schema, t.name))
