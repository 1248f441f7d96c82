"""A write policy whose USING or WITH CHECK is always true, not marked `public: true`.

**What it catches.** A permissive policy for INSERT, UPDATE, DELETE or ALL whose USING (the rows
it may touch) or effective WITH CHECK (the rows it may write) is a constant truth (`true`,
`'t'::boolean`, `1 = 1`), unless a restrictive policy covers that command for the same roles, or
the policy is marked `public: true` ("opens its command to everyone on purpose").

**Why.** Permissive policies combine with OR: one `true` opens the command to every row for
every role the policy names, whatever the other policies say. `check: true` on UPDATE lets a
user move rows to another tenant; `using: true` on DELETE lets them delete everyone's rows.

Bad:

```yaml
policies:
  - {name: members update, for: update, using: "company_id = (SELECT app.current_company())", check: "true"}
```

Good: check what is written, or say the command is public on purpose:

```yaml
policies:
  - {name: members update, for: update, using: "company_id = (SELECT app.current_company())"}
  - {name: anyone may leave feedback, for: insert, to: [anon], check: "true", public: true}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, effective_check, policy_name, restrictive_for
from generator.lint.predicates import text_truth
from generator.model import Policy, Table
from generator.model.naming import quote_ident, shorten
from generator.model.machinery import soft_delete_trigger

CODE = "RL004"
NAME = "policy-always-true"
SEVERITY = "error"


def check(ctx: LintContext):
    for t in ctx.schema.tables:
        for p in t.policies:
            if not p.permissive or p.public or p.command == "SELECT" or _mark_policy(t, p):
                continue
            for clause, text, cmds in _clauses(p):
                if text_truth(text) is not True:
                    continue
                open_cmds = [c for c in cmds if not restrictive_for(t, p, c)]
                if not open_cmds:
                    continue
                yield _finding(ctx, t, p, clause, open_cmds)
                break


def _mark_policy(t: Table, p: Policy) -> bool:
    """gen's `<table>_mark_deleted` on a soft-deleting table: it repeats the reach of the DELETE
    policies (a user who may delete a row may mark it), which this rule judges themselves."""
    return p.name == shorten(f"{t.name}_mark_deleted") and (t.meta.soft_delete is not None
                                                             or soft_delete_trigger(t) is not None)


def _clauses(p: Policy):
    """(clause, text, commands it decides) of a policy's write side."""
    writes = {"ALL": ("INSERT", "UPDATE", "DELETE"), "INSERT": ("INSERT",), "UPDATE": ("UPDATE",),
              "DELETE": ("DELETE",)}[p.command]
    using_cmds = tuple(c for c in writes if c != "INSERT")
    if p.using and using_cmds:
        yield "USING", p.using, using_cmds
    check_cmds = tuple(c for c in writes if c in ("INSERT", "UPDATE"))
    if check_cmds and p.check:
        yield "WITH CHECK", effective_check(p), check_cmds


def _finding(ctx: LintContext, t: Table, p: Policy, clause: str, cmds: list[str]) -> Finding:
    what = "rows it may write" if clause == "WITH CHECK" else "rows it may touch"
    roles = ", ".join(p.roles)
    return Finding(f"policy '{p.name}' on {t.qname}: its {clause} is always true, so {roles} may "
                   f"{'/'.join(c.lower() for c in cmds)} any row ({what} are not limited)",
                   p.loc or t.loc, policy_name(t, p),
                   ctx.hint("write the condition that limits the rows (e.g. the tenant or owner predicate), or "
                            "mark the policy `public: true` if the command is open to everyone on purpose",
                            f"`ALTER POLICY {quote_ident(p.name)} ON {t.qname} {'WITH CHECK' if clause == 'WITH CHECK' else 'USING'} "
                            "(…)` with the condition that limits the rows (the tenant or owner predicate); a "
                            "command open to everyone on purpose is marked `public: true` in a spec (a live "
                            "database cannot say so)"),
                   subject=("table", t.schema, t.name))
