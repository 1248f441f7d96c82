"""A row that grants access to whoever it names may be added by anyone it would grant.

**What it catches.** A boolean SQL helper that policies call (`is_staff()`, `is_member()`) and
that is true when a row of a table names the current user (`m.user_id = <current user>`), where
that table lets the application roles INSERT (a permissive INSERT or ALL policy other than the
admin's, such as tenant isolation) and no restrictive INSERT policy says who may. Tables whose
identity column is their owner column are left out: `owner:` declares that users keep their own
rows.

**Why.** Any signed-in user of the tenant inserts a membership naming itself and the helper says
yes: a self-granted role. gen guards the identity column on UPDATE by construction (no one
re-points another member's row at themselves), but who may add a member is the spec's call.
`gen verify` tries the self-grant as the application role and fails when the helper turns true.

Bad:

```yaml
entities:
  team_members:
    tenant: true
    columns: {id: uuid pk, user_id: uuid! -> users}
functions:
  is_staff: {returns: boolean, language: sql, body: "SELECT EXISTS (SELECT 1 FROM public.team_members m WHERE m.user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)"}
```

Good:

```yaml
entities:
  team_members:
    tenant: true
    columns: {id: uuid pk, user_id: uuid! -> users}
    policies:
      - tenant_isolation
      - {name: members_added_by_staff, for: insert, restrictive: true,
         check: "(SELECT public.is_staff()) OR (SELECT public.is_admin())"}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext
from generator.model.access import _tables, function_reads
from generator.model.grants import grant_lookups
from generator.model.machinery import insert_guarded_columns

CODE = "RL019"
NAME = "self-granted-access"
SEVERITY = "error"


def check(ctx: LintContext):
    seen = set()
    for g in grant_lookups(ctx.schema, owned=False):
        t = ctx.schema.tables_by_key.get(g.table)
        if t is None or (t.key, g.shown) in seen or not t.rls_enabled:
            continue
        seen.add((t.key, g.shown))
        if _gated(ctx, t, g):
            continue        # the row grants only with a condition column the application cannot set
        inserts = [p for p in t.policies if p.command in ("ALL", "INSERT")]
        if any(not p.permissive for p in inserts):
            continue        # a restrictive INSERT policy says who may add rows
        opened = [p.name for p in inserts if p.permissive and p.preset != "admin_full_access"
                  and (p.check or p.using or "").strip().lower() != "false"]
        if not opened:
            continue
        yield Finding(f"{g.shown} is true when a row of {t.qname} names the current user, and the application "
                      f"may insert such rows (policy {', '.join(opened)}) with no restrictive INSERT policy: a "
                      f"user can grant itself what {g.shown} guards",
                      t.loc, t.qname,
                      f"add a restrictive INSERT policy on {t.name} letting only those who already hold the "
                      f"access add rows, e.g. check: \"(SELECT {g.call(g.params)}) OR (SELECT public.is_admin())\"",
                      subject=("table", t.schema, t.name))


def _gated(ctx: LintContext, t, g) -> bool:
    """The helper also reads a column of the row that new rows cannot set (a guarded condition,
    such as the admin predicate's `role`; on a live database, what gen's guard trigger refuses)."""
    guarded = insert_guarded_columns(ctx.schema, t)
    return any(u.table == t.key and u.kind == "condition" and u.column in guarded
               for u in function_reads(g.function, _tables(ctx.schema)))
