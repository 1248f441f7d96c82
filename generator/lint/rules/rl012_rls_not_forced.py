"""Row-level security is enabled but not forced, so the table owner skips it.

**What it catches.** A table with RLS enabled but not `FORCE ROW LEVEL SECURITY` (`rls: {force:
false}` in the spec). Two kinds of table are exempt, since forcing them would make their own
policies recurse: the admin lookup table (`auth.admin`: the SECURITY DEFINER `is_admin()` reads
it as the owner, and its own admin policy calls `is_admin()` again) and any table read by a
SECURITY DEFINER function that the table's own policies call.

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

CODE = "RL012"
NAME = "rls-not-forced"
SEVERITY = "error"


def check(ctx: LintContext):
    auth = ctx.schema.auth
    for t in ctx.schema.tables:
        if not t.rls_enabled or t.rls_forced:
            continue
        if auth and auth.admin_table == t.key or _recursion_guard(ctx, t):
            continue
        yield Finding(f"table {t.qname} has row-level security enabled but not forced: its owner (and every "
                      "application connecting as the owner) skips the policies", t.loc, table_name(t),
                      "drop `rls: {force: false}` (gen forces RLS by default)",
                      subject=("table", t.schema, t.name))


def _recursion_guard(ctx: LintContext, t: Table) -> bool:
    """A SECURITY DEFINER function the table's policies call reads the table itself."""
    for p in t.policies:
        for f in ctx.policy_functions(p):
            if f.security_definer and _reads(f, t):
                return True
    return False


def _reads(f: Function, t: Table) -> bool:
    if f.language == "sql":
        return any(name == t.name and schema in (None, t.schema) for schema, name in relations(f.body))
    return re.search(rf'(?<![\w$"]){re.escape(t.name)}(?![\w$"])|"{re.escape(t.name)}"', f.body) is not None
