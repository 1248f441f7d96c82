"""An admin or role predicate reads a column that the users it guards may change.

**What it catches.** A column that an access predicate reads as a condition — the admin
predicate (`auth.admin.where`), the subqueries of policies, the SQL helper functions policies
call (generator.model.access classifies them) — on a table where a non-admin policy lets an
application role INSERT or UPDATE rows, when nothing in the database stops that role from
setting the column: no guard trigger (a BEFORE INSERT OR UPDATE OF <column> row trigger, what
`protected:` generates) and no column privileges keeping those roles from writing it. The
columns of gen's soft delete (the mark, its `by` column and flag) are guarded by the soft-delete
trigger: the application sets them only by DELETE and clears them only as a `restore` role, so a
helper that reads `deleted_at IS NULL` is safe (on a live database: gen's `<table>_soft_delete`
trigger). So is the tenant column where tenant isolation's WITH CHECK keeps it at the writer's
tenant.

**Why.** The check trusts a fact the checked user controls: `UPDATE profiles SET role = 'admin'
WHERE id = auth.uid()` passes the owner policy, and from then on `is_admin()` returns true for
that user, who reads and changes everyone's rows.

Bad: the column the admin predicate reads is left writable:

```yaml
auth:
  admin: {entity: profiles, user_column: id, where: "role = 'admin'"}
entities:
  profiles:
    owner: id
    columns:
      id: uuid pk -> auth.users cascade
      role: {type: text, default: "'user'", protected: false}
    policies: [{preset: owner, for: [select, update]}]
```

Good: leave it protected (the default for a column a predicate reads), or let only a role the
attacker is not write it:

```yaml
      role: text! = 'user'                                    # protected: guard trigger
      plan: {type: text, privileges: {update: [service_role]}}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, column_name, commands, effective_check
from generator.lint.predicates import text_admin_only
from generator.model import Table
from generator.model.access import condition_columns, pinned_by_isolation
from generator.model.machinery import soft_delete_columns

CODE = "RL006"
NAME = "writable-condition"
SEVERITY = "error"


def check(ctx: LintContext):
    read = condition_columns(ctx.schema)
    for t in ctx.schema.tables:
        soft = soft_delete_columns(ctx.schema, t)
        for column, why in sorted(read.get(t.key, {}).items()):
            col = t.column(column)
            if col is None or col.generated or column in soft or _guarded(t, column):
                continue
            if column == t.meta.tenant_column and pinned_by_isolation(t):
                continue        # tenant isolation's WITH CHECK keeps it at the writer's tenant
            writers = list(_writers(ctx, t, column))
            if not writers:
                continue
            cmd, roles, policy = writers[0]
            yield Finding(
                f"column {column} of {t.qname} is read by {' and '.join(why)}, but {', '.join(roles)} may "
                f"{cmd.lower()} it (policy '{policy}'): a user can grant themselves what that check guards",
                col.loc or t.loc, column_name(t, column), _hint(ctx, t, column, roles),
                subject=("table", t.schema, t.name))


def _hint(ctx: LintContext, t: Table, column: str, roles: list[str]) -> str:
    if ctx.live:
        who = ", ".join(roles)
        return (f"guard it: a BEFORE INSERT OR UPDATE OF {column} row trigger on {t.qname} that refuses the change "
                "unless an admin or a trusted role makes it (what gen's `protected:` generates), or revoke the "
                f"table-wide INSERT and UPDATE from {who} and grant them on the other columns only "
                f"(`GRANT UPDATE (…) ON {t.qname} TO …`)")
    keep = ("or keep the application roles from writing it: "
            f"`{column}: {{…, privileges: {{update: [service_role], insert: [service_role]}}}}`")
    if column in t.meta.unprotected:
        return (f"drop `protected: false` from {column} (a guard trigger then lets only admins and declared roles "
                f"change it), {keep}")
    return f"protect it: `{column}: {{…, protected: true}}` (a guard trigger lets only admins change it), {keep}"


def _guarded(t: Table, column: str) -> bool:
    """A BEFORE row trigger on INSERT and UPDATE OF this column (a guard)."""
    return any(tr.timing == "BEFORE" and tr.level == "ROW" and {"INSERT", "UPDATE"} <= set(tr.events)
               and column in tr.columns for tr in t.triggers)


def _writers(ctx: LintContext, t: Table, column: str):
    """(command, roles, policy) for every non-admin permissive policy letting a role that may
    write the column insert or update rows."""
    for p in t.policies:
        if not p.permissive:
            continue
        if text_admin_only(effective_check(p), ctx.admin_names) or text_admin_only(p.using, ctx.admin_names):
            continue
        for cmd in ("INSERT", "UPDATE"):
            if cmd not in commands(p):
                continue
            roles = _may_write(ctx, t, column, cmd, p.roles)
            if roles:
                yield cmd, roles, p.name


def _may_write(ctx: LintContext, t: Table, column: str, cmd: str, roles: tuple[str, ...]) -> list[str]:
    """Which of `roles` (public: anyone) may write `column` by `cmd`, as far as privileges say.
    Where the model holds no privilege for `cmd` at all on a plain database, privileges are
    managed outside it (or the application connects as the owner): assume they may."""
    holders = {g.role for g in t.grants if cmd in g.privileges and (not g.columns or column in g.columns)}
    managed = any(cmd in g.privileges for g in t.grants) or ctx.flavor == "supabase"
    if not managed:
        return list(roles)
    if "public" in holders:
        return list(roles)
    if "public" in roles:
        return sorted(holders & (ctx.app_roles | {"public"})) or []
    return sorted(set(roles) & holders)
