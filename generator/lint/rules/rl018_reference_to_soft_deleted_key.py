"""A foreign key references a unique key (not the primary key) of a soft-deleting table.

**What it catches.** A foreign key whose referenced columns are a unique key of a soft-deleting
table (the `soft_delete` trait; on a live database, a table with gen's `<table>_soft_delete`
trigger) that does not hold the table's primary key: `sku text unique` referenced as
`-> products(sku)`.

**Why.** gen turns the unique keys of a soft-deleting table into partial unique indexes over
the rows that are not deleted, so a deleted row's value can be taken again. A key a foreign key
references must stay a whole constraint (PostgreSQL refuses a partial index there), so this one
keeps counting deleted rows: once a product is deleted, no new product may take its `sku`. And a
deleted row still satisfies the foreign key: new rows can point at a product nobody sees.
Referencing the primary key keeps the value reusable; where the value itself must be the key,
a trigger on the referencing table can refuse rows that point at deleted ones.

Bad:

```yaml
entities:
  products:
    traits: [soft_delete]
    columns: {id: uuid pk, sku: text! unique}
  order_items:
    columns:
      product_sku: text! -> products(sku) restrict
```

Good:

```yaml
entities:
  order_items:
    columns:
      product_id: uuid! -> products restrict     # the primary key; sku stays unique among live rows
```
"""
from __future__ import annotations

from generator.lint.context import Finding, LintContext
from generator.lint.rules.rl016_cascade_purges_soft_deleted import soft_deletes
from generator.model.naming import quote_ident

CODE = "RL018"
NAME = "reference-to-soft-deleted-key"
SEVERITY = "warning"


def check(ctx: LintContext):
    for t in ctx.schema.tables:
        for fk in t.foreign_keys:
            parent = ctx.schema.table(fk.ref_table, fk.ref_schema)
            if parent is None or not soft_deletes(parent):
                continue
            pk = set(parent.primary_key.columns) if parent.primary_key else set()
            if not pk or pk <= set(fk.ref_columns):
                continue
            refs = ", ".join(fk.ref_columns)
            yield Finding(
                f"foreign key {fk.name} of {t.qname} references ({refs}) of {parent.qname}, which soft-deletes: the "
                f"key must stay a whole unique constraint, so a deleted row keeps its value (a new row cannot take "
                f"it) and still satisfies the reference (rows can point at a deleted row)",
                fk.loc or t.loc, f"{t.qname}.{fk.name}", _hint(ctx, t, fk, parent, refs),
                subject=("table", t.schema, t.name))


def _hint(ctx: LintContext, t, fk, parent, refs: str) -> str:
    pk = ", ".join(parent.primary_key.columns)
    return ctx.hint(
        f"reference the primary key (`-> {parent.name}`): gen then makes ({refs}) a partial unique index over the rows "
        f"that are not deleted; if ({refs}) must be the key, add a BEFORE INSERT OR UPDATE trigger on {t.name} that "
        f"refuses rows pointing at deleted ones, and say so: `lint: {{{CODE}: \"…\"}}`",
        f"reference {parent.qname} ({pk}) instead and make ({refs}) a partial unique index (`CREATE UNIQUE INDEX … ON "
        f"{parent.qname} ({refs}) WHERE <deleted column> IS NULL`), or guard {t.qname} with a BEFORE INSERT OR UPDATE "
        f"trigger that refuses rows pointing at deleted ones (constraint {quote_ident(fk.name)})")
