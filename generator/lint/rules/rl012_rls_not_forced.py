"""Row-level security is enabled but not forced, so the table owner skips it.

**What it catches.** A table with RLS enabled but not `FORCE ROW LEVEL SECURITY` (`rls: {force:
false}` in the spec). Exempt by design: the admin lookup table (`auth.admin`: the SECURITY
DEFINER `is_admin()` reads it as the owner, and its own admin policy calls `is_admin()` again;
on a live database, a table the SECURITY DEFINER `is_admin()` reads)
and any table read by a SECURITY DEFINER function that the table's own policies call (forcing
them would make their policies recurse); gen's audit table (its SECURITY DEFINER audit triggers
append as the owner, and no policy lets anyone write it: on a live database, a table that
functions named `<table>_audit` append every audit column to, with no write policy); and a
soft-deleting table whose RLS is on only to hide deleted rows (its one permissive policy is gen's
`<table>_all_rows`).

**Why.** RLS does not apply to a table's owner unless forced. Applications often connect as the
role that ran the migrations — the owner — and then see every tenant's rows. Forced RLS binds
the owner too; only superusers and BYPASSRLS roles skip it.

Bad:

```yaml
entities:
  tickets:
    tenant: true
    rls: {force: false}
    columns: {id: uuid pk}
```

Good:

```yaml
entities:
  tickets:
    tenant: true                 # RLS enabled and forced
    columns: {id: uuid pk}
```
"""
from __future__ import annotations

import re

from generator.lint.context import Finding, LintContext, table_name
from generator.lint.predicates import relations
from generator.model import Function, Table
from generator.model.machinery import audit_tables, rls_only_for_soft_delete

CODE = "RL012"
NAME = "rls-not-forced"
SEVERITY = "error"


def check(ctx: LintContext):
    auth = ctx.schema.auth
    audit = audit_tables(ctx.schema)
    for t in ctx.schema.tables:
        if not t.rls_enabled or t.rls_forced:
            continue
        if auth and auth.admin_table == t.key or t.key in audit or rls_only_for_soft_delete(t):
            continue
        if _recursion_guard(ctx, t) or _admin_lookup(ctx, t):
            continue
        yield Finding(f"table {t.qname} has row-level security enabled but not forced: its owner (and every "
                      "application connecting as the owner) skips the policies", t.loc, table_name(t),
                      ctx.hint("drop `rls: {force: false}` (gen forces RLS by default)",
                               f"`ALTER TABLE {t.qname} FORCE ROW LEVEL SECURITY`, or have the application "
                               "connect as a role that does not own the table"),
                      subject=("table", t.schema, t.name))


def _recursion_guard(ctx: LintContext, t: Table) -> bool:
    """A SECURITY DEFINER function the table's policies call reads the table itself."""
    for p in t.policies:
        for f in ctx.policy_functions(p):
            if f.security_definer and _reads(f, t):
                return True
    return False


def _admin_lookup(ctx: LintContext, t: Table) -> bool:
    """On a live database, the admin lookup table: the SECURITY DEFINER admin predicate
    (`is_admin()`, `admin_names`) reads it as the owner."""
    return ctx.live and any(f.security_definer and f.name in ctx.admin_names and _reads(f, t)
                            for f in ctx.schema.functions)


def _reads(f: Function, t: Table) -> bool:
    if f.language == "sql":
        return any(name == t.name and schema in (None, t.schema) for schema, name in relations(f.body))
    return re.search(rf'(?<![\w$"]){re.escape(t.name)}(?![\w$"])|"{re.escape(t.name)}"', f.body) is not None
