"""A SECURITY DEFINER function without a fixed `search_path`.

**What it catches.** A function declared `security_definer: true` (or `SECURITY DEFINER` on a live
database) that does not `SET search_path`.

**Why.** Such a function runs with its owner's rights but resolves unqualified names through the
caller's `search_path`. A caller who can create objects in any schema on that path — or who sets
`search_path` to such a schema — gets their own `=` operator, `now()` or table called with the
owner's rights. gen's generated functions pin `search_path = ''` and qualify every name.

Bad:

```yaml
functions:
  member_of:
    returns: boolean
    args: "org uuid"
    language: sql
    security_definer: true
    body: "SELECT EXISTS (SELECT 1 FROM members WHERE org_id = org AND user_id = auth.uid())"
```

Good:

```yaml
    security_definer: true
    search_path: "''"
    body: "SELECT EXISTS (SELECT 1 FROM public.members WHERE org_id = org AND user_id = auth.uid())"
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, function_name

CODE = "RL007"
NAME = "definer-search-path"
SEVERITY = "error"


def check(ctx: LintContext):
    for f in ctx.schema.functions:
        if f.security_definer and not (f.search_path or "").strip():
            yield Finding(f"SECURITY DEFINER function {function_name(f)} has no fixed search_path: a caller's "
                          "search_path decides which objects it uses, with its owner's rights",
                          f.loc, function_name(f),
                          ctx.hint("set `search_path: \"''\"` and qualify every name in the body (or name "
                                   "trusted schemas only, pg_catalog first)",
                                   f"`ALTER FUNCTION {function_name(f)} SET search_path = ''` and qualify every "
                                   "name in the body (or name trusted schemas only, pg_catalog first)"),
                          subject=("function", f.schema, f.name))
