"""A SECURITY DEFINER function that `anon` or PUBLIC may execute.

**What it catches.** A SECURITY DEFINER function (not a trigger function) that PUBLIC may
execute — PostgreSQL's default for a new function, unless EXECUTE is revoked — or that is
granted to `anon`. Granted to anon: error. PUBLIC: error for a VOLATILE function (it may
change data), warning for a STABLE or IMMUTABLE one (it only reads, but with its owner's
rights, past RLS). `execute: [roles]` in the spec grants exactly those roles.

**Why.** A SECURITY DEFINER function runs with its owner's rights — usually the table owner's,
which RLS does not bind. Everyone who may call it gets what it does, for any argument: on
Supabase `anon` is anyone on the internet, through `/rest/v1/rpc/<name>`.

Bad:

```yaml
functions:
  reset_counters:
    returns: void
    security_definer: true
    search_path: "''"
    execute: [public]
    body: "BEGIN UPDATE public.counters SET n = 0; END"
```

Good: only the roles that need it:

```yaml
    execute: [service_role]
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, function_name

CODE = "RL008"
NAME = "definer-execute"
SEVERITY = "error"


def check(ctx: LintContext):
    for f in ctx.schema.functions:
        if not f.security_definer or f.returns.strip().lower() in ("trigger", "event_trigger"):
            continue
        callers = {"public"} if f.execute is None else set(f.execute)
        sub = ("function", f.schema, f.name)
        hint = _hint(ctx, f, callers & {"public", "anon"})
        if "anon" in callers:
            yield Finding(f"SECURITY DEFINER function {function_name(f)} may be executed by anon (anyone, not "
                          "signed in): it runs with its owner's rights", f.loc, function_name(f), hint,
                          subject=sub)
        elif "public" in callers:
            volatile = f.volatility == "VOLATILE"
            default = " (PostgreSQL's default)" if f.execute is None else ""
            does = "may change data" if volatile else "reads"
            yield Finding(f"SECURITY DEFINER function {function_name(f)} may be executed by PUBLIC{default}: "
                          f"every role {does} with its owner's rights ({f.volatility})", f.loc, function_name(f),
                          hint, severity="error" if volatile else "warning", subject=sub)


def _hint(ctx: LintContext, f, wide: set[str]) -> str:
    if ctx.live:
        return (f"`REVOKE EXECUTE ON FUNCTION {function_name(f)} FROM {', '.join(sorted(r.upper() if r == 'public' else r for r in wide))}`"
                " and `GRANT EXECUTE` to the roles that need it only")
    roles = sorted(ctx.app_roles - {"anon"}) or (["authenticated"] if ctx.flavor == "supabase" else ["app_user"])
    return (f"grant EXECUTE to the roles that need it only: `execute: [{', '.join(roles)}]` (gen then revokes it "
            "from PUBLIC and anon)")
