"""docs/lints.md, rendered from the rule registry and each rule's docstring, so the reference
cannot drift from the code (tests/test_lint_docs.py holds it in step).
Regenerate: `python -m generator.lint.docs > docs/lints.md`."""
from __future__ import annotations

from generator.lint.registry import UNKNOWN_CODE, all_rules

INTRO = """# Lints

gen's security lints read the resolved model — the same model for a spec and for a live
database — and report what lets an application user reach rows, rights or names they should
not: tables without row-level security, policies that let rows move to another tenant, admin
checks over columns the user may write, SECURITY DEFINER functions anyone may call, views that
skip RLS, names that hide characters or pass for others.

```bash
gen validate spec/app.yaml                      # shape and references, then the lints
gen lint spec/app.yaml --strict                 # lints only; warnings fail too
gen lint spec/*.yaml --format github            # annotations on the pull request
gen lint --database-url postgresql://localhost/app --schema public   # a live database
gen lint --rules                                # the list below, in the terminal
```

Each finding is a diagnostic like any other: a code, the object's dotted name, a message, a
hint, and for a spec its `file:line:col` (a live database has no file; the message names the
object). `--format human|json|github` chooses how they print.

Exit codes: `gen validate` exits 0 when the spec is valid and no lint reports an error (warnings
are printed, not fatal), 1 when a lint reports an error, 2 when the spec itself is bad (then
nothing is linted). `gen lint` exits 0 without errors, 1 with an error (or a warning, with
`--strict`), 2 for a bad spec or arguments, 3 when the database cannot be reached.

On a live database gen sees what PostgreSQL holds and nothing of the spec's intent: the flavor
is Supabase when the `auth` schema and the roles `anon` and `authenticated` exist (or say
`--flavor`); tenant and owner columns are those the policies pin to the current tenant or user;
the admin predicate is a function named `is_admin` (or `…_is_admin`); and markers such as
`public: true` and `rls: {deny_all: true}` are not there, so RL002 and RL004 report such tables
and policies too.

## Severity and overrides

Every rule has a default severity, `error` or `warning`. A spec may change it for the whole spec
and, with a stated reason, for one object (an entity, a view or a function); the reason is what
a reviewer reads in the pull request, and an override without one is refused (RS121):

```yaml
lint: {RL002: error, RL015: off}            # spec-wide: off | warning | error

entities:
  reporting_snapshots:
    rls: {force: false}
    lint:
      RL012: "filled nightly by the owner role; no application role has privileges on it"
  audit_log:
    lint:
      RL002: {severity: warning, reason: "written by triggers only; read through the service role"}
functions:
  public_stats:
    lint: {RL008: "returns only aggregate counts, meant for the public landing page"}
```

A suppressed finding is not printed, unless `--verbose`; JSON output always lists it, with
`"severity": "off"` and `"hint": "suppressed: <reason>"`. An override naming a code that is no
rule is itself a warning, """ + UNKNOWN_CODE + """ (a misspelt code overrides nothing).

"""


def render() -> str:
    rules = all_rules()
    lines = [INTRO, "## Rules\n", "| code | name | severity | what |", "|---|---|---|---|"]
    for r in rules:
        lines.append(f"| [{r.code}](#{r.code.lower()}-{r.name}) | {r.name} | {r.severity} | {r.summary} |")
    lines.append("")
    for r in rules:
        where = "specs and live databases" if set(r.source) == {"spec", "database"} else ", ".join(r.source)
        body = r.doc.strip().split("\n", 1)[1].strip() if "\n" in r.doc.strip() else ""
        lines += [f"### {r.code} {r.name}", "", f"*{r.summary}* — severity **{r.severity}**; runs on {where}; "
                  f"override: `lint: {{{r.code}: \"why\"}}`.", "", body, ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
