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

`owner:` names a table's owner column (for the owner preset, `same_owner` keys, the audit
trail); it makes the column an access scope only where some policy keeps rows to their owner.
An `owner:` that no policy pins is no error on the policies gen made: instead one **warning**
says that whoever may write the table can write rows for another user (add a restrictive owner
policy, or override with the reason others set that column). A finding on a policy gen made (a
preset) asks for a restrictive policy, since its check is not the spec's to edit.

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
from generator.lint.predicates import text_admin_only, text_pins
from generator.model import Policy, Table
from generator.model.naming import quote_ident

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
        owner = t.meta.owner_column
        if owner in scopes and not _owner_policy(ctx, t, owner):
            # `owner:` names the owner column; no policy keeps rows with their owner, so it is
            # not an access scope: say that once, not an error on every policy gen made
            del scopes[owner]
            yield from _unpinned_owner(ctx, t, owner)
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
                    _hint(ctx, t, p, column, kind, open_cmds), subject=("table", t.schema, t.name))


def _owner_policy(ctx: LintContext, t: Table, column: str) -> bool:
    """Some policy of `t` (not the admin's) keeps rows to their owner: pins `column` to the
    current user."""
    return any(text_pins(x, column, ctx.admin_names, ctx.known) and not text_admin_only(x, ctx.admin_names)
               for p in t.policies for x in (p.using, p.check) if x)


def _unpinned_owner(ctx: LintContext, t: Table, column: str):
    """A warning when the application may write rows of an `owner:` table for another user."""
    writers = sorted((p for p in t.policies if p.permissive and not p.public and {"INSERT", "UPDATE"} & set(commands(p))
                      and not text_admin_only(effective_check(p), ctx.admin_names)),
                     key=lambda p: ("INSERT" not in commands(p), p.name))
    if not writers:
        return
    yield Finding(
        f"{t.qname} names {column} its owner column (`owner: {column}`), but no policy keeps rows with their "
        f"owner: whoever may write it (policy '{writers[0].name}') can write a row for another user",
        t.loc, f"{t.qname}.{quote_ident(column)}",
        f"if only a row's owner may write it, add `{{preset: owner, for: [insert, update], restrictive: true}}`; "
        f"if {column} is data others may set (staff file rows for users), say why: `lint: {{RL005: \"…\"}}`",
        severity="warning", subject=("table", t.schema, t.name))


def _hint(ctx: LintContext, t: Table, p: Policy, column: str, kind: str, cmds: list[str]) -> str:
    current = "the current user" if kind == "owner" else "the current tenant"
    verbs = ", ".join(cmds)
    if ctx.live:
        return (f"pin it in the policy: `ALTER POLICY {quote_ident(p.name)} ON {t.qname} WITH CHECK ({column} = "
                f"<{current}> AND …)`, or add `CREATE POLICY … ON {t.qname} AS RESTRICTIVE FOR {verbs} WITH CHECK "
                f"({column} = <{current}>)`")
    restrictive = (f"`{{preset: owner, for: [{verbs.lower()}], restrictive: true}}`" if kind == "owner" else
                   f"`{{name: …, for: [{verbs.lower()}], restrictive: true, check: \"{column} = <{current}>\"}}`")
    if p.preset:
        return (f"'{p.name}' is made by gen ({p.preset}), so its check is not yours to edit: add a restrictive "
                f"policy that pins {column}: {restrictive}")
    drop = (" (or drop `check:` so USING applies to the new row)" if p.check and p.command in ("UPDATE", "ALL")
            and text_pins(p.using, column, ctx.admin_names, ctx.known) else "")
    return f"add `{column} = <{current}>` to the policy's `check:`{drop}, or add a restrictive policy: {restrictive}"
