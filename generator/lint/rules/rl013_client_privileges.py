"""An application role holds TRUNCATE, TRIGGER or REFERENCES on a table.

**What it catches.** On Supabase, `anon` or `authenticated` holding TRUNCATE, TRIGGER or
REFERENCES on a table; elsewhere, PUBLIC or an application role (a role some policy names) holding
them.

**Why.** None of the three is checked by row-level security. TRUNCATE empties the table, every
tenant's rows at once. TRIGGER lets the role attach a trigger that runs its code whenever anyone
— the owner included — writes the table. REFERENCES lets it create foreign keys that probe which
keys exist in rows it cannot read. Supabase's own defaults grant all three to the clients on
every new table; gen's Supabase flavor grants SELECT, INSERT, UPDATE and DELETE only.

Bad:

```yaml
entities:
  orders:
    grants: {authenticated: [all]}
```

Good:

```yaml
entities:
  orders:
    grants: {authenticated: [select, insert, update, delete]}
```
"""
from __future__ import annotations

from generator.lint.context import SUPABASE_CLIENTS, Finding, LintContext, table_name

CODE = "RL013"
NAME = "client-privileges"
SEVERITY = "error"
DANGEROUS = ("REFERENCES", "TRIGGER", "TRUNCATE")


def check(ctx: LintContext):
    clients = set(SUPABASE_CLIENTS) if ctx.flavor == "supabase" else set(ctx.app_roles) | {"public"}
    for t in ctx.schema.tables:
        held: dict[str, set[str]] = {}
        for g in t.grants:
            if g.role in clients:
                held.setdefault(g.role, set()).update(p for p in g.privileges if p in DANGEROUS)
        for role, privs in sorted(held.items()):
            if privs:
                yield Finding(f"{role} holds {', '.join(sorted(privs))} on {t.qname}: row-level security does not "
                              "check them (TRUNCATE empties every tenant's rows)", t.loc, table_name(t),
                              ctx.hint(f"grant {role} only what it needs: "
                                       f"`grants: {{{role}: [select, insert, update, delete]}}`",
                                       f"`REVOKE {', '.join(sorted(privs))} ON {t.qname} FROM {role}`"),
                              subject=("table", t.schema, t.name))
