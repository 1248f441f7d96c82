"""A reference between two owner-scoped tables that does not say whether owners must match.

**What it catches.** A foreign key from an owner-scoped table to another owner-scoped table (or
to itself) without `same_owner` (neither true nor false) in the spec; on a live database, a
foreign key between two tables with owner columns (pinned to the current user by their policies)
that does not include the owner column.

**Why.** Foreign-key checks ignore RLS, so a user's row can point at another user's row: a
user files their note under someone else's folder, learns that the folder exists, and loses the
note when its owner deletes the folder. Sometimes that is meant (a shared parent), often not;
`same_owner: true` makes the key `(user_id, folder_id) -> folders (user_id, id)` so it cannot
happen, `same_owner: false` says it may on purpose.

Bad:

```yaml
entities:
  notes:
    owner: user_id
    columns:
      folder_id: uuid -> folders
```

Good:

```yaml
      folder_id: {type: uuid, ref: {entity: folders, same_owner: true}}
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext, scoped_references

CODE = "RL015"
NAME = "owner-reference-undeclared"
SEVERITY = "warning"


def check(ctx: LintContext):
    for t, fk, parent, mine, theirs in scoped_references(ctx, "owner"):
        if fk.owner_declared is False:
            continue
        yield Finding(f"foreign key {fk.name} of {t.qname} -> {parent.qname} does not say whether owners must match: "
                      f"a user's row can point at another user's row ({mine} is not part of the key)",
                      fk.loc or t.loc, f"{t.qname}.{fk.name}",
                      ctx.hint("say which you mean: `same_owner: true` (the key carries the owner column) or "
                               "`same_owner: false` (pointing at others' rows is intended)",
                               f"if a row may only point at its owner's rows, carry the owner column in the key: "
                               f"`FOREIGN KEY ({mine}, {', '.join(fk.columns)}) REFERENCES {parent.qname} ({theirs}, "
                               f"{', '.join(fk.ref_columns)})`; if pointing at others' rows is intended, a spec says "
                               "so with `same_owner: false`"),
                      subject=("table", t.schema, t.name))
