"""Rows that soft-delete are removed for good by a cascade from a table the application may
delete from outright.

**What it catches.** A soft-deleting table (the `soft_delete` trait) with a foreign key whose
ON DELETE is CASCADE, SET NULL or SET DEFAULT, to a parent that does not soft-delete and whose
rows the application roles may DELETE (a permissive DELETE or ALL policy other than the admin's,
or no row-level security). On a live database, soft-deleting tables are those with gen's
`<table>_soft_delete` trigger.

**Why.** PostgreSQL runs referential actions as the table's owner, and the soft-delete trigger
lets the owner through to a real DELETE (that is how purges and migrations work). A user who may
delete the parent then erases the children for good, or rewrites them, although only the `purge`
roles may. Make the parent soft-delete too (its DELETE then marks the children), or make the key
RESTRICT / NO ACTION (the parent cannot go while children live).

Bad:

```yaml
entities:
  storefronts:
    columns: {id: uuid pk}
  banners:
    traits: [soft_delete]
    columns:
      storefront_id: uuid! -> storefronts cascade
```

Good:

```yaml
entities:
  storefronts:
    traits: [soft_delete]                  # deleting a storefront marks it and its banners
    columns: {id: uuid pk}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext
from generator.model import Table
from generator.model.naming import quote_ident, shorten

CODE = "RL016"
NAME = "cascade-purges-soft-deleted"
SEVERITY = "error"
REACHING = ("CASCADE", "SET NULL", "SET DEFAULT")


def soft_deletes(t: Table) -> bool:
    name = shorten(f"{t.name}_soft_delete")
    return t.meta.soft_delete is not None or any(tr.name == name and "DELETE" in tr.events for tr in t.triggers)


def deletable(t: Table) -> bool:
    """The application roles may DELETE rows of `t` for real."""
    if not t.rls_enabled:
        return True
    if any(not p.permissive and p.command in ("ALL", "DELETE") and (
            p.preset == "tenant_root" or p.name.endswith("_delete_by_admin") or (p.using or "").strip().lower() == "false")
           for p in t.policies):
        return False        # only admins (gen's tenant root) or nobody
    return any(p.permissive and p.command in ("ALL", "DELETE") and p.preset != "admin_full_access"
               and p.using and p.using.strip().lower() != "false" for p in t.policies)


def check(ctx: LintContext):
    for t in ctx.schema.tables:
        if not soft_deletes(t):
            continue
        for fk in t.foreign_keys:
            parent = ctx.schema.table(fk.ref_table, fk.ref_schema)
            if fk.on_delete not in REACHING or parent is None or parent.key == t.key or soft_deletes(parent):
                continue
            if not deletable(parent):
                continue
            yield Finding(f"deleting a row of {parent.qname} (which the application may do, and which does not "
                          f"soft-delete) removes rows of {t.qname} for good through {fk.name} (ON DELETE "
                          f"{fk.on_delete}): referential actions run as the owner, past the soft delete",
                          fk.loc or t.loc, f"{t.qname}.{fk.name}",
                          ctx.hint(f"soft-delete {parent.name} too (the `soft_delete` trait, or a trait with "
                                   "`soft_delete:`), or make the key restrict (`on_delete: restrict`)",
                                   f"soft-delete {parent.qname} too, or `ALTER TABLE {t.qname} DROP CONSTRAINT "
                                   f"{quote_ident(fk.name)}` and add it again `ON DELETE RESTRICT`"),
                          subject=("table", t.schema, t.name))
